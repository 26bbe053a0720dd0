"""Who may do what: calendars a user manages, grants on top of the SIS roles, API tokens."""

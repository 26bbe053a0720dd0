"""Notifications: the outbox written with each change, reminders, preferences, in-app inbox."""

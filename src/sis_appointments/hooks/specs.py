"""Hooks the appointments plugin asks of its host, and the events it announces to it.

Added to the host's plugin manager by ``sis_add_hookspecs``. Look-ups are ``firstresult``:
the first non-None answer wins. Events are broadcast after the transaction that caused
them has committed; a rolled-back transaction announces nothing.
"""

from __future__ import annotations

from sis_appointments.hooks import hookspec


@hookspec(firstresult=True)
def appointments_identify(user):
    """Return the ``SisUser`` for the host's user object ``user``, or None if unknown.

    This is where a host maps its own roles to the plugin's ``admin``, ``staff`` and
    ``student`` roles and names the user's groups (programs, cohorts, offices).
    """


@hookspec(firstresult=True)
def appointments_get_user(user_key):
    """Return the ``SisUser`` with key ``user_key`` (staff or student), or None."""


@hookspec(firstresult=True)
def appointments_get_student(student_key):
    """Return the ``Student`` with key ``student_key`` from the host's directory, or None."""


@hookspec(firstresult=True)
def appointments_search_students(query, limit):
    """Return at most ``limit`` ``Student`` records whose name, email or ID matches ``query``."""


@hookspec(firstresult=True)
def appointments_busy_times(student_key, start, end):
    """Return the ``BusyTime`` list of a student between aware datetimes ``start`` and ``end``.

    Typically the class timetable: the plugin keeps such slots from the student and refuses
    bookings that overlap them.
    """


@hookspec(firstresult=True)
def appointments_base_template():
    """Return the name of the host template the plugin's pages extend.

    It must define the blocks ``title``, ``content``, ``head`` (inside ``<head>``) and
    ``scripts`` (end of ``<body>``).
    """


@hookspec(firstresult=True)
def appointments_profile_url(student_key):
    """Return the URL of the host's profile page of student ``student_key``, or None."""


@hookspec
def appointments_notification_channels(settings):
    """Return a list of extra notification channels, e.g. SMS.

    A channel is an object with a ``name`` (what users pick in their preferences) and
    ``send(delivery)``: ``delivery.recipient`` has the person's ``name``, ``email`` and
    ``timezone``, ``delivery.message`` the rendered ``subject``, ``text`` and ``html``, and
    ``delivery.notification`` the outbox row (``event``, ``payload``, ``dedupe_key``).
    ``send`` returns once the message is handed over and raises to have it retried.
    ``settings`` are the plugin's SIS_APPOINTMENTS_* settings.
    """


@hookspec
def appointments_booking_created(event):
    """A booking was made; ``event`` is an ``AppointmentEvent`` naming the booking."""


@hookspec
def appointments_booking_cancelled(event):
    """A booking was cancelled (also late, or because the student left)."""


@hookspec
def appointments_booking_rescheduled(event):
    """A booking moved to another slot; ``event.data`` holds the old and new slot IDs."""


@hookspec
def appointments_booking_attended(event):
    """A booking was marked attended."""


@hookspec
def appointments_booking_no_show(event):
    """A booking was marked as a no-show."""


@hookspec
def appointments_waitlist_joined(event):
    """A student joined a slot's waitlist; ``event.data`` holds their position."""


@hookspec
def appointments_waitlist_left(event):
    """A student left a waitlist (or their offer was passed on)."""


@hookspec
def appointments_waitlist_promoted(event):
    """A waiting student was given a freed seat; ``event.data`` names the new booking."""


@hookspec
def appointments_slot_changed(event):
    """A slot's time, place, capacity or status changed."""

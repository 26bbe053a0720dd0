"""Hooks the appointments plugin asks of its host, and the events it announces to it.

Added to the host's plugin manager by ``sis_add_hookspecs``. Look-ups are ``firstresult``:
the first non-None answer wins. Events are broadcast after the transaction that caused
them has committed; a rolled-back transaction announces nothing.

Each event hook gets one ``AppointmentEvent`` (``name``, ``entity``, ``entity_id``,
``actor_key``: None when the plugin acted on its own, ``data``). Its docstring ends with a
``Data keys:`` block, one ``- key: meaning`` line per key of ``event.data``; ``(optional)``
after a key marks one that only some announcements carry. No other key is ever sent
(``tests/engine/test_event_payloads.py``), and ``scripts/hook-reference`` builds the
README's hook tables from these docstrings.
"""

from __future__ import annotations

from sis_appointments.hooks import hookspec


@hookspec(firstresult=True)
def appointments_identify(user):
    """Return the ``SisUser`` for the host's user object ``user``, or None if unknown.

    This is where a host maps its own roles to the plugin's ``admin``, ``staff`` and
    ``student`` roles and names the user's groups (programs, cohorts, offices).

    Stops at the first non-None answer.
    """


@hookspec(firstresult=True)
def appointments_get_user(user_key):
    """Return the ``SisUser`` with key ``user_key`` (staff or student), or None.

    Stops at the first non-None answer.
    """


@hookspec(firstresult=True)
def appointments_get_users(user_keys):
    """Return the ``SisUser`` of each key in ``user_keys`` at once, as a dict by key (unknown
    keys left out), or None to have each asked through ``appointments_get_user``. Optional;
    pages listing many people ask it once instead of once per person.

    Stops at the first non-None answer.
    """


@hookspec(firstresult=True)
def appointments_get_student(student_key):
    """Return the ``Student`` with key ``student_key`` from the host's directory, or None.

    Stops at the first non-None answer.
    """


@hookspec(firstresult=True)
def appointments_search_students(query, limit):
    """Return at most ``limit`` ``Student`` records whose name, email or ID matches ``query``.

    Stops at the first non-None answer.
    """


@hookspec(firstresult=True)
def appointments_busy_times(student_key, start, end):
    """Return the ``BusyTime`` list of a student between aware datetimes ``start`` and ``end``.

    Typically the class timetable: the plugin keeps such slots from the student and refuses
    bookings that overlap them.

    Stops at the first non-None answer.
    """


@hookspec(firstresult=True)
def appointments_base_template():
    """Return the name of the host template the plugin's pages extend.

    It must define the blocks ``title``, ``content``, ``head`` (inside ``<head>``) and
    ``scripts`` (end of ``<body>``).

    Stops at the first non-None answer.
    """


@hookspec(firstresult=True)
def appointments_profile_url(student_key):
    """Return the URL of the host's profile page of student ``student_key``, or None.

    Stops at the first non-None answer.
    """


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
    """A booking was made (``event.entity`` is ``"booking"``, ``entity_id`` its id).

    Data keys:
    - slot_id: the slot booked
    - student_key: the student who holds the booking
    """


@hookspec
def appointments_booking_cancelled(event):
    """A booking was cancelled: by the student (also late), by staff, because its slot was
    cancelled or because the student left the SIS (``event.entity`` is ``"booking"``).

    Data keys:
    - slot_id: the slot whose seat was freed
    - student_key: the student who held the booking
    - reason: why, as given (may be empty), or the plugin's own words when a slot was
      cancelled without one or the student left the SIS
    - late (optional): True when the student cancelled after the type's cutoff (only when
      the booking itself was cancelled, not its slot, not by a departing student)
    - by_staff (optional): True (only when the booking ended because staff cancelled its slot)
    """


@hookspec
def appointments_booking_rescheduled(event):
    """A booking moved to another slot, by a reschedule or by staff moving a slot's bookings
    (``event.entity`` is ``"booking"``).

    Data keys:
    - slot_id: the slot the booking is in now (the same as ``new_slot_id``)
    - student_key: the student who holds the booking
    - old_slot_id: the slot it left
    - new_slot_id: the slot it moved to
    """


@hookspec
def appointments_booking_attended(event):
    """A booking was marked attended (``event.entity`` is ``"booking"``).

    Data keys:
    - slot_id: the slot of the booking
    - student_key: the student who attended
    """


@hookspec
def appointments_booking_no_show(event):
    """A booking was marked as a no-show (``event.entity`` is ``"booking"``).

    Data keys:
    - slot_id: the slot of the booking
    - student_key: the student who did not come
    """


@hookspec
def appointments_waitlist_joined(event):
    """A student joined a slot's waitlist (``event.entity`` is ``"waitlist_entry"``).

    Data keys:
    - slot_id: the full slot waited for
    - student_key: the waiting student
    - position: their place in line when they joined (1 is first)
    """


@hookspec
def appointments_waitlist_left(event):
    """A student left a waitlist themself or declined the seat offered to them, or staff
    took them off it; a seat held for their offer is passed on (``event.entity`` is
    ``"waitlist_entry"``). Not announced when a place closes because its slot was cancelled,
    the student left the SIS or an offer expired.

    Data keys:
    - slot_id: the slot they waited for
    - student_key: the student who left
    - declined (optional): True when they declined an offered seat (only then)
    """


@hookspec
def appointments_waitlist_offered(event):
    """A freed seat is held for the first student waiting, in offer mode (the type's
    ``offer_minutes``): they accept or decline it before it expires, or it passes on
    (``event.entity`` is ``"waitlist_entry"``). Accepting is announced as
    ``appointments_waitlist_promoted``.

    Data keys:
    - slot_id: the slot whose seat is held
    - student_key: the student it is held for
    - offer_expires_at: when the offer lapses (ISO 8601, UTC)
    """


@hookspec
def appointments_waitlist_promoted(event):
    """A waiting student was given a freed seat, or accepted the seat offered to them
    (``event.entity`` is ``"waitlist_entry"``).

    Data keys:
    - slot_id: the slot of the new booking
    - student_key: the promoted student
    - booking_id: the booking made for them
    """


@hookspec
def appointments_slot_changed(event):
    """A slot was created, or its time, place, capacity or status changed; a new series
    is announced once, not per slot (``event.entity`` is ``"slot"``, or ``"series"``).

    Slots a series adds later, as its horizon moves forward, are not announced.

    Data keys:
    - slot_id (optional): the slot (absent only for a new series)
    - series_id (optional): the new series (only when a series was created)
    - created (optional): True (only for a new slot or series)
    - before (optional): the slot before a change or cancellation (``start``, ``end``,
      ``host_key``, ``location``, ``capacity``, ``status``)
    - after (optional): the slot after a change or cancellation, with the same keys
    - reason (optional): why it was cancelled (only for a cancellation)
    - waiting (optional): the students whose waitlist places its cancellation ended (they
      are told; its booked students hear of it as ``booking_cancelled``)
    """

"""The socket messages an event means, derived without Socket.IO (the web only sends them)."""

from __future__ import annotations

from engine.actors import NOW, at, student

from sis_appointments.contract import AppointmentEvent
from sis_appointments.services.notifications import live
from sis_appointments.services.scheduling import booking, waitlist


def test_a_booking_tells_its_host_its_student_and_everyone_watching_the_slot(
        session, sessions, create_slot):
    slot = create_slot(start=at(2), capacity=2, host_key="h1")
    made = booking.book(session, actor=student("s1"), slot_id=slot.id, now=NOW)
    event = AppointmentEvent("booking_created", "booking", made.id, "s1",
                             {"slot_id": slot.id, "student_key": "s1"})

    with sessions() as fresh:  # as after the commit: a session of its own
        sent = {(m.event, m.room): m.payload for m in live.messages(fresh, event)}

    assert sent[("booking.created", "host:h1")] == {"id": made.id, "slot_id": slot.id}
    assert sent[("booking.created", "user:s1")] == {"id": made.id, "slot_id": slot.id}
    for room in (f"type:{slot.type_id}", "host:h1"):
        assert sent[("slot.availability", room)] == {
            "slot_id": slot.id, "remaining": 1, "capacity": 2, "waitlist_length": 0,
            "status": "open"}
    assert not any(room.startswith("user:s2") for _, room in sent)


def test_waiting_students_hear_their_places_and_a_moved_booking_updates_both_slots(
        session, create_slot):
    old = create_slot(start=at(2), capacity=1, host_key="h1")
    new = create_slot(start=at(3), capacity=1, host_key="h1", type=old.type)
    made = booking.book(session, actor=student("s1"), slot_id=old.id, now=NOW)
    for key in ("w1", "w2"):
        waitlist.join(session, actor=student(key), slot_id=old.id, now=NOW)
    event = AppointmentEvent("booking_rescheduled", "booking", made.id, "s1",
                             {"slot_id": old.id, "student_key": "s1", "old_slot_id": old.id,
                              "new_slot_id": new.id})

    sent = live.messages(session, event)

    places = {m.room: m.payload["position"] for m in sent if m.event == "waitlist.position"}
    assert places == {"user:w1": 1, "user:w2": 2}
    availability = {m.payload["slot_id"] for m in sent if m.event == "slot.availability"}
    assert availability == {old.id, new.id}


def test_an_event_about_no_slot_sends_nothing(session):
    event = AppointmentEvent("slot_changed", "series", 1, None, {"series_id": 1})
    assert live.messages(session, event) == []

"""The outbox is written in the transaction of the change: who hears of what, on which
channels, and nothing at all for a change that did not happen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from engine.actors import NOW, at, staff, student
from sqlalchemy import select

from sis_appointments.domain.errors import Conflict
from sis_appointments.models import Notification
from sis_appointments.services.notifications import preferences
from sis_appointments.services.scheduling import booking, slots, students


def notes(session, event=None):
    session.rollback()
    query = select(Notification)
    if event:
        query = query.where(Notification.event == event)
    return {(n.event, n.recipient_key, n.channel) for n in session.scalars(query)}


def test_a_booking_notifies_the_student_and_the_host_on_their_default_channels(
        session, create_slot):
    slot = create_slot(start=at(2), host_key="host1")
    booking.book(session, actor=student("s1"), slot_id=slot.id, now=NOW)
    assert notes(session) == {
        ("booking_created", "s1", "email"), ("booking_created", "s1", "inapp"),
        ("booking_created", "host1", "email"), ("booking_created", "host1", "inapp")}


def test_a_refused_booking_writes_no_notification(session, create_slot):
    slot = create_slot(start=at(2), host_key="host1", capacity=1)
    booking.book(session, actor=student("s1"), slot_id=slot.id, now=NOW)
    before = notes(session)
    with pytest.raises(Conflict):
        booking.book(session, actor=student("s2"), slot_id=slot.id, now=NOW)
    assert notes(session) == before


def test_moving_a_slot_tells_its_booked_students_what_it_was(session, create_slot):
    slot = create_slot(start=at(2), host_key="host1", capacity=3)
    for key in ("s1", "s2"):
        booking.book(session, actor=student(key), slot_id=slot.id, now=NOW)
    slots.update(session, actor=staff("host1"), slot_id=slot.id,
                 start=at(2, 1), end=at(2, 1) + timedelta(minutes=30))
    assert notes(session, "slot_changed") == {
        ("slot_changed", k, c) for k in ("s1", "s2") for c in ("email", "inapp")}
    [row] = session.scalars(select(Notification).where(
        Notification.event == "slot_changed", Notification.recipient_key == "s1",
        Notification.channel == "email"))
    assert row.payload["before"]["start"] == at(2).isoformat()
    slots.update(session, actor=staff("host1"), slot_id=slot.id, capacity=4)
    assert len(notes(session, "slot_changed")) == 4, "a capacity change is not news to them"


def test_a_student_who_switched_cancellations_off_still_gets_the_staff_cancellation_email(
        session, create_slot):
    preferences.update(session, user=student("s1"), events={"booking_cancelled": []})
    mine = create_slot(start=at(2), host_key="host1")
    theirs = create_slot(start=at(3), host_key="host1")
    own = booking.book(session, actor=student("s1"), slot_id=mine.id, now=NOW)
    other = booking.book(session, actor=student("s1"), slot_id=theirs.id, now=NOW)
    booking.cancel(session, actor=student("s1"), booking_id=own.id, now=NOW)
    assert ("booking_cancelled", "s1", "email") not in notes(session), "their own: as chosen"
    booking.cancel(session, actor=staff("host1"), booking_id=other.id, now=NOW)
    student_notes = {n for n in notes(session, "booking_cancelled") if n[1] == "s1"}
    assert student_notes == {("booking_cancelled", "s1", "email")}


def test_a_deactivated_student_is_told_their_bookings_are_cancelled(session, create_slot):
    slot = create_slot(start=at(2), host_key="host1")
    booking.book(session, actor=student("s1"), slot_id=slot.id, now=NOW)
    students.deactivate(session, "s1")
    assert {("booking_cancelled", "s1", "email"), ("booking_cancelled", "host1", "email")} <= \
        notes(session, "booking_cancelled")

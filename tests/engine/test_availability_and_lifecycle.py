"""What a student is offered, and what leaving the SIS does to others on the waitlist."""

from __future__ import annotations

from engine.actors import NOW, at, student
from sqlalchemy import select

from sis_appointments.contract import BusyTime
from sis_appointments.models import Booking, WaitlistEntry
from sis_appointments.services.scheduling import availability, booking, students, waitlist


def test_slots_a_student_is_busy_for_are_hidden_from_them(session, create_slot, fake_host):
    free = create_slot(start=at(2), location="A")
    in_class = create_slot(start=at(3), location="B")
    full = create_slot(start=at(4), location="C", capacity=1)
    mine = create_slot(start=at(5), location="D", capacity=2)
    booking.book(session, actor=student("other"), slot_id=full.id, now=NOW)
    booking.book(session, actor=student("s1"), slot_id=mine.id, now=NOW)
    fake_host.busy["s1"] = [BusyTime(at(3), at(3, 1), "MATH 101")]
    offered = availability.for_student(session, "s1", NOW, at(10))
    assert [s.id for s in offered] == [free.id]
    assert {s.id for s in availability.for_student(session, "s2", NOW, at(10))} == {
        free.id, in_class.id, mine.id}


def test_deactivating_a_student_hands_their_seat_to_the_waitlist(session, create_slot):
    slot = create_slot(start=at(2), capacity=1)
    booking.book(session, actor=student("leaving"), slot_id=slot.id, now=NOW)
    waitlist.join(session, actor=student("next"), slot_id=slot.id, now=NOW)
    assert students.deactivate(session, "leaving") == 1
    held = session.scalars(select(Booking.student_key).where(
        Booking.slot_id == slot.id, Booking.status == "confirmed")).all()
    assert held == ["next"]
    assert session.scalars(select(WaitlistEntry.status)).all() == ["promoted"]

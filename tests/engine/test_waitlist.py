"""Waitlists: joining, positions, automatic promotion in order, skipping, offers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from engine.actors import NOW, at, staff, student
from engine.invariants import violations
from sqlalchemy import select

from sis_appointments.contract import BusyTime
from sis_appointments.domain.errors import Conflict
from sis_appointments.models import Booking, Notification, Slot, WaitlistEntry
from sis_appointments.services.scheduling import booking, waitlist


@pytest.fixture
def full_slot(session, create_slot):
    slot = create_slot(start=at(2), capacity=1, host_key="host1")
    booking.book(session, actor=student("holder"), slot_id=slot.id, now=NOW)
    return slot


def join(session, slot, key, minutes=0):
    return waitlist.join(session, actor=student(key), slot_id=slot.id,
                         now=NOW + timedelta(minutes=minutes))


def test_join_only_when_full_and_see_position(session, create_slot, full_slot):
    free = create_slot(start=at(3), capacity=1)
    with pytest.raises(Conflict) as error:
        join(session, free, "s1")
    assert error.value.code == "seats_available"
    first, second = join(session, full_slot, "s1", 1), join(session, full_slot, "s2", 2)
    assert (waitlist.position(session, first), waitlist.position(session, second)) == (1, 2)
    with pytest.raises(Conflict, match="already waiting"):
        join(session, full_slot, "s1", 3)
    with pytest.raises(Conflict, match="already holds|already has"):
        join(session, full_slot, "holder", 3)


def test_waitlist_size_and_switch(session, create_type, create_slot):
    small = create_type(waitlist_size=1)
    slot = create_slot(start=at(2), capacity=1, type=small)
    booking.book(session, actor=student("holder"), slot_id=slot.id, now=NOW)
    join(session, slot, "s1")
    with pytest.raises(Conflict) as error:
        join(session, slot, "s2")
    assert (error.value.code, error.value.details["waitlist_length"]) == ("waitlist_full", 1)
    off = create_slot(start=at(3), capacity=1, type=create_type(waitlist_enabled=False))
    booking.book(session, actor=student("holder"), slot_id=off.id, now=NOW)
    with pytest.raises(Conflict, match="no waitlist"):
        join(session, off, "s1")


def test_cancellation_promotes_the_first_in_line_exactly_once(session, full_slot):
    join(session, full_slot, "s1", 1)
    join(session, full_slot, "s2", 2)
    held = session.scalars(select(Booking).where(Booking.student_key == "holder")).one()
    booking.cancel(session, actor=student("holder"), booking_id=held.id, now=NOW)
    session.expire_all()
    active = session.scalars(select(Booking.student_key).where(
        Booking.slot_id == full_slot.id, Booking.status == "confirmed")).all()
    assert active == ["s1"]
    assert session.get(Slot, full_slot.id).booked == 1
    entries = {e.student_key: e for e in session.scalars(select(WaitlistEntry))}
    assert entries["s1"].status == "promoted" and entries["s1"].booking_id is not None
    assert waitlist.position(session, entries["s2"]) == 1
    promoted = {(n.recipient_key, n.channel) for n in session.scalars(
        select(Notification).where(Notification.event == "waitlist_promoted"))}
    assert ("s1", "email") in promoted and ("s2", "email") not in promoted


def test_students_who_now_conflict_are_skipped_and_keep_their_place(
    session, create_slot, full_slot, fake_host
):
    join(session, full_slot, "busy", 1)
    join(session, full_slot, "free", 2)
    fake_host.busy["busy"] = [BusyTime(at(2), at(2, 1), "exam")]
    held = session.scalars(select(Booking).where(Booking.student_key == "holder")).one()
    booking.cancel(session, actor=student("holder"), booking_id=held.id, now=NOW)
    session.expire_all()
    statuses = {e.student_key: e.status for e in session.scalars(select(WaitlistEntry))}
    assert statuses == {"busy": "waiting", "free": "promoted"}
    busy_entry = session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.student_key == "busy")).one()
    assert waitlist.position(session, busy_entry) == 1


def test_raising_capacity_or_rescheduling_away_promotes_too(session, create_slot, full_slot):
    join(session, full_slot, "s1", 1)
    other = create_slot(start=at(5), host_key="host1")
    held = session.scalars(select(Booking).where(Booking.student_key == "holder")).one()
    booking.reschedule(session, actor=student("holder"), booking_id=held.id,
                       target_slot_id=other.id, now=NOW)
    session.expire_all()
    assert session.scalars(select(WaitlistEntry.status)).one() == "promoted"


def test_a_waiting_student_whose_clash_goes_away_gets_the_free_seat(session, create_slot):
    """Issue #14 item 3: X and Y at the same time on different calendars."""
    x = create_slot(start=at(2), host_key="host1")
    y = create_slot(start=at(2), host_key="host2")
    a_on_x = booking.book(session, actor=student("a"), slot_id=x.id, now=NOW)
    place = waitlist.join(session, actor=student("w"), slot_id=x.id, now=NOW)
    w_on_y = booking.book(session, actor=student("w"), slot_id=y.id, now=NOW)
    booking.cancel(session, actor=student("a"), booking_id=a_on_x.id, now=NOW)
    session.expire_all()
    assert (session.get(Slot, x.id).booked, session.get(WaitlistEntry, place.id).status) == (
        0, "waiting")  # skipped: W holds Y at that time, and keeps the place
    assert violations(session) == []
    booking.cancel(session, actor=student("w"), booking_id=w_on_y.id, now=NOW)
    session.expire_all()
    assert session.get(WaitlistEntry, place.id).status == "promoted"
    assert session.scalars(select(Booking.student_key).where(
        Booking.slot_id == x.id, Booking.status == "confirmed")).all() == ["w"]
    assert violations(session) == []


def _a_free_seat_w_cannot_take_for_an_exam(session, create_slot, fake_host):
    """X (one seat) freed by A while W, first in line, has an exam then: the seat stays
    free beside W's place. Returns X and W's place."""
    x = create_slot(start=at(2), host_key="host1")
    a_on_x = booking.book(session, actor=student("a"), slot_id=x.id, now=NOW)
    place = waitlist.join(session, actor=student("w"), slot_id=x.id, now=NOW)
    fake_host.busy["w"] = [BusyTime(at(2), at(2, 1), "exam")]
    booking.cancel(session, actor=student("a"), booking_id=a_on_x.id, now=NOW)
    return x, place


def test_booking_a_slot_directly_closes_ones_own_place_on_it(session, create_slot, fake_host):
    x, place = _a_free_seat_w_cannot_take_for_an_exam(session, create_slot, fake_host)
    fake_host.busy["w"] = []  # the exam moved: W books the free seat themself
    mine = booking.book(session, actor=student("w"), slot_id=x.id, now=NOW)
    session.expire_all()
    entry = session.get(WaitlistEntry, place.id)
    assert (entry.status, entry.booking_id) == ("promoted", mine.id)
    assert session.scalars(select(WaitlistEntry.status).where(
        WaitlistEntry.slot_id == x.id)).all() == ["promoted"]  # nobody waits any more
    assert violations(session) == []


def test_the_periodic_check_promotes_where_a_seat_sits_free(session, create_slot, fake_host):
    x, place = _a_free_seat_w_cannot_take_for_an_exam(session, create_slot, fake_host)
    assert waitlist.reconcile(session, now=NOW) == 0  # still clashes with the exam
    fake_host.busy["w"] = []  # the timetable changed in the SIS
    assert waitlist.reconcile(session, now=NOW) == 1
    session.expire_all()
    assert session.get(WaitlistEntry, place.id).status == "promoted"
    assert violations(session) == []


def test_offer_mode_holds_the_seat_until_accepted_or_expired(session, create_type, create_slot):
    offering = create_type(offer_minutes=30)
    slot = create_slot(start=at(2), capacity=1, type=offering)
    held = booking.book(session, actor=student("holder"), slot_id=slot.id, now=NOW)
    first, second = join(session, slot, "s1", 1), join(session, slot, "s2", 2)
    booking.cancel(session, actor=student("holder"), booking_id=held.id, now=NOW)
    session.expire_all()
    assert session.get(WaitlistEntry, first.id).status == "offered"
    assert session.get(Slot, slot.id).booked == 1, "the seat is held for the offer"
    with pytest.raises(Conflict):
        booking.book(session, actor=student("s3"), slot_id=slot.id, now=NOW)

    assert waitlist.expire_offers(session, now=NOW + timedelta(minutes=31)) == 1
    session.expire_all()
    assert session.get(WaitlistEntry, first.id).status == "expired"
    assert session.get(WaitlistEntry, second.id).status == "offered"
    made = waitlist.accept_offer(session, actor=student("s2"), entry_id=second.id,
                                 now=NOW + timedelta(minutes=40))
    session.expire_all()
    assert made.student_key == "s2" and session.get(Slot, slot.id).booked == 1
    assert session.get(WaitlistEntry, second.id).status == "promoted"
    with pytest.raises(Conflict, match="offer has expired") as error:
        waitlist.accept_offer(session, actor=student("s1"), entry_id=first.id, now=NOW)
    assert error.value.code == "offer_expired"


def test_leaving_the_waitlist(session, full_slot):
    entry = join(session, full_slot, "s1")
    with pytest.raises(Exception, match="cannot manage|only act"):
        waitlist.leave(session, actor=student("s2"), entry_id=entry.id)
    assert waitlist.leave(session, actor=student("s1"), entry_id=entry.id).status == "left"
    assert waitlist.position(session, entry) is None
    assert waitlist.leave(session, actor=staff("host1"), entry_id=join(
        session, full_slot, "s1").id).status == "left"

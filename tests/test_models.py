"""Constraints and types of the appt_* tables, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, StatementError

from sis_appointments.models import PREFIX, Booking, Slot, WaitlistEntry, metadata


def test_every_plugin_table_carries_the_prefix():
    assert metadata.tables
    assert [name for name in metadata.tables if not name.startswith(PREFIX)] == []


def test_a_slot_cannot_hold_more_bookings_than_seats(session, create_slot):
    slot = create_slot(capacity=2)
    session.execute(update(Slot).where(Slot.id == slot.id).values(booked=2))
    session.commit()
    with pytest.raises(IntegrityError, match="booked_within_capacity"):
        session.execute(update(Slot).where(Slot.id == slot.id).values(booked=3))
        session.flush()
    session.rollback()
    assert session.scalar(select(Slot.booked).where(Slot.id == slot.id)) == 2


def test_capacity_cannot_drop_below_the_bookings_held(session, create_slot, create_booking):
    slot = create_slot(capacity=2)
    create_booking("s1", slot)
    create_booking("s2", slot)
    with pytest.raises(IntegrityError):
        session.execute(update(Slot).where(Slot.id == slot.id).values(capacity=1))
        session.flush()
    session.rollback()


def test_one_active_booking_per_student_and_slot(session, create_slot, create_booking):
    slot = create_slot(capacity=5)
    create_booking("s1", slot)
    session.add(Booking(slot_id=slot.id, student_key="s1", status="confirmed"))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_cancelled_bookings_do_not_block_booking_again(session, create_slot, create_booking):
    slot = create_slot(capacity=5)
    create_booking("s1", slot, status="cancelled")
    create_booking("s1", slot, status="late_cancelled")
    create_booking("s1", slot)
    statuses = session.scalars(select(Booking.status).where(Booking.slot_id == slot.id))
    assert sorted(statuses) == ["cancelled", "confirmed", "late_cancelled"]


def test_one_open_waitlist_place_per_student_and_slot(session, create_slot):
    slot = create_slot()
    session.add_all([WaitlistEntry(slot_id=slot.id, student_key="s1", status="left"),
                     WaitlistEntry(slot_id=slot.id, student_key="s1")])
    session.commit()
    session.add(WaitlistEntry(slot_id=slot.id, student_key="s1", status="offered"))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


@pytest.mark.parametrize("field,value", [("status", "maybe"), ("capacity", 0)])
def test_slot_checks_reject_impossible_values(session, create_slot, field, value):
    slot = create_slot()
    with pytest.raises(IntegrityError):
        session.execute(update(Slot).where(Slot.id == slot.id).values({field: value}))
        session.flush()
    session.rollback()


def test_a_slot_must_end_after_it_starts(session, create_slot):
    start = datetime(2030, 1, 1, 9, tzinfo=UTC)
    with pytest.raises(IntegrityError):
        create_slot(start=start, minutes=0)
    session.rollback()


def test_instants_come_back_as_aware_utc(session, create_slot):
    berlin_morning = datetime(2030, 7, 1, 9, 0, tzinfo=timezone(timedelta(hours=2)))
    slot = create_slot(start=berlin_morning)
    session.expire_all()
    stored = session.get(Slot, slot.id)
    assert stored.start_utc == datetime(2030, 7, 1, 7, 0, tzinfo=UTC)
    assert stored.start_utc.tzinfo is UTC


def test_naive_datetimes_are_refused(session, create_slot):
    with pytest.raises(StatementError, match="naive datetime"):
        create_slot(start=datetime(2030, 1, 1, 9))
    session.rollback()

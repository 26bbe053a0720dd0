"""The invariants under real concurrency: threads with their own connections.

On PostgreSQL and on SQLite (WAL, BEGIN IMMEDIATE). A deliberately naive read-then-write
booking path, kept only here, shows the invariant check is able to fail.
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from engine.actors import NOW, at, student
from engine.invariants import violations
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from sis_appointments.database import make_engine, make_sessionmaker
from sis_appointments.domain.errors import SchedulingError
from sis_appointments.models import Booking, Slot, WaitlistEntry, metadata
from sis_appointments.plugin import sis_object_manager
from sis_appointments.services.scheduling import booking, waitlist

# Threads with connections of their own commit: a fresh database each (conftest).
pytestmark = pytest.mark.own_database

WORKERS = 32


@pytest.fixture
def concurrent_sessions(database_url, fake_host):
    engine = make_engine(database_url, 30)
    if engine.dialect.name == "postgresql":
        engine.dispose()
        from sqlalchemy import create_engine
        engine = create_engine(database_url, pool_size=WORKERS + 4, max_overflow=0)
    metadata.create_all(engine)
    factory = make_sessionmaker(engine, sis_object_manager(fake_host))
    yield factory
    engine.dispose()


def race(factory, calls):
    """Run each call(session) on its own thread and session, all released at once."""
    start = threading.Event()

    def one(call):
        session = factory()
        try:
            start.wait(timeout=10)
            return call(session)
        except SchedulingError as exc:
            return exc
        except OperationalError as exc:  # 'database is locked' would land here
            return exc
        finally:
            session.close()

    with ThreadPoolExecutor(WORKERS) as pool:
        futures = [pool.submit(one, call) for call in calls]
        threading.Event().wait(0.2)  # let every worker thread reach the start line
        start.set()
        return [f.result() for f in futures]


def test_200_students_race_for_5_seats(concurrent_sessions, create_slot, session):
    slot = create_slot(start=at(2), capacity=5)
    outcomes = race(concurrent_sessions, [
        (lambda s, k=f"s{i}": booking.book(s, actor=student(k), slot_id=slot.id, now=NOW))
        for i in range(200)])
    booked = [o for o in outcomes if isinstance(o, Booking)]
    refused = [o for o in outcomes if isinstance(o, SchedulingError)]
    assert len(booked) == 5
    assert len(refused) == 195 and {e.code for e in refused} == {"slot_full"}
    assert not [o for o in outcomes if isinstance(o, OperationalError)]
    assert violations(session) == []


def test_one_student_racing_overlapping_slots_gets_at_most_one(
    concurrent_sessions, create_slot, session
):
    slots = [create_slot(start=at(2, i * 0.25), minutes=60, host_key=f"h{i}", capacity=3)
             for i in range(4)]
    outcomes = race(concurrent_sessions, [
        (lambda s, sid=slot.id: booking.book(s, actor=student("same"), slot_id=sid, now=NOW))
        for slot in slots for _ in range(8)])
    assert len([o for o in outcomes if isinstance(o, Booking)]) == 1
    assert violations(session) == []


def test_storm_of_cancellations_and_bookings_with_a_waitlist(
    concurrent_sessions, create_slot, session
):
    slots = [create_slot(start=at(2, i * 2), capacity=3, host_key="h") for i in range(3)]
    holders = {}
    for slot in slots:
        for n in range(3):
            made = booking.book(session, actor=student(f"holder{slot.id}-{n}"), slot_id=slot.id,
                                now=NOW)
            holders[made.id] = made.student_key
        for n in range(6):
            waitlist.join(session, actor=student(f"wait{slot.id}-{n}"), slot_id=slot.id,
                          now=NOW + timedelta(seconds=n))
    rng = random.Random(7)
    calls = [(lambda s, b=bid, k=key: booking.cancel(s, actor=student(k), booking_id=b, now=NOW))
             for bid, key in holders.items()]
    targets = [rng.choice(slots).id for _ in range(40)]
    calls += [(lambda s, sid=sid, k=f"late{i}":
               booking.book(s, actor=student(k), slot_id=sid, now=NOW))
              for i, sid in enumerate(targets)]
    rng.shuffle(calls)
    outcomes = race(concurrent_sessions, calls)
    assert not [o for o in outcomes if isinstance(o, OperationalError)]
    assert violations(session) == []
    promoted = session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.status == "promoted")).all()
    assert len(promoted) == 9, "each of the 9 freed seats went to one waiting student"
    for slot in slots:
        line = session.scalars(select(WaitlistEntry.student_key).where(
            WaitlistEntry.slot_id == slot.id, WaitlistEntry.status == "promoted")
            .order_by(WaitlistEntry.created_at)).all()
        assert line == [f"wait{slot.id}-{n}" for n in range(3)], "promoted in order"


def naive_book(session, slot_id, student_key):
    """The wrong way: read the counter, decide in Python, write it back."""
    with session.begin():
        slot = session.get(Slot, slot_id)
        if slot.booked >= slot.capacity:
            raise SchedulingError("full", code="slot_full")
        seen = slot.booked
        threading.Event().wait(0.005)  # the window a real request has between read and write
        session.execute(update(Slot).where(Slot.id == slot_id).values(booked=seen + 1))
        session.add(Booking(slot_id=slot_id, student_key=student_key))
    return "booked"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_invariant_check_catches_a_naive_booking_path(
    concurrent_sessions, create_slot, session
):
    """On PostgreSQL (SQLite's single writer hides the lost update)."""
    slot = create_slot(start=at(2), capacity=5)
    race(concurrent_sessions, [
        (lambda s, k=f"n{i}": naive_book(s, slot.id, k)) for i in range(64)])
    problems = violations(session)
    assert any("active bookings > capacity" in p for p in problems), problems

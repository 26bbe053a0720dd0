"""The seat ledger is the one place seats change: every path that frees or takes a seat
keeps the counter, the booking versions and the waitlist right (defects of the copies it
replaced: a slot cancel that left versions alone, merges that neither promoted nor retried)."""

from __future__ import annotations

import ast
import threading
import time
from pathlib import Path

import pytest
from engine.actors import NOW, at, staff, student
from engine.invariants import violations
from sqlalchemy import select, text

import sis_appointments
from sis_appointments.models import Booking, Slot, WaitlistEntry
from sis_appointments.services.scheduling import booking, slots, students, waitlist

SRC = Path(sis_appointments.__file__).resolve().parent


def _booked(session, slot_id):
    session.expire_all()
    return session.get(Slot, slot_id).booked


def test_cancelling_a_slot_ends_each_booking_as_a_new_version_and_frees_every_seat(
        session, create_type, create_slot):
    offering = create_type(hosts=("host1",), offer_minutes=30)
    slot = create_slot(start=at(2), capacity=2, type=offering, host_key="host1")
    first = booking.book(session, actor=student("a"), slot_id=slot.id, now=NOW)
    booking.book(session, actor=student("b"), slot_id=slot.id, now=NOW)
    waitlist.join(session, actor=student("c"), slot_id=slot.id, now=NOW)
    booking.cancel(session, actor=student("a"), booking_id=first.id, now=NOW)  # c is offered
    versions = {b.id: b.version for b in session.scalars(select(Booking).where(
        Booking.status == "confirmed"))}
    assert len(versions) == 1  # b's; c holds an offer

    slots.cancel(session, actor=staff("host1"), slot_id=slot.id, reason="ill")

    session.expire_all()
    after = {b.id: b.version for b in session.scalars(select(Booking).where(
        Booking.id.in_(versions), Booking.status == "cancelled"))}
    assert after.keys() == versions.keys()
    assert all(after[key] > versions[key] for key in versions)
    assert session.scalars(select(WaitlistEntry.status)).all() == ["removed"]
    assert _booked(session, slot.id) == 0
    assert violations(session) == []


def test_merging_a_duplicate_seat_away_promotes_the_waitlist(session, create_slot):
    slot = create_slot(start=at(2), capacity=2)
    booking.book(session, actor=student("old"), slot_id=slot.id, now=NOW)
    booking.book(session, actor=student("new"), slot_id=slot.id, now=NOW)
    waitlist.join(session, actor=student("next"), slot_id=slot.id, now=NOW)

    students.merge(session, "old", "new")

    session.expire_all()
    active = session.scalars(select(Booking.student_key).where(
        Booking.slot_id == slot.id, Booking.status == "confirmed")).all()
    assert sorted(active) == ["new", "next"]
    assert session.scalars(select(WaitlistEntry.status)).all() == ["promoted"]
    assert violations(session) == []


def test_a_departing_student_holding_an_offer_passes_the_seat_on(
        session, create_type, create_slot):
    offering = create_type(offer_minutes=30)
    slot = create_slot(start=at(2), capacity=1, type=offering)
    held = booking.book(session, actor=student("a"), slot_id=slot.id, now=NOW)
    waitlist.join(session, actor=student("leaving"), slot_id=slot.id, now=NOW)
    waitlist.join(session, actor=student("next"), slot_id=slot.id, now=NOW)
    booking.cancel(session, actor=student("a"), booking_id=held.id, now=NOW)  # offered

    students.deactivate(session, "leaving")

    session.expire_all()
    statuses = dict(session.execute(
        select(WaitlistEntry.student_key, WaitlistEntry.status)).all())
    assert statuses == {"leaving": "removed", "next": "offered"}
    assert _booked(session, slot.id) == 1
    assert violations(session) == []


def test_back_to_back_appointments_do_not_overlap_anywhere(session, create_slot):
    first = create_slot(start=at(2), minutes=30, location="Room 1")
    second = create_slot(start=at(2, 0.5), minutes=30, location="Room 1")
    booking.book(session, actor=student("s"), slot_id=first.id, now=NOW)
    booking.book(session, actor=student("s"), slot_id=second.id, now=NOW)
    made = slots.create_custom(session, actor=staff("1"), type_id=first.type_id, host_key="1",
                               start=at(2, 1), end=at(2, 1.5), split=False,
                               location="Room 1")
    assert len(made) == 1


def _wait_until_blocked(engine, timeout=10.0) -> None:
    """Return once a connection to this database waits for a lock."""
    deadline = time.monotonic() + timeout
    with engine.connect() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"))
            watcher.rollback()  # statistics are a snapshot per transaction
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the merge never waited for the rows held")


@pytest.mark.own_database  # a thread commits beside the test: a fresh database (conftest)
@pytest.mark.parametrize("order", ["slot then booking", "booking then slot"])
@pytest.mark.parametrize("database_url", [  # SQLite has one writer at a time: no row locks
    pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_merging_beside_a_writer_on_the_same_rows_neither_fails_nor_deadlocks(
        order, engine, sessions, session, create_slot):
    slot = create_slot(start=at(2), capacity=2)
    booking.book(session, actor=student("old"), slot_id=slot.id, now=NOW)
    booking.book(session, actor=student("new"), slot_id=slot.id, now=NOW)
    held = session.scalar(select(Booking.id).where(Booking.student_key == "old"))
    locks = [select(Slot.id).where(Slot.id == slot.id).with_for_update(),
             select(Booking.id).where(Booking.id == held).with_for_update()]
    if order == "booking then slot":
        locks.reverse()
    outcome = {}

    def merge():
        own = sessions()
        try:
            students.merge(own, "old", "new")
            outcome["merged"] = True
        except Exception as exc:  # the failure under test (a deadlock) must show in the assert
            outcome["error"] = repr(exc)
        finally:
            own.close()

    with engine.connect() as other:
        # the merge, not this writer, is the one PostgreSQL picks if they do deadlock
        other.execute(text("SET deadlock_timeout = '5s'"))
        other.execute(locks[0])
        worker = threading.Thread(target=merge)
        worker.start()
        _wait_until_blocked(engine)
        other.execute(locks[1])  # the second lock: a cycle if merge took them the other way
        other.commit()
    worker.join(30)
    assert outcome == {"merged": True}
    assert violations(session) == []


def _writes_to_booked(tree: ast.AST) -> list[int]:
    """Lines that assign ``.booked`` or pass ``booked=`` to a statement."""
    found = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for part in ast.walk(target):
                if isinstance(part, ast.Attribute) and part.attr == "booked":
                    found.append(node.lineno)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "values" \
                and any(k.arg == "booked" for k in node.keywords):
            found.append(node.lineno)
    return found


def test_only_the_seat_ledger_changes_a_slots_seat_count():
    ledger = SRC / "services" / "scheduling" / "seats.py"
    assert _writes_to_booked(ast.parse(ledger.read_text())), "the check finds the ledger's"
    elsewhere = {str(path.relative_to(SRC)): lines for path in SRC.rglob("*.py")
                 if path != ledger and (lines := _writes_to_booked(ast.parse(path.read_text())))}
    assert elsewhere == {}

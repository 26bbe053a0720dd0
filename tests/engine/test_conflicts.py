"""The conflict query and its resolutions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from engine.actors import ADMIN, NOW, at, staff, student
from sqlalchemy import select, update

from sis_appointments.contract import BusyTime
from sis_appointments.domain.errors import Conflict, InvalidInput
from sis_appointments.models import AuditEntry, Booking, Slot
from sis_appointments.services.scheduling import booking, conflicts

WEEK = (NOW, NOW + timedelta(days=7))


def force_overlap(session, slot, start, minutes=60):
    """Put a slot where the services would refuse it (as an imported timetable might)."""
    session.execute(update(Slot).where(Slot.id == slot.id).values(
        start_utc=start, end_utc=start + timedelta(minutes=minutes)))
    session.commit()


def test_every_kind_of_conflict_with_its_parties(session, create_slot, fake_host):
    a = create_slot(start=at(2), minutes=60, host_key="h1", location="Room 1")
    b = create_slot(start=at(3), minutes=60, host_key="h1", location="Room 2")
    c = create_slot(start=at(4), minutes=60, host_key="h2", location="Room 1")
    far = create_slot(start=at(30), minutes=60, host_key="h1", location="Room 1")
    force_overlap(session, b, at(2, 0.5))
    force_overlap(session, c, at(2, 0.25))
    first = booking.book(session, actor=ADMIN, slot_id=a.id, student_key="s1", now=NOW)
    fake_host.busy["s1"] = [BusyTime(at(2), at(2, 2), "BIOL 200")]
    found = {(c_.kind, c_.subject): c_ for c_ in conflicts.find(session, *WEEK)}
    assert set(found) == {
        ("host_overlap", f"{a.id},{b.id}"),
        ("location_overlap", f"{a.id},{c.id}"),
        ("student_busy", str(first.id)),
    }
    assert found[("host_overlap", f"{a.id},{b.id}")].parties == {"host_key": "h1"}
    assert found[("student_busy", str(first.id))].parties == {"student_key": "s1",
                                                              "busy": "BIOL 200"}
    assert far.id not in {i for c_ in found.values() for i in c_.slot_ids}


def test_student_overlap_after_a_slot_moves(session, create_slot):
    a = create_slot(start=at(2), minutes=60, host_key="h1", location="A")
    b = create_slot(start=at(3), minutes=60, host_key="h2", location="B")
    x = booking.book(session, actor=student("s1"), slot_id=a.id, now=NOW)
    y = booking.book(session, actor=student("s1"), slot_id=b.id, now=NOW)
    force_overlap(session, b, at(2, 0.5))
    [found] = conflicts.find(session, *WEEK)
    assert (found.kind, found.booking_ids, found.parties) == (
        "student_overlap", tuple(sorted((x.id, y.id))), {"student_key": "s1"})


def test_student_overlaps_pair_by_pair_and_by_the_hosts_looked_at(session, create_slot):
    a = create_slot(start=at(2), minutes=60, capacity=2, host_key="h1", location="A")
    b = create_slot(start=at(3), minutes=60, capacity=2, host_key="h2", location="B")
    c = create_slot(start=at(4), minutes=60, host_key="h3", location="C")
    touching = create_slot(start=at(5), minutes=60, host_key="h3", location="D")
    held = [booking.book(session, actor=student("s1"), slot_id=slot.id, now=NOW)
            for slot in (a, b, c, touching)]
    gone = booking.book(session, actor=student("s2"), slot_id=b.id, now=NOW)
    booking.book(session, actor=student("s2"), slot_id=a.id, now=NOW)
    booking.cancel(session, actor=student("s2"), booking_id=gone.id, now=NOW)
    force_overlap(session, b, at(2, 0.5))
    force_overlap(session, c, at(2, 0.75))
    force_overlap(session, touching, at(3))  # starts as a ends: no overlap

    def pairs(**narrow):
        return sorted(f.booking_ids for f in conflicts.find(session, *WEEK, **narrow)
                      if f.kind == "student_overlap")

    x, y, z = (h.id for h in held[:3])
    assert pairs() == sorted([(x, y), (x, z), (y, z)])
    assert pairs(hosts=["h2"]) == sorted([(x, y), (y, z)])
    assert pairs(hosts=["h9"]) == []


def test_override_keeps_a_conflict_with_a_reason(session, create_slot):
    a = create_slot(start=at(2), host_key="h1", location="A")
    b = create_slot(start=at(3), host_key="h1", location="B")
    force_overlap(session, b, at(2))
    [found] = conflicts.find(session, *WEEK)
    with pytest.raises(InvalidInput, match="needs a reason"):
        conflicts.override(session, actor=ADMIN, kind=found.kind, subject=found.subject,
                           reason="")
    conflicts.override(session, actor=staff("h1"), kind=found.kind, subject=found.subject,
                       reason="co-taught session")
    assert conflicts.find(session, *WEEK) == []
    entry = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "conflict.overridden")).one()
    assert (entry.actor_key, entry.reason) == ("h1", "co-taught session")
    with pytest.raises(Conflict):
        conflicts.override(session, actor=ADMIN, kind=found.kind, subject=found.subject,
                           reason="again")
    assert a.id in found.slot_ids


def test_move_bookings_all_or_nothing(session, create_slot):
    source = create_slot(start=at(2), capacity=3, host_key="h1", location="A")
    small = create_slot(start=at(3), capacity=1, host_key="h1", location="B")
    roomy = create_slot(start=at(4), capacity=3, host_key="h1", location="C")
    clash = create_slot(start=at(4), capacity=1, host_key="h2", location="D")
    held = [booking.book(session, actor=student(k), slot_id=source.id, now=NOW).id
            for k in ("s1", "s2")]
    with pytest.raises(Conflict) as full:
        conflicts.move_bookings(session, actor=ADMIN, from_slot_id=source.id,
                                to_slot_id=small.id, now=NOW)
    assert full.value.details["blockers"] == [{"reason": "not enough seats", "needed": 2,
                                               "free": 1}]
    booking.book(session, actor=student("s2"), slot_id=clash.id, now=NOW)
    with pytest.raises(Conflict) as busy:
        conflicts.move_bookings(session, actor=ADMIN, from_slot_id=source.id,
                                to_slot_id=roomy.id, now=NOW)
    assert [b["student_key"] for b in busy.value.details["blockers"]] == ["s2"]
    session.expire_all()
    assert {session.get(Booking, i).slot_id for i in held} == {source.id}
    clash_booking = session.scalars(select(Booking).where(Booking.slot_id == clash.id)).one()
    booking.cancel(session, actor=student("s2"), booking_id=clash_booking.id, now=NOW)
    conflicts.move_bookings(session, actor=ADMIN, from_slot_id=source.id, to_slot_id=roomy.id,
                            now=NOW)
    session.expire_all()
    assert {session.get(Booking, i).slot_id for i in held} == {roomy.id}
    assert (session.get(Slot, source.id).booked, session.get(Slot, roomy.id).booked) == (0, 2)

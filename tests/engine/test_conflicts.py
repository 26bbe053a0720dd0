"""The conflict query and its resolutions."""

from __future__ import annotations

from datetime import datetime, timedelta

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


def kinds_found(session, start=WEEK[0], end=WEEK[1], **narrow):
    """{(kind, slot ids): parties} of the conflicts found among slots."""
    return {(c.kind, c.slot_ids): c.parties
            for c in conflicts.find(session, start, end, **narrow)}


def test_buffers_make_a_hosts_slots_overlap_or_just_touch(session, create_type, create_slot):
    after = create_type(hosts=("h1",), buffer_after_minutes=15)
    before = create_type(name="Before", hosts=("h1",), buffer_before_minutes=10)
    plain = create_type(name="Plain", hosts=("h1",))
    # made before the slot ahead of it (ids and times in opposite orders)
    touching = create_slot(start=at(2, 0.75), host_key="h1", type=plain, location=None)
    early = create_slot(start=at(2), minutes=30, host_key="h1", type=after, location=None)
    assert kinds_found(session) == {}  # early keeps h1 busy until 45 minutes in
    over = create_slot(start=at(2, 0.75) - timedelta(minutes=1), host_key="h1", type=plain,
                       location=None)
    assert kinds_found(session) == {
        ("host_overlap", (touching.id, over.id)): {"host_key": "h1"},
        ("host_overlap", (early.id, over.id)): {"host_key": "h1"}}
    session.delete(touching)
    session.delete(over)
    session.commit()
    # 15 minutes after the first and 10 before the second: they touch at 55 minutes
    just = create_slot(start=at(2, 55 / 60), host_key="h1", type=before, location=None)
    assert kinds_found(session) == {}
    nearer = create_slot(start=at(2, 54 / 60), host_key="h1", type=before, location=None)
    assert set(kinds_found(session)) == {("host_overlap", (early.id, nearer.id)),
                                         ("host_overlap", (just.id, nearer.id))}
    # the first's buffer before and the second's after do not come between them
    create_slot(start=at(3), minutes=30, host_key="h2", type=before, location=None)
    create_slot(start=at(3, 0.5), minutes=30, host_key="h2", type=after, location=None)
    assert len(kinds_found(session)) == 2


def test_buffers_are_exact_to_the_microsecond(session, create_type, create_slot):
    """SQLite keeps instants as text and rounds its date arithmetic to milliseconds: the
    buffers are added without losing the seconds' fraction."""
    after = create_type(hosts=("h1",), buffer_after_minutes=15)
    first = create_slot(start=at(2), minutes=30, host_key="h1", type=after, location=None)
    session.execute(update(Slot).where(Slot.id == first.id).values(
        end_utc=at(2, 0.5) + timedelta(microseconds=999_600)))
    session.commit()
    ends = at(2, 0.75) + timedelta(microseconds=999_600)  # the buffer's end
    touching = create_slot(start=ends, host_key="h1", location=None)
    assert kinds_found(session) == {}
    over = create_slot(start=ends - timedelta(microseconds=1), host_key="h1", location=None)
    assert set(kinds_found(session)) == {("host_overlap", (first.id, over.id)),
                                         ("host_overlap", (touching.id, over.id))}


def test_cancelled_slots_and_slots_outside_the_range_are_left_out(session, create_type,
                                                                  create_slot):
    after = create_type(hosts=("h1",), buffer_after_minutes=60)
    kept = create_slot(start=at(2), minutes=60, host_key="h1", location="A")
    gone = create_slot(start=at(2), minutes=60, host_key="h1", location="A")
    session.execute(update(Slot).where(Slot.id == gone.id).values(status="cancelled"))
    session.commit()
    assert kinds_found(session) == {}
    # started before the range, ends inside it: looked at
    across = create_slot(start=at(2, -0.5), minutes=60, host_key="h1", location="A")
    pair = tuple(sorted((kept.id, across.id)))
    assert set(kinds_found(session, at(2, -0.25), at(3))) == {("host_overlap", pair),
                                                              ("location_overlap", pair)}
    assert kinds_found(session, at(2, 0.5), at(3)) == {}  # across ended before it
    # ends as the range starts, its buffer reaching into it: not looked at
    ended = create_slot(start=at(4, -1), minutes=60, host_key="h1", type=after, location=None)
    inside = create_slot(start=at(4, 0.5), host_key="h1", location=None)
    assert kinds_found(session, at(4), at(5)) == {}
    assert set(kinds_found(session, at(4, -0.5), at(5))) == {
        ("host_overlap", (ended.id, inside.id))}


def test_a_place_is_shared_by_overlapping_slots_of_different_hosts(session, create_slot):
    a = create_slot(start=at(2), minutes=60, host_key="h1", location="Room 1")
    b = create_slot(start=at(2, 0.5), minutes=60, host_key="h2", location="Room 1")
    create_slot(start=at(2, 1.5), minutes=60, host_key="h3", location="Room 1")  # touches b
    create_slot(start=at(2), minutes=60, host_key="h4", location="room 1")
    for n, unnamed in enumerate(("", None, "")):
        create_slot(start=at(2), minutes=60, host_key=f"n{n}", location=unnamed)
    same_host = create_slot(start=at(2), minutes=45, host_key="h1", location="Room 1")
    found = kinds_found(session)
    assert found == {
        ("location_overlap", (a.id, b.id)): {"location": "Room 1"},
        ("location_overlap", (a.id, same_host.id)): {"location": "Room 1"},
        ("location_overlap", (b.id, same_host.id)): {"location": "Room 1"},
        ("host_overlap", (a.id, same_host.id)): {"host_key": "h1"},
    }
    assert set(kinds_found(session, hosts=["h2"])) == {("location_overlap", (a.id, b.id)),
                                                       ("location_overlap",
                                                        (b.id, same_host.id))}
    assert kinds_found(session, hosts=["h3", "h4", "h9"]) == {}


def test_series_slots_off_their_published_time_across_dst(session, create_type, create_slot):
    """New York springs forward on Sunday 10 March 2030: 09:00 is 14:00 UTC before it and
    13:00 UTC after; a slot kept at 14:00 UTC after the change is off by an hour."""
    from sis_appointments.models import Series

    kind = create_type(hosts=("h1",))
    series = Series(type_id=kind.id, host_key="h1", timezone="America/New_York",
                    start_local=datetime(2030, 3, 8, 9), rrule="FREQ=DAILY;COUNT=5")
    session.add(series)
    session.commit()

    def occurrence(day, start, **fields):
        return create_slot(start=start, host_key="h1", type=kind, series_id=series.id,
                           occurrence_local=datetime(2030, 3, day, 9), location=None,
                           **fields)

    utc = datetime(2030, 3, 8, 14, tzinfo=NOW.tzinfo)
    occurrence(8, utc)  # EST
    occurrence(11, utc + timedelta(days=3, hours=-1))  # EDT
    moved = occurrence(12, utc + timedelta(days=4))  # 10:00 EDT
    occurrence(9, utc + timedelta(days=1, hours=2), status="cancelled")  # 11:00 EST
    occurrence(10, utc + timedelta(days=2, hours=-5), timezone="Europe/London")  # 09:00 GMT
    assert kinds_found(session, at(3), at(10)) == {("off_availability", (moved.id,)): {
        "host_key": "h1", "published": "2030-03-12T09:00:00"}}
    assert kinds_found(session, at(3), at(10), hosts=["h2"]) == {}


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

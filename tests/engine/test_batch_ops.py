"""Batch work on slots: choosing by filter, a preview that is exactly the run (rolled back),
all-or-nothing against best effort, giving slots to another host, and "advisor out"
(bookings handed to a colleague's matching slot, the rest cancelled with a rebooking link;
every student told once)."""

from __future__ import annotations

from collections import Counter
from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from engine.actors import ADMIN, NOW, at, staff, student
from sqlalchemy import func, select

from sis_appointments.domain.errors import Forbidden, InvalidInput
from sis_appointments.models import AuditEntry, Booking, Notification, RoleGrant, Slot
from sis_appointments.services.scheduling import batch_ops, booking

UTC_ZONE = ZoneInfo("UTC")


def everything(session) -> tuple:
    """What a run could change: slots, bookings, notifications, audit entries."""
    session.rollback()
    return (sorted((s.id, s.status, s.capacity, s.host_key, s.start_utc)
                   for s in session.scalars(select(Slot))),
            sorted((b.id, b.slot_id, b.status) for b in session.scalars(select(Booking))),
            session.scalar(select(func.count()).select_from(Notification)),
            session.scalar(select(func.count()).select_from(AuditEntry)))


@pytest.fixture
def week(session, create_type, create_slot):
    """Advising by h1 and h2: h1 has a slot on each of five days (Tuesday to Saturday) at
    10:00 and 15:00 UTC, h2 at 10:00 (capacity 2) on the first three; s1 and s2 booked into
    h1's first 10:00."""
    kind = create_type(hosts=("h1", "h2"))
    made = {}
    for day in range(5):
        for hour in (10, 15):
            made["h1", day, hour] = create_slot(start=at(day + 1, hour - 12), host_key="h1",
                                                type=kind, capacity=2, location=None)
        if day < 3:
            made["h2", day, 10] = create_slot(start=at(day + 1, -2), host_key="h2", type=kind,
                                              capacity=2, location=None)
    for key in ("s1", "s2"):
        booking.book(session, actor=student(key), slot_id=made["h1", 0, 10].id, now=NOW)
    return kind, made


def test_slots_are_chosen_by_weekday_time_and_calendar(session, week):
    kind, made = week
    chosen = batch_ops.Selection(NOW.date(), at(5).date(), UTC_ZONE, weekdays=(1, 3),
                                 time_from=time(9), time_to=time(12))
    found = batch_ops.select_slots(session, staff("h1"), chosen)
    assert [s.id for s in found] == [made["h1", 0, 10].id, made["h1", 2, 10].id]
    everyone = batch_ops.select_slots(session, ADMIN, batch_ops.Selection(
        NOW.date(), at(5).date(), UTC_ZONE, time_from=time(9), time_to=time(12)))
    assert len(everyone) == 8
    with pytest.raises(Forbidden):
        batch_ops.select_slots(session, staff("h1"), batch_ops.Selection(
            NOW.date(), at(5).date(), UTC_ZONE, hosts=("h2",)))
    with pytest.raises(InvalidInput):
        batch_ops.select_slots(session, staff("h1"), batch_ops.Selection(
            at(5).date(), NOW.date(), UTC_ZONE))


def test_the_preview_is_the_run_and_leaves_nothing(session, week):
    kind, made = week
    ids = [made["h1", day, 10].id for day in range(5)]
    before = everything(session)
    preview = batch_ops.run(session, staff("h1"), ids, "cancel", {"reason": "Closed"},
                            dry_run=True)
    assert everything(session) == before  # nothing written, nothing announced
    assert [o.ok for o in preview.outcomes] == [True] * 5
    assert preview.told == ["h1", "s1", "s2"]  # the students, and the host
    done = batch_ops.run(session, staff("h1"), ids, "cancel", {"reason": "Closed"})
    assert [(o.slot_id, o.ok, o.told) for o in done.outcomes] == \
        [(o.slot_id, o.ok, o.told) for o in preview.outcomes]
    session.rollback()
    assert {session.get(Slot, i).status for i in ids} == {"cancelled"}


def test_a_preview_announces_nothing_later_either(session, week):
    """A preview's steps run in savepoints; their events must not wait in the session to be
    announced with the next commit (the SIS's hooks and the live pages would hear of
    cancellations that never happened)."""
    kind, made = week
    ids = [made["h1", day, 10].id for day in range(5)]
    heard = []
    session.context.listeners.append(lambda event, _session: heard.append(event.name))
    try:
        batch_ops.run(session, staff("h1"), ids, "cancel", {"reason": "Closed"}, dry_run=True)
        batch_ops.run(session, staff("h1"), ids[:1], "cancel", {"reason": "Closed"})
    finally:
        session.context.listeners.pop()
    booked = session.scalar(select(func.count()).select_from(Booking).where(
        Booking.slot_id == ids[0]))
    assert heard.count("booking_cancelled") == booked  # the one slot run, not the preview
    assert heard.count("slot_changed") == 1


def test_all_or_nothing_against_best_effort(session, week):
    kind, made = week
    ids = [made["h1", 0, 10].id, made["h1", 1, 10].id]  # the first holds 2 bookings
    before = everything(session)
    report = batch_ops.run(session, staff("h1"), ids, "capacity", {"capacity": 1})
    assert not report.applied and everything(session) == before
    assert "below the 2 seats taken" in report.refused[0].message
    assert report.outcomes[1].rolled_back
    report = batch_ops.run(session, staff("h1"), ids, "capacity", {"capacity": 1},
                           all_or_nothing=False)
    assert report.applied and [o.ok for o in report.outcomes] == [False, True]
    session.rollback()
    assert session.get(Slot, ids[1]).capacity == 1 and session.get(Slot, ids[0]).capacity == 2
    with pytest.raises(InvalidInput):
        batch_ops.run(session, staff("h1"), ids, "capacity", {"capacity": 0})


def test_shift_and_reassign(session, week):
    kind, made = week
    monday = made["h1", 0, 10]
    report = batch_ops.run(session, ADMIN, [monday.id], "shift", {"minutes": 60})
    assert report.applied and report.told == ["s1", "s2"]
    session.rollback()
    assert session.get(Slot, monday.id).start_utc == at(1, -1)
    report = batch_ops.run(session, ADMIN, [made["h1", 3, 10].id], "reassign", {"host": "h2"})
    assert report.applied
    session.rollback()
    assert session.get(Slot, made["h1", 3, 10].id).host_key == "h2"
    clash = batch_ops.run(session, ADMIN, [made["h1", 1, 10].id], "reassign", {"host": "h2"})
    assert not clash.applied and "not free then" in clash.refused[0].message
    theirs = batch_ops.run(session, staff("h1"), [made["h1", 4, 10].id], "reassign",
                           {"host": "h2"})  # h1 does not manage h2's calendar
    assert not theirs.applied and "cannot manage" in theirs.refused[0].message


@pytest.mark.parametrize("minutes", [45, -45])
def test_a_day_of_back_to_back_slots_moves_as_one(session, create_type, create_slot, minutes):
    """Each slot is checked against where the batch's other slots end up: moving a day of
    hourly slots by 45 minutes (either way) collides with nothing."""
    kind = create_type(hosts=("h3",), duration_minutes=60)
    day = [create_slot(start=at(1, hour), minutes=60, host_key="h3", type=kind)
           for hour in (-3, -2, -1, 2, 3)]  # 09:00, 10:00, 11:00, 14:00, 15:00
    ids, starts = [s.id for s in day], [s.start_utc for s in day]
    for dry_run in (True, False):
        report = batch_ops.run(session, ADMIN, ids, "shift", {"minutes": minutes},
                               dry_run=dry_run)
        assert all(o.ok for o in report.outcomes) and not report.refused, [
            o.message for o in report.outcomes]
        assert [o.slot_id for o in report.outcomes] == ids  # in the order chosen
    assert report.applied
    session.rollback()
    assert [session.get(Slot, i).start_utc for i in ids] == [
        start + timedelta(minutes=minutes) for start in starts]


def test_advisor_out_hands_over_what_fits_and_cancels_the_rest(session, week):
    kind, made = week
    booking.book(session, actor=student("s3"), slot_id=made["h1", 4, 15].id, now=NOW)
    session.add(RoleGrant(user_key="h2", grant="manage_calendar", target_key="h1"))
    session.commit()
    absent = staff("h2")  # h2 covers for h1 (a grant), and has room on Monday at 10:00
    plan = batch_ops.plan_absence(session, absent, host_key="h1", first=NOW.date(),
                                  last=at(5).date(), zone=UTC_ZONE)
    assert len(plan) == 10
    targets = {h.slot.id: (h.booked, h.to.id if h.to else None) for h in plan if h.booked}
    assert targets == {made["h1", 0, 10].id: (2, made["h2", 0, 10].id),
                       made["h1", 4, 15].id: (1, None)}
    before = everything(session)
    preview = batch_ops.run_absence(session, absent, plan, message="Dr One is ill.",
                                    rebook_url=lambda s: f"https://sis.example/book?type={s.type_id}",
                                    dry_run=True)
    assert everything(session) == before
    assert {"s1", "s2", "s3"} <= set(preview.told)
    done = batch_ops.run_absence(session, absent, plan, message="Dr One is ill.",
                                 rebook_url=lambda s: f"https://sis.example/book?type={s.type_id}")
    assert done.applied
    session.rollback()
    assert {s.status for s in session.scalars(select(Slot).where(Slot.host_key == "h1"))} \
        == {"cancelled"}
    moved = session.scalars(select(Booking).where(Booking.student_key.in_(["s1", "s2"]),
                                                  Booking.status == "confirmed")).all()
    assert {b.slot_id for b in moved} == {made["h2", 0, 10].id}
    cancelled = session.scalars(select(Booking).where(Booking.student_key == "s3")).one()
    assert cancelled.status == "cancelled"
    assert cancelled.cancel_reason == (f"Dr One is ill. Book another time: "
                                       f"https://sis.example/book?type={kind.id}")
    told = Counter((n.recipient_key, n.event) for n in session.scalars(
        select(Notification).where(Notification.recipient_key.in_(["s1", "s2", "s3"]),
                                   Notification.channel == "email",
                                   Notification.event != "booking_created")))
    assert told == {("s1", "booking_rescheduled"): 1, ("s2", "booking_rescheduled"): 1,
                    ("s3", "booking_cancelled"): 1}


def test_progress_is_reported_as_the_batch_goes(session, week, monkeypatch):
    kind, made = week
    monkeypatch.setattr(batch_ops, "PROGRESS_EVERY", 3)
    ids = [s.id for key, s in sorted(made.items()) if key[0] == "h1"]  # 10 slots
    seen = []
    batch_ops.run(session, ADMIN, ids, "location", {"location": "Room 2"}, dry_run=True,
                  progress=lambda done, total: seen.append((done, total)))
    assert seen == [(3, 10), (6, 10), (9, 10), (10, 10)]

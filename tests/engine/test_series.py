"""Recurring series: wall-clock times across DST in several zones, horizon, edits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from engine.actors import ADMIN, student
from sqlalchemy import select

from sis_appointments.domain.errors import Conflict, InvalidInput
from sis_appointments.models import AuditEntry, Booking, Series, Slot
from sis_appointments.services.platform import settings
from sis_appointments.services.scheduling import appointment_types, booking, series

NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)


def make_type(session, zone="America/New_York", **fields):
    return appointment_types.create(session, actor=ADMIN, name="Office hours", duration_minutes=30,
                        timezone=zone, hosts=["host1"], **fields)


def series_slots(session, series_id=None):
    query = select(Slot).order_by(Slot.start_utc)
    if series_id:
        query = query.where(Slot.series_id == series_id)
    return session.scalars(query).all()


@pytest.mark.parametrize("zone,start", [
    ("America/New_York", datetime(2026, 1, 5, 9)),
    ("Europe/Berlin", datetime(2026, 1, 5, 9)),
    ("Australia/Lord_Howe", datetime(2026, 1, 5, 9)),  # 30-minute DST
    ("Asia/Kolkata", datetime(2026, 1, 5, 9)),          # no DST
    ("UTC", datetime(2026, 1, 5, 9)),
])
def test_weekly_series_keeps_local_time_through_a_year(session, zone, start):
    made = series.create(session, actor=ADMIN, type_id=make_type(session, zone).id,
                         host_key="host1", start_local=start, rrule="FREQ=WEEKLY;BYDAY=MO",
                         now=NOW)
    found = series_slots(session, made.id)
    tz = ZoneInfo(zone)
    mondays = [start + timedelta(weeks=n) for n in range(20)]
    expected = [m for m in mondays
                if NOW < m.replace(tzinfo=tz) <= NOW + timedelta(days=120)]
    assert len(found) == len(expected)  # every Monday within the 120-day horizon
    assert {s.start_utc.astimezone(tz).strftime("%a %H:%M") for s in found} == {"Mon 09:00"}
    offsets = {s.start_utc.astimezone(tz).utcoffset() for s in found}
    assert len(offsets) == (1 if zone in ("Asia/Kolkata", "UTC") else 2)
    assert all(s.timezone == zone for s in found)


def test_new_york_series_before_and_after_both_transitions(session):
    settings.put(session, actor=ADMIN, key="horizon_days", value=365)
    made = series.create(session, actor=ADMIN, type_id=make_type(session).id, host_key="host1",
                         start_local=datetime(2026, 3, 2, 9), rrule="FREQ=WEEKLY;BYDAY=MO",
                         now=datetime(2026, 3, 1, tzinfo=UTC))
    starts = {s.start_utc.date().isoformat(): s.start_utc.hour
              for s in series_slots(session, made.id)}
    assert starts["2026-03-02"] == 14 and starts["2026-03-09"] == 13  # EST, then EDT
    assert starts["2026-10-26"] == 13 and starts["2026-11-02"] == 14  # EDT, then EST


def test_second_tuesday_monthly_with_until_and_exception(session):
    made = series.create(session, actor=ADMIN, type_id=make_type(session, "Europe/Berlin").id,
                         host_key="host1", start_local=datetime(2026, 1, 13, 14),
                         rrule="FREQ=MONTHLY;BYDAY=2TU;UNTIL=20260501T000000Z",
                         exdates=["2026-03-10T14:00:00"], now=NOW)
    assert [s.occurrence_local.date().isoformat() for s in series_slots(session, made.id)] == [
        "2026-01-13", "2026-02-10", "2026-04-14"]


def test_nonexistent_local_time_uses_the_offset_before_the_gap(session):
    made = series.create(session, actor=ADMIN, type_id=make_type(session).id, host_key="host1",
                         start_local=datetime(2026, 3, 7, 2, 30), rrule="FREQ=DAILY;COUNT=3",
                         now=datetime(2026, 3, 1, tzinfo=UTC))
    tz = ZoneInfo("America/New_York")
    local = [s.start_utc.astimezone(tz).strftime("%d %H:%M") for s in series_slots(session,
                                                                                   made.id)]
    assert local == ["07 02:30", "08 03:30", "09 02:30"]


@pytest.mark.parametrize("rule,exdates,message", [
    ("FREQ=WEEKLY;COUNT=1", ["2026-02-02T09:00:00"], "expands to no occurrence"),
    ("FREQ=YEARLY", [], "only DAILY, WEEKLY and MONTHLY"),
    ("FREQ=WEEKLY;BYDAY=XX", [], "not a valid RRULE"),
    ("FREQ=MINUTELY;INTERVAL=10", [], "only DAILY, WEEKLY and MONTHLY"),
])
def test_impossible_rules_are_refused(session, rule, exdates, message):
    with pytest.raises(InvalidInput, match=message):
        series.create(session, actor=ADMIN, type_id=make_type(session).id, host_key="host1",
                      start_local=datetime(2026, 2, 2, 9), rrule=rule, exdates=exdates, now=NOW)
    assert session.scalars(select(Series)).all() == []


def test_buffer_longer_than_the_gap_is_refused(session):
    tight = make_type(session, buffer_after_minutes=45)
    with pytest.raises(InvalidInput, match="less than the buffers") as error:
        series.create(session, actor=ADMIN, type_id=tight.id, host_key="host1",
                      start_local=datetime(2026, 2, 2, 9),
                      rrule="FREQ=DAILY;BYHOUR=9,10;BYMINUTE=0", now=NOW)
    assert error.value.code == "buffer_longer_than_gap"


def test_a_series_colliding_with_a_slot_is_refused_whole(session, create_slot):
    appointment_type = make_type(session)
    create_slot(start=datetime(2026, 1, 19, 14, 10, tzinfo=UTC), host_key="host1",
                type=appointment_type)
    with pytest.raises(Conflict, match="2026-01-19 09:00"):
        series.create(session, actor=ADMIN, type_id=appointment_type.id, host_key="host1",
                      start_local=datetime(2026, 1, 12, 9), rrule="FREQ=WEEKLY", now=NOW)
    assert session.scalars(select(Series)).all() == []


def test_the_horizon_job_extends_series_and_is_idempotent(session):
    made = series.create(session, actor=ADMIN, type_id=make_type(session).id, host_key="host1",
                         start_local=datetime(2026, 1, 5, 9), rrule="FREQ=WEEKLY", now=NOW)
    before = len(series_slots(session, made.id))
    later = NOW + timedelta(days=28)
    assert series.extend_all(session, now=later) == 4
    assert series.extend_all(session, now=later) == 0
    assert len(series_slots(session, made.id)) == before + 4


def _weekly(session, zone="America/New_York"):
    return series.create(session, actor=ADMIN, type_id=make_type(session, zone).id,
                         host_key="host1", start_local=datetime(2026, 1, 12, 9),
                         rrule="FREQ=WEEKLY;COUNT=6", now=NOW)


def test_edit_this_occurrence_only(session):
    made = _weekly(session)
    third = series_slots(session, made.id)[2]
    series.edit(session, actor=ADMIN, slot_id=third.id, scope="this",
                new_local_start=datetime(2026, 1, 26, 11), now=NOW)
    hours = [s.start_utc.hour for s in series_slots(session, made.id)]
    assert hours == [14, 14, 16, 14, 14, 14]
    series.extend_all(session, now=NOW)
    assert len(series_slots(session, made.id)) == 6, "the edited occurrence is not recreated"


def test_edit_following_splits_the_series_and_keeps_bookings(session):
    made = _weekly(session)
    fourth = series_slots(session, made.id)[3]
    held = booking.book(session, actor=student("s1"), slot_id=fourth.id, now=NOW)
    series.edit(session, actor=ADMIN, slot_id=fourth.id, scope="following",
                new_local_start=datetime(2026, 2, 2, 10), location="Room 9", now=NOW)
    every = series_slots(session)
    assert [s.start_utc.hour for s in every] == [14, 14, 14, 15, 15, 15]
    assert {s.series_id for s in every[:3]} == {made.id}
    tail = {s.series_id for s in every[3:]}
    assert len(tail) == 1 and tail != {made.id}
    assert every[3].location == "Room 9"
    assert session.get(Booking, held.id).slot_id == fourth.id
    session.expire_all()
    head, rest = session.get(Series, made.id), session.get(Series, tail.pop())
    # the head ends a second before 09:00 EST on 2 February, in UTC as RFC 5545 wants
    assert "UNTIL=20260202T135959Z" in head.rrule and "COUNT=3" in rest.rrule
    series.extend_all(session, now=NOW)
    assert len(series_slots(session)) == 6


def test_edit_all_future_occurrences(session):
    made = _weekly(session)
    first = series_slots(session, made.id)[0]
    series.edit(session, actor=ADMIN, slot_id=first.id, scope="all",
                new_local_start=datetime(2026, 1, 12, 13), duration_minutes=45, now=NOW)
    found = series_slots(session, made.id)
    assert {(s.start_utc.hour, (s.end_utc - s.start_utc).seconds // 60) for s in found} == {
        (18, 45)}
    assert len(session.scalars(select(AuditEntry).where(
        AuditEntry.action == "series.edit.all")).all()) == 6


def test_series_edits_refuse_day_changes_and_bad_scopes(session):
    made = _weekly(session)
    first = series_slots(session, made.id)[0]
    with pytest.raises(InvalidInput, match="keeps its days"):
        series.edit(session, actor=ADMIN, slot_id=first.id, scope="all",
                    new_local_start=datetime(2026, 1, 13, 9), now=NOW)
    with pytest.raises(InvalidInput, match="scope must be one of"):
        series.edit(session, actor=ADMIN, slot_id=first.id, scope="some", now=NOW)

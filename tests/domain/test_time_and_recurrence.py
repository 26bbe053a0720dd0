"""Recurrence and time rules, with no app and no database; property tests use hypothesis."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sis_appointments.domain.errors import InvalidInput
from sis_appointments.domain.recurrence import Recurrence
from sis_appointments.domain.timezones import format_local, is_ambiguous, is_nonexistent, to_utc

ZONES = ["America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata", "UTC",
         "America/Santiago", "Pacific/Auckland"]
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


@pytest.mark.parametrize("zone,local,nonexistent,ambiguous,utc", [
    ("America/New_York", datetime(2026, 3, 8, 2, 30), True, False, datetime(2026, 3, 8, 7, 30)),
    ("America/New_York", datetime(2026, 11, 1, 1, 30), False, True, datetime(2026, 11, 1, 5, 30)),
    ("Europe/Berlin", datetime(2026, 3, 29, 2, 15), True, False, datetime(2026, 3, 29, 1, 15)),
    ("Europe/Berlin", datetime(2026, 10, 25, 2, 15), False, True, datetime(2026, 10, 25, 0, 15)),
    ("Australia/Lord_Howe", datetime(2026, 10, 4, 2, 10), True, False,
     datetime(2026, 10, 3, 15, 40)),
    ("Australia/Lord_Howe", datetime(2026, 4, 5, 1, 45), False, True,
     datetime(2026, 4, 4, 14, 45)),
    ("Asia/Kolkata", datetime(2026, 3, 8, 2, 30), False, False, datetime(2026, 3, 7, 21, 0)),
])
def test_the_rule_for_odd_local_times(zone, local, nonexistent, ambiguous, utc):
    tz = ZoneInfo(zone)
    assert is_nonexistent(local, tz) is nonexistent
    assert is_ambiguous(local, tz) is ambiguous
    assert to_utc(local, tz) == utc.replace(tzinfo=UTC)


def test_times_are_shown_with_the_zone_named():
    instant = datetime(2026, 7, 1, 13, 0, tzinfo=UTC)
    assert format_local(instant, ZoneInfo("Europe/Berlin")) == \
        "Wed 1 Jul 2026, 15:00 CEST (Europe/Berlin)"
    assert format_local(instant, ZoneInfo("Asia/Kolkata")) == \
        "Wed 1 Jul 2026, 18:30 IST (Asia/Kolkata)"


def test_dst_moves_are_flagged():
    rule = Recurrence(datetime(2026, 3, 7, 2, 30), "America/New_York", "FREQ=DAILY;COUNT=3",
                      timedelta(minutes=30))
    assert [o.dst_adjusted for o in rule.first(3)] == [False, True, False]


def test_naive_start_and_positive_duration_required():
    with pytest.raises(InvalidInput, match="wall-clock"):
        Recurrence(datetime(2026, 1, 1, 9, tzinfo=UTC), "UTC", "FREQ=DAILY", timedelta(hours=1))
    with pytest.raises(InvalidInput, match="duration must be positive"):
        Recurrence(datetime(2026, 1, 1, 9), "UTC", "FREQ=DAILY", timedelta(0))


def weekly_oracle(start: datetime, days: set[int], interval: int, zone: str, until: datetime):
    """Day-by-day: the weeks counted from the start's week, the time kept on the wall."""
    tz = ZoneInfo(zone)
    first_monday = start.date() - timedelta(days=start.weekday())
    found, day = [], start.date()
    while True:
        local = datetime.combine(day, start.time())
        instant = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
        if instant >= until:
            return found
        week = (day - first_monday).days // 7
        if day.weekday() in days and week % interval == 0 and local >= start:
            found.append(instant)
        day += timedelta(days=1)


@settings(max_examples=150, deadline=None)
@given(zone=st.sampled_from(ZONES),
       start_day=st.dates(date(2025, 1, 1), date(2027, 12, 31)),
       start_time=st.times(time(0, 0), time(23, 45)).map(lambda t: t.replace(second=0,
                                                                               microsecond=0)),
       days=st.sets(st.integers(0, 6), min_size=1),
       interval=st.integers(1, 3))
def test_weekly_expansion_matches_a_day_by_day_oracle(zone, start_day, start_time, days,
                                                      interval):
    start = datetime.combine(start_day, start_time)
    byday = ",".join(DAYS[d] for d in sorted(days))
    rule = Recurrence(start, zone, f"FREQ=WEEKLY;INTERVAL={interval};BYDAY={byday};WKST=MO",
                      timedelta(minutes=30))
    window_start = datetime(2024, 12, 1, tzinfo=UTC)
    until = start.replace(tzinfo=UTC) + timedelta(days=400)
    got = [o.start for o in rule.between(window_start, until)]
    assert got == weekly_oracle(start, days, interval, zone, until)


@settings(max_examples=100, deadline=None)
@given(zone=st.sampled_from(ZONES), start_day=st.dates(date(2025, 1, 1), date(2027, 12, 31)),
       hour=st.integers(0, 23), interval=st.integers(1, 4))
def test_daily_expansion_keeps_wall_clock(zone, start_day, hour, interval):
    start = datetime.combine(start_day, time(hour, 30))
    rule = Recurrence(start, zone, f"FREQ=DAILY;INTERVAL={interval};COUNT=60",
                      timedelta(minutes=45))
    tz = ZoneInfo(zone)
    for n, occurrence in enumerate(rule.first(60)):
        local = start + timedelta(days=n * interval)
        assert occurrence.local_start == local
        assert occurrence.start == local.replace(tzinfo=tz, fold=0).astimezone(UTC)
        assert occurrence.end - occurrence.start == timedelta(minutes=45)  # elapsed time


def test_a_local_until_is_read_as_typed_and_exported_as_the_last_start_in_utc():
    """Rules stored with a local UNTIL keep their meaning; calendar files get it in UTC."""
    rule = Recurrence(datetime(2027, 11, 1, 20), "America/New_York",
                      "FREQ=DAILY;UNTIL=20271130T235959", timedelta(minutes=30))
    starts = list(rule.local_starts())
    assert (len(starts), starts[-1]) == (30, datetime(2027, 11, 30, 20))
    assert rule.rfc_rule() == "FREQ=DAILY;UNTIL=20271201T010000Z"  # 20:00 EST on the 30th
    date_only = Recurrence(datetime(2027, 11, 1, 20), "Asia/Kolkata",
                           "FREQ=DAILY;UNTIL=20271130", timedelta(minutes=30))
    assert date_only.rfc_rule() == "FREQ=DAILY;UNTIL=20271129T143000Z"  # midnight: the 29th


def test_a_utc_until_bounds_the_instants_as_calendar_programs_read_it():
    """01:30 on New York's fall-back night is 05:30Z, before an UNTIL of 06:00Z (01:00 EST,
    an earlier wall-clock time): RFC 5545 compares instants, and so does the service."""
    rule = Recurrence(datetime(2027, 11, 5, 1, 30), "America/New_York",
                      "FREQ=DAILY;UNTIL=20271107T060000Z", timedelta(minutes=20))
    assert list(rule.local_starts())[-1] == datetime(2027, 11, 7, 1, 30)
    assert rule.rfc_rule() == "FREQ=DAILY;UNTIL=20271107T060000Z"


def test_the_first_start_is_the_first_occurrence_the_rule_makes():
    monday = datetime(2027, 3, 1, 9)
    sundays = Recurrence(monday, "Europe/Berlin", "FREQ=WEEKLY;BYDAY=SU;COUNT=3",
                         timedelta(minutes=30), frozenset({datetime(2027, 3, 7, 9)}))
    assert sundays.first_start() == datetime(2027, 3, 7, 9)  # even where excluded
    assert [s.day for s in sundays.local_starts()] == [14, 21]
    assert Recurrence(monday, "UTC", "FREQ=DAILY", timedelta(hours=1)).first_start() == monday


@settings(max_examples=100, deadline=None)
@given(zone=st.sampled_from(ZONES), start_day=st.dates(date(2026, 1, 1), date(2027, 12, 31)),
       hour=st.integers(0, 23), rule=st.sampled_from(
           ["FREQ=DAILY", "FREQ=WEEKLY;BYDAY=SU,WE", "FREQ=MONTHLY;BYMONTHDAY=1,-1",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"]),
       days=st.integers(0, 200), until_time=st.times(time(0, 0), time(23, 59)))
def test_the_exported_rule_makes_the_same_occurrences(zone, start_day, hour, rule, days,
                                                       until_time):
    """DTSTART at the first occurrence and UNTIL in UTC, read back, give the same starts."""
    start = datetime.combine(start_day, time(hour, 15))
    until = datetime.combine(start_day + timedelta(days=days), until_time.replace(microsecond=0))
    typed = Recurrence(start, zone, f"{rule};UNTIL={until:%Y%m%dT%H%M%S}", timedelta(minutes=30))
    exported = Recurrence(typed.first_start(), zone, typed.rfc_rule(), timedelta(minutes=30))
    assert typed.rfc_rule().endswith("Z")
    assert list(exported.local_starts()) == list(typed.local_starts())

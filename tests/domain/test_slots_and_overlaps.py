"""Splitting ranges into slots and finding overlaps, against brute-force oracles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sis_appointments.domain.errors import InvalidInput
from sis_appointments.domain.slots import Interval, split

T0 = datetime(2026, 5, 4, 13, 0, tzinfo=UTC)
minutes = timedelta(minutes=1)


def test_the_documented_example():
    after_only = split(T0, T0 + 240 * minutes, 20 * minutes, after=5 * minutes)
    assert len(after_only) == 9
    assert after_only[-1] == Interval(T0 + 200 * minutes, T0 + 220 * minutes)
    both = split(T0, T0 + 240 * minutes, 20 * minutes, 5 * minutes, 5 * minutes)
    assert len(both) == 8 and both[0].start == T0 + 5 * minutes


@pytest.mark.parametrize("args,code", [
    ((T0, T0), "end_before_start"),
    ((T0, T0 + 10 * minutes), "range_too_short"),
    ((T0.replace(tzinfo=None), T0.replace(tzinfo=None) + 60 * minutes), "naive_datetime"),
])
def test_bad_ranges(args, code):
    with pytest.raises(InvalidInput) as error:
        split(*args, 20 * minutes)
    assert error.value.code == code


@settings(max_examples=200, deadline=None)
@given(length=st.integers(1, 600), duration=st.integers(1, 120), before=st.integers(0, 30),
       after=st.integers(0, 30))
def test_split_matches_a_minute_by_minute_oracle(length, duration, before, after):
    end = T0 + length * minutes
    expected, busy_until = [], T0  # greedy: the earliest start whose buffers fit
    t = T0
    while t <= end:
        if t - before * minutes >= busy_until and t + (duration + after) * minutes <= end:
            expected.append(Interval(t, t + duration * minutes))
            busy_until = t + (duration + after) * minutes
        t += minutes
    if not expected:
        with pytest.raises(InvalidInput):
            split(T0, end, duration * minutes, before * minutes, after * minutes)
        return
    got = split(T0, end, duration * minutes, before * minutes, after * minutes)
    assert got == expected


@pytest.mark.parametrize("zone,start,end,expected", [
    # New York's spring-forward night: 01:00 EST to 04:00 EDT is two hours.
    ("America/New_York", datetime(2027, 3, 14, 1), datetime(2027, 3, 14, 4),
     [(6, 7), (7, 8)]),
    # ... and its fall-back night: 00:00 EDT to 02:00 EST is three hours.
    ("America/New_York", datetime(2027, 11, 7, 0), datetime(2027, 11, 7, 2),
     [(4, 5), (5, 6), (6, 7)]),
    # Lord Howe moves by half an hour: 01:00 to 03:00 (+11 after 02:00 became 02:30) is 90 min.
    ("Australia/Lord_Howe", datetime(2027, 10, 3, 1), datetime(2027, 10, 3, 3),
     [(14.5, 15.5)]),
])
def test_split_counts_elapsed_time_across_a_dst_change(zone, start, end, expected):
    tz = ZoneInfo(zone)
    day = datetime.combine(start.date(), datetime.min.time(), UTC)
    if zone == "Australia/Lord_Howe":
        day -= timedelta(days=1)
    got = split(start.replace(tzinfo=tz), end.replace(tzinfo=tz), 60 * minutes)
    assert got == [Interval(day + timedelta(hours=a), day + timedelta(hours=b))
                   for a, b in expected]
    assert all(i.end - i.start == 60 * minutes for i in got)

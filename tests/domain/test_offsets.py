"""domain.offsets: the offsets a zone takes over a range, found to the second."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from sis_appointments.domain.offsets import offset_ranges


def test_new_york_over_2026_has_its_two_changes():
    assert offset_ranges(ZoneInfo("America/New_York"), datetime(2026, 1, 1, tzinfo=UTC),
                         datetime(2027, 1, 1, tzinfo=UTC)) == [
        (datetime(2026, 1, 1, tzinfo=UTC), -18000),
        (datetime(2026, 3, 8, 7, tzinfo=UTC), -14400),
        (datetime(2026, 11, 1, 6, tzinfo=UTC), -18000)]


def test_a_zone_without_changes_has_one_range():
    assert offset_ranges(ZoneInfo("UTC"), datetime(2026, 1, 1, tzinfo=UTC),
                         datetime(2036, 1, 1, tzinfo=UTC)) == [
        (datetime(2026, 1, 1, tzinfo=UTC), 0)]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["America/New_York", "Europe/London", "Australia/Lord_Howe",
                        "Asia/Kolkata", "America/Santiago"]),
       st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)),
       st.integers(min_value=0, max_value=400 * 86400))
def test_every_instant_gets_the_offset_of_its_range(name, start, seconds):
    tz = ZoneInfo(name)
    start = start.replace(tzinfo=UTC, microsecond=0)
    end = start.fromtimestamp(start.timestamp() + 400 * 86400, UTC)
    instant = start.fromtimestamp(start.timestamp() + seconds, UTC)
    ranges = offset_ranges(tz, start, end)
    offset = [o for since, o in ranges if since <= instant][-1]
    assert offset == instant.astimezone(tz).utcoffset().total_seconds()

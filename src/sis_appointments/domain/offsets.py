"""The UTC offsets a zone takes over a range of instants, for grouping by local time in SQL.

A zone's offset is constant between its transitions (DST changes, rule changes), so the
local time of an instant in ``[start, end)`` is ``instant + offset`` with the offset of the
last transition before it: a handful of ranges per year, which a database can apply with one
CASE expression (SQLite has no zone rules of its own).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

STEP = timedelta(hours=6)  # no zone changes its offset twice within six hours


def _offset(instant: datetime, tz: ZoneInfo) -> int:
    return int(instant.astimezone(tz).utcoffset().total_seconds())


def _transition(before: datetime, after: datetime, tz: ZoneInfo) -> datetime:
    """The first instant (to the second) in (before, after] with ``after``'s offset."""
    wanted = _offset(after, tz)
    low, high = before, after
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle <= low:
            break
        if _offset(middle, tz) == wanted:
            high = middle
        else:
            low = middle
    return high


def offset_ranges(tz: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """``[(from_instant, offset_seconds), ...]``: the offset in force from each instant on,
    the first from ``start``; ``start`` and ``end`` are aware instants."""
    ranges = [(start, _offset(start, tz))]
    probe = start
    while probe < end:
        following = min(probe + STEP, end)
        if _offset(following, tz) != ranges[-1][1]:
            ranges.append((_transition(probe, following, tz), _offset(following, tz)))
        probe = following
    return ranges

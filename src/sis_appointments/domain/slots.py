"""Cutting a time range into slots, and the buffered footprint a slot occupies.

Splitting rule: a slot's buffers belong to it and must lie inside the range. The first slot
starts at range start + buffer before; each next slot starts at the previous end + buffer
after + buffer before; a slot is made only if its end + buffer after is within the range.
So 13:00-17:00 in 20-minute slots with a 5-minute buffer after each gives 9 slots
(13:00, 13:25, ... 16:20), and with 5 minutes before and after each, 8 slots.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sis_appointments.domain.errors import InvalidInput


@dataclass(frozen=True, order=True)
class Interval:
    start: datetime
    end: datetime

    def overlaps(self, other: Interval) -> bool:
        """Half-open intervals: touching ends do not overlap."""
        return self.start < other.end and other.start < self.end


def footprint(start: datetime, end: datetime, before: timedelta, after: timedelta) -> Interval:
    """The time a slot keeps its host busy: the slot plus its buffers."""
    return Interval(start - before, end + after)


def check_range(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("times need a UTC offset or zone", code="naive_datetime")
    if end <= start:
        raise InvalidInput("the end must be after the start", code="end_before_start")


def split(start: datetime, end: datetime, duration: timedelta,
          before: timedelta = timedelta(0), after: timedelta = timedelta(0)) -> list[Interval]:
    """Consecutive slots of ``duration`` in [start, end) by the rule above, in UTC: lengths
    and buffers are elapsed time, also across a DST change (Python adds a timedelta to an
    aware datetime on its wall clock)."""
    check_range(start, end)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if duration <= timedelta(0):
        raise InvalidInput("the duration must be positive", code="bad_duration")
    if before < timedelta(0) or after < timedelta(0):
        raise InvalidInput("buffers cannot be negative", code="bad_buffer")
    slots = []
    slot_start = start + before
    while slot_start + duration + after <= end:
        slots.append(Interval(slot_start, slot_start + duration))
        slot_start += duration + after + before
    if not slots:
        minutes = int((end - start).total_seconds() // 60)
        needed = int((before + duration + after).total_seconds() // 60)
        raise InvalidInput(
            f"the range ({minutes} minutes) is shorter than one slot with its buffers "
            f"({needed} minutes)", code="range_too_short")
    return slots

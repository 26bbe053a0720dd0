"""Recurring series: RFC 5545 rules expanded in wall-clock time of the series' zone.

A weekly Monday 09:00 series in America/New_York is 09:00 local on every Monday, so its
UTC instants move by an hour at each DST change. Supported: FREQ=DAILY, WEEKLY or MONTHLY
with INTERVAL, BYDAY (including ordinals such as 2TU for "second Tuesday"), BYMONTHDAY,
BYSETPOS, COUNT and UNTIL. UNTIL may be local (no suffix) or UTC ("Z"). Exception dates
are wall-clock starts, like the occurrences they remove.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, rrule, rrulestr

from sis_appointments.domain.errors import InvalidInput
from sis_appointments.domain.timezones import is_ambiguous, is_nonexistent, to_utc, zone

ALLOWED_FREQUENCIES = {DAILY: "DAILY", WEEKLY: "WEEKLY", MONTHLY: "MONTHLY"}
_UTC_UNTIL = re.compile(r"UNTIL=(\d{8}T\d{6})Z", re.IGNORECASE)
_MAX_SCAN = 5000  # occurrences looked at when deciding that a rule expands to nothing


@dataclass(frozen=True)
class Occurrence:
    """One occurrence: its wall-clock start (the recurrence ID) and its instants."""

    local_start: datetime
    start: datetime
    end: datetime
    dst_adjusted: bool = False  # the wall-clock start did not exist or occurred twice


@dataclass(frozen=True)
class Recurrence:
    """A validated rule: wall-clock ``start_local`` in ``timezone`` repeated by ``rule``."""

    start_local: datetime
    timezone: str
    rule: str
    duration: timedelta
    exdates: frozenset[datetime] = frozenset()

    def __post_init__(self):
        if self.start_local.tzinfo is not None:
            raise InvalidInput("a series starts at a wall-clock time, without a UTC offset")
        if self.duration <= timedelta(0):
            raise InvalidInput("the duration must be positive", code="bad_duration")
        zone(self.timezone)
        self._parsed()  # validates the rule

    def _parsed(self) -> rrule:
        text = self.rule.strip()
        text = text[len("RRULE:"):] if text.upper().startswith("RRULE:") else text
        tz = zone(self.timezone)
        # A UTC UNTIL becomes the wall-clock time it is in the series' zone.
        text = _UTC_UNTIL.sub(
            lambda m: "UNTIL=" + datetime.strptime(m.group(1), "%Y%m%dT%H%M%S")
            .replace(tzinfo=UTC).astimezone(tz).strftime("%Y%m%dT%H%M%S"),
            text,
        )
        try:
            parsed = rrulestr(text, dtstart=self.start_local)
        except (ValueError, TypeError) as exc:
            raise InvalidInput(f"not a valid RRULE: {exc}", code="bad_rrule") from exc
        if not isinstance(parsed, rrule) or parsed._freq not in ALLOWED_FREQUENCIES:
            raise InvalidInput("only DAILY, WEEKLY and MONTHLY rules are supported",
                               code="bad_rrule")
        return parsed

    def local_starts(self):
        """Wall-clock starts in order, exception dates removed (may be endless)."""
        return (s for s in self._parsed() if s not in self.exdates)

    def between(self, start: datetime, end: datetime) -> list[Occurrence]:
        """Occurrences starting in [start, end) (aware instants), earliest first."""
        tz = zone(self.timezone)
        lo = start.astimezone(tz).replace(tzinfo=None) - timedelta(days=1)
        hi = end.astimezone(tz).replace(tzinfo=None) + timedelta(days=1)
        found = []
        for local in self._parsed().between(lo, hi, inc=True):
            if local in self.exdates:
                continue
            occurrence = self._occurrence(local)
            if start <= occurrence.start < end:
                found.append(occurrence)
        return found

    def _occurrence(self, local: datetime) -> Occurrence:
        tz = zone(self.timezone)
        start = to_utc(local, tz)
        end = start + self.duration  # elapsed time: the same length across a DST change
        odd = is_nonexistent(local, tz) or is_ambiguous(local, tz)
        return Occurrence(local, start, end, odd)

    def first(self, count: int) -> list[Occurrence]:
        return [self._occurrence(s) for s in islice(self.local_starts(), count)]

    def check_not_empty(self) -> None:
        """Refuse a rule whose occurrences are all excluded or that has none at all."""
        if not any(True for _ in islice(self.local_starts(), 1)):
            raise InvalidInput("the recurrence rule expands to no occurrence", code="empty_rrule")

    def check_spacing(self, buffer_before: timedelta, buffer_after: timedelta) -> None:
        """Refuse occurrences so close that one runs into the next's buffers."""
        previous = None
        for occurrence in self.first(_MAX_SCAN // 10):
            if previous and occurrence.start - buffer_before < previous.end + buffer_after:
                gap = occurrence.start - previous.end
                raise InvalidInput(
                    f"occurrences {previous.local_start:%Y-%m-%d %H:%M} and "
                    f"{occurrence.local_start:%Y-%m-%d %H:%M} are {_minutes(gap)} apart, less "
                    f"than the buffers ({_minutes(buffer_before + buffer_after)})",
                    code="buffer_longer_than_gap",
                )
            previous = occurrence


def _minutes(delta: timedelta) -> str:
    return f"{int(delta.total_seconds() // 60)} minutes"

"""Recurring series: RFC 5545 rules expanded in wall-clock time of the series' zone.

A weekly Monday 09:00 series in America/New_York is 09:00 local on every Monday, so its
UTC instants move by an hour at each DST change. Supported: FREQ=DAILY, WEEKLY or MONTHLY
with INTERVAL, BYDAY (including ordinals such as 2TU for "second Tuesday"), BYMONTHDAY,
BYSETPOS, COUNT and UNTIL. Exception dates are wall-clock starts, like the occurrences they
remove.

UNTIL in UTC ("Z", what RFC 5545 requires beside a DTSTART with TZID, and what the service
writes itself) bounds the occurrences' instants, as calendar programs read it. A local UNTIL
(no suffix: accepted as typed, and kept in rules stored before UTC was written) bounds their
wall-clock starts; calendar files get it as the UTC instant of the last occurrence it lets
through (``rfc_rule``), so every reader finds the same occurrences.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, rrule, rrulestr

from sis_appointments.domain.errors import InvalidInput
from sis_appointments.domain.timezones import is_ambiguous, is_nonexistent, to_utc, zone

ALLOWED_FREQUENCIES = {DAILY: "DAILY", WEEKLY: "WEEKLY", MONTHLY: "MONTHLY"}
_UNTIL = re.compile(r"UNTIL=(\d{8}(?:T\d{6})?)(Z?)(?=;|$)", re.IGNORECASE)
_UTC_FORMAT = "%Y%m%dT%H%M%SZ"
# A UTC UNTIL is handed to dateutil as a wall-clock bound this much later, and occurrences are
# then cut by their instants: past a fall-back, a later wall-clock time can be an earlier instant.
_UNTIL_SLACK = timedelta(days=1)
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

    def _text(self) -> str:
        text = self.rule.strip()
        return text[len("RRULE:"):] if text.upper().startswith("RRULE:") else text

    def _until(self) -> tuple[datetime, bool] | None:
        """The rule's UNTIL (naive) and whether it is UTC; None without one."""
        found = _UNTIL.search(self._text())
        if not found:
            return None
        value = found.group(1)
        return datetime.strptime(value, "%Y%m%dT%H%M%S" if "T" in value.upper() else "%Y%m%d"), \
            bool(found.group(2))

    def _until_utc(self) -> datetime | None:
        """The rule's UTC UNTIL as an instant, or None (no UNTIL, or a local one)."""
        until = self._until()
        return until[0].replace(tzinfo=UTC) if until and until[1] else None

    def _parsed(self) -> rrule:
        """The rule for dateutil over wall-clock times. A UTC UNTIL becomes a wall-clock
        bound a little past it; ``_rule_starts`` cuts the occurrences at the instant."""
        text = self._text()
        until = self._until_utc()
        if until is not None:
            local = until.astimezone(zone(self.timezone)).replace(tzinfo=None) + _UNTIL_SLACK
            text = _UNTIL.sub("UNTIL=" + local.strftime("%Y%m%dT%H%M%S"), text)
        try:
            parsed = rrulestr(text, dtstart=self.start_local)
        except (ValueError, TypeError) as exc:
            raise InvalidInput(f"not a valid RRULE: {exc}", code="bad_rrule") from exc
        if not isinstance(parsed, rrule) or parsed._freq not in ALLOWED_FREQUENCIES:
            raise InvalidInput("only DAILY, WEEKLY and MONTHLY rules are supported",
                               code="bad_rrule")
        return parsed

    def _rule_starts(self):
        """Every wall-clock start the rule makes, exception dates included (may be endless)."""
        until = self._until_utc()
        if until is None:
            yield from self._parsed()
            return
        tz = zone(self.timezone)
        for local in self._parsed():
            if to_utc(local, tz) <= until:
                yield local

    def local_starts(self, exdates: bool = True):
        """Wall-clock starts in order, exception dates removed unless ``exdates`` is false
        (COUNT counts the excluded ones too); may be endless."""
        return (s for s in self._rule_starts() if not exdates or s not in self.exdates)

    def first_start(self) -> datetime:
        """The first wall-clock start the rule makes (an exception date may remove it): the
        series' start when that is an occurrence, else the first that is."""
        return next(iter(self._rule_starts()), self.start_local)

    def rfc_rule(self) -> str:
        """The rule as RFC 5545 wants it beside ``DTSTART;TZID=`` at ``first_start()``:
        a local UNTIL becomes the UTC instant of the last start it lets through."""
        text = self._text()
        until = self._until()
        if until is None or until[1]:
            return text
        last = deque(self._rule_starts(), maxlen=1)  # finite: the rule has an UNTIL
        bound = to_utc(last[0] if last else until[0], zone(self.timezone))
        return _UNTIL.sub("UNTIL=" + bound.strftime(_UTC_FORMAT), text)

    def between(self, start: datetime, end: datetime) -> list[Occurrence]:
        """Occurrences starting in [start, end) (aware instants), earliest first."""
        tz = zone(self.timezone)
        lo = start.astimezone(tz).replace(tzinfo=None) - timedelta(days=1)
        hi = end.astimezone(tz).replace(tzinfo=None) + timedelta(days=1)
        found = []
        for local in self._rule_starts():
            if local > hi:
                break
            if local < lo or local in self.exdates:
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

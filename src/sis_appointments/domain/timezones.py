"""Wall-clock times in IANA zones, and showing instants in a viewer's zone.

Rule for local times a DST change makes odd (RFC 5545 section 3.3.5): a local time that
does not exist (skipped by a spring-forward gap) is read with the offset before the gap, so
02:30 on the day New York springs forward is 03:30 EDT; a local time that occurs twice is
the first occurrence (the daylight-time one in autumn).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sis_appointments.domain.errors import InvalidInput


def zone(name: str) -> ZoneInfo:
    """The zone called ``name``; an unknown name is invalid input."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise InvalidInput(f"{name!r} is not an IANA time zone", code="unknown_timezone") from exc


def zone_or_default(name: str | None, default: str) -> ZoneInfo:
    """The zone called ``name``, or ``default`` when the name is missing or unknown."""
    try:
        return ZoneInfo(name) if name else ZoneInfo(default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)


def to_utc(local: datetime, tz: ZoneInfo) -> datetime:
    """The instant of naive wall-clock ``local`` in ``tz``, by the rule above."""
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC)


def is_nonexistent(local: datetime, tz: ZoneInfo) -> bool:
    """True if ``local`` falls in a spring-forward gap of ``tz``."""
    aware = local.replace(tzinfo=tz)
    return aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local


def is_ambiguous(local: datetime, tz: ZoneInfo) -> bool:
    """True if ``local`` occurs twice in ``tz`` (an autumn fall-back)."""
    first, second = local.replace(tzinfo=tz, fold=0), local.replace(tzinfo=tz, fold=1)
    return first.utcoffset() != second.utcoffset() and not is_nonexistent(local, tz)


def format_local(instant: datetime, tz: ZoneInfo) -> str:
    """E.g. 'Mon 7 Dec 2026, 09:00 EST (America/New_York)'; ``instant`` must be aware."""
    local = instant.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {local.tzname()} ({tz.key})"

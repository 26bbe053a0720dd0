"""Showing instants in a viewer's zone, with the zone named."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone_or_default(name: str | None, default: str) -> ZoneInfo:
    """The zone called ``name``, or ``default`` when the name is missing or unknown."""
    try:
        return ZoneInfo(name) if name else ZoneInfo(default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)


def format_local(instant: datetime, zone: ZoneInfo) -> str:
    """E.g. 'Mon 7 Dec 2026, 09:00 EST (America/New_York)'; ``instant`` must be aware."""
    local = instant.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {local.tzname()} ({zone.key})"

"""Local calendar parts (weekday, hour, week, month) of UTC instants, computed in SQL.

PostgreSQL converts with its own zone rules (``timezone(zone, instant)``). SQLite has none,
so the instant is shifted by the zone's offset, chosen by a CASE over the offset ranges the
zone takes within the report's range (``domain.offsets``): exact across DST changes, and the
database still does the grouping, so only one row per bucket ever reaches Python.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Integer, case, cast, extract, func, literal
from sqlalchemy.sql.elements import ColumnElement

from sis_appointments.domain.offsets import offset_ranges
from sis_appointments.models.base import UTCDateTime


class LocalTime:
    """SQL expressions for the local parts of instants between ``start`` and ``end`` in
    ``zone``, for the database ``dialect`` ("postgresql" or "sqlite")."""

    def __init__(self, dialect: str, zone: ZoneInfo, start: datetime, end: datetime):
        self.dialect, self.zone = dialect, zone
        self.ranges = offset_ranges(zone, start, end)

    def local(self, instant) -> ColumnElement:
        """The wall-clock time of ``instant`` (a timestamp on PostgreSQL, text on SQLite)."""
        if self.dialect == "postgresql":
            return func.timezone(self.zone.key, instant)
        shifts = [f"{offset:+d} seconds" for _, offset in self.ranges]
        if len(shifts) == 1:
            return func.datetime(instant, shifts[0])
        whens = [(instant < literal(since, UTCDateTime()), shift)
                 for (since, _), shift in zip(self.ranges[1:], shifts, strict=False)]
        return func.datetime(instant, case(*whens, else_=shifts[-1]))

    def hour(self, instant) -> ColumnElement:
        local = self.local(instant)
        if self.dialect == "postgresql":
            return cast(extract("hour", local), Integer)
        return cast(func.strftime("%H", local), Integer)

    def weekday(self, instant) -> ColumnElement:
        """Monday 0 to Sunday 6."""
        local = self.local(instant)
        if self.dialect == "postgresql":
            return cast(extract("isodow", local), Integer) - 1
        return (cast(func.strftime("%w", local), Integer) + 6) % 7

    def week(self, instant) -> ColumnElement:
        """The Monday starting the local week (a date; text on SQLite: see ``as_date``)."""
        local = self.local(instant)
        if self.dialect == "postgresql":
            return cast(func.date_trunc("week", local), Date)
        return func.date(local, "weekday 0", "-6 days")

    def month(self, instant) -> ColumnElement:
        """The local month as text, e.g. '2026-11'."""
        local = self.local(instant)
        if self.dialect == "postgresql":
            return func.to_char(local, "YYYY-MM")
        return func.strftime("%Y-%m", local)


def seconds_between(dialect: str, later, earlier) -> ColumnElement:
    """``later - earlier`` in seconds, in SQL."""
    if dialect == "postgresql":
        return extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400


def as_date(value) -> date:
    """A week's Monday as the database returned it (a date, or ISO text from SQLite)."""
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])

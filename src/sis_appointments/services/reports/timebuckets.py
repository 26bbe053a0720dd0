"""Local calendar parts (weekday, hour, week, month) of UTC instants, computed in SQL.

PostgreSQL converts with its own zone rules (``timezone(zone, instant)``). SQLite has none,
so the instant is shifted by the zone's offset, chosen by a CASE over the offset ranges the
zone takes within the report's range (``domain.offsets``): exact across DST changes, and the
database still does the grouping, so only one row per bucket ever reaches Python.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Float, Integer, case, cast, extract, func, literal
from sqlalchemy.dialects import postgresql
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


def bucket(dialect: str, value, bounds: list, type_=None) -> ColumnElement:
    """Which of the ranges cut by ascending ``bounds`` holds ``value``: 0 before the first,
    i for ``bounds[i-1] <= value < bounds[i]``, ``len(bounds)`` after the last. Local weeks
    and months are cut at instants worked out in Python (exact across DST), so the database
    compares instead of converting every row's time (PostgreSQL: one binary search,
    ``width_bucket``)."""
    typed = [literal(b, type_) if type_ is not None else literal(b) for b in bounds]
    if dialect == "postgresql":
        return func.width_bucket(value, postgresql.array(typed))
    return case(*((value < b, i) for i, b in enumerate(typed)), else_=len(bounds))


def instant_bucket(dialect: str, instant, bounds: list[datetime]) -> ColumnElement:
    """``bucket`` for instants (UTC columns) cut at aware ``bounds``."""
    return bucket(dialect, instant, bounds, UTCDateTime())


def seconds_bucket(dialect: str, later, earlier, bounds: list[int]) -> ColumnElement:
    """``bucket`` for the seconds from ``earlier`` to ``later``."""
    if dialect == "postgresql":
        return bucket(dialect, cast(extract("epoch", later - earlier), Float),
                      [float(b) for b in bounds], Float())
    return bucket(dialect, seconds_between(dialect, later, earlier), bounds)


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

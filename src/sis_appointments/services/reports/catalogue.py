"""The reports staff read, each a few tables computed in SQL, and their CSV downloads.

``report`` and ``table_rows`` are the entry points: both check who may see what
(``scope.resolve``) before running a statement of the report itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from sis_appointments.contract import SisUser
from sis_appointments.domain.errors import NotFound
from sis_appointments.services.reports import attendance, demand, usage
from sis_appointments.services.reports.scope import Filters, Scope, resolve
from sis_appointments.services.reports.tables import Table

PAGE_ROWS = 25  # rows of a ranked table on the page; its CSV has them all
TABLES: dict[str, tuple[Callable[..., Table], int | None]] = {
    "summary": (usage.summary, None),
    "heatmap": (usage.heatmap, None),
    "weekly": (usage.weekly, None),
    "attendance_by_type": (attendance.by_type, PAGE_ROWS),
    "attendance_by_host": (attendance.by_host, PAGE_ROWS),
    "attendance_by_month": (attendance.by_month, None),
    "lead_time": (attendance.lead_time, None),
    "cancellations": (attendance.cancellations, None),
    "waitlist": (demand.waitlist, None),
    "busiest_hosts": (demand.busiest_hosts, 10),
    "busiest_types": (demand.busiest_types, 10),
}


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    description: str
    tables: tuple[str, ...]


REPORTS = {r.name: r for r in (
    Report("usage", "Usage patterns", "When students book (weekday and hour), and seats "
           "offered, booked and used per week.", ("heatmap", "weekly")),
    Report("attendance", "No-shows and late cancellations", "Rates by appointment type, "
           "host and month.", ("attendance_by_month", "attendance_by_type",
                               "attendance_by_host")),
    Report("lead-time", "Lead time", "How far ahead appointments are booked.",
           ("lead_time",)),
    Report("cancellations", "Cancellations and reschedules", "Who cancels, how late, and "
           "how many bookings move, per week.", ("cancellations",)),
    Report("waitlist", "Waitlist demand", "Students waiting against the seats offered, and "
           "those who never got a seat.", ("waitlist",)),
    Report("busiest", "Busiest hosts and types", "Where the seats are booked.",
           ("busiest_hosts", "busiest_types")),
)}


@dataclass(frozen=True)
class ReportPage:
    scope: Scope
    report: Report | None
    tables: list[Table]


def report(session: Session, *, actor: SisUser, filters: Filters, zone: ZoneInfo,
           name: str | None = None) -> ReportPage:
    """The tables of report ``name`` (None: the summary) for ``actor``, times in ``zone``."""
    chosen = None
    if name is not None:
        chosen = REPORTS.get(name)
        if chosen is None:
            raise NotFound(f"there is no report {name!r}")
    scope = resolve(session, actor=actor, filters=filters, zone=zone)
    names = chosen.tables if chosen else ("summary",)
    return ReportPage(scope, chosen, [TABLES[t][0](session, scope, TABLES[t][1])
                                      for t in names])


def table_rows(session: Session, *, actor: SisUser, filters: Filters, zone: ZoneInfo,
               table: str) -> list[list]:
    """The header and every row of ``table`` (for a CSV download): all of them, where the
    page shows the first few."""
    if table not in TABLES:
        raise NotFound(f"there is no report table {table!r}")
    scope = resolve(session, actor=actor, filters=filters, zone=zone, choices=False)
    made = TABLES[table][0](session, scope, None)
    return [made.header(), *([_cell(v) for v in row] for row in made.rows)]


def _cell(value):
    return value.isoformat() if hasattr(value, "isoformat") else value

"""What a report covers: a range of local dates, and the calendars the viewer may see.

Staff see their own calendars and those they hold a grant for, admins (and staff granted
``manage_all``) everyone's (``access.managed_hosts``). A report narrows that to one host, to
an office or to one appointment type. The plugin knows no offices of its own: a host's offices
are the groups the SIS gives the staff member (``SisUser.groups``; the reference SIS names
each staff member's office there).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, select
from sqlalchemy.orm import Session

from sis_appointments.contract import SisUser
from sis_appointments.domain.errors import Forbidden, InvalidInput
from sis_appointments.models import AppointmentType, Slot
from sis_appointments.services.accounts import access
from sis_appointments.services.platform import sis

MAX_DAYS = 732  # two years: weeks stay a readable number of rows
DEFAULT_WEEKS = 8


@dataclass(frozen=True)
class Filters:
    """What the viewer asked for: local dates ``start`` to ``end`` (both included), and
    optionally one host, one office (a group of hosts) or one appointment type."""

    start: date
    end: date
    host: str | None = None
    office: str | None = None
    type_id: int | None = None


def default_range(today: date) -> tuple[date, date]:
    """This week and the seven before it, Monday to Sunday (the plugin knows no terms)."""
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(weeks=DEFAULT_WEEKS - 1), monday + timedelta(days=6)


@dataclass(frozen=True)
class Scope:
    """A report's reach: the UTC instants ``since``..``until`` (exclusive) of the local dates,
    the hosts looked at (None: every host), and the choices the filters offer."""

    filters: Filters
    zone: ZoneInfo
    since: datetime
    until: datetime
    hosts: list[str] | None
    host_names: dict[str, str] = field(default_factory=dict)  # host choices: key -> name
    offices: list[str] = field(default_factory=list)
    types: list[tuple[int, str]] = field(default_factory=list)

    def slots(self, query):
        """``query`` narrowed to the slots this scope covers (it must reach ``Slot``)."""
        query = query.where(Slot.start_utc >= self.since, Slot.start_utc < self.until)
        if self.hosts is not None:
            query = query.where(Slot.host_key.in_(self.hosts))
        if self.filters.type_id is not None:
            query = query.where(Slot.type_id == self.filters.type_id)
        return query

    def weeks(self) -> list[date]:
        """The Mondays of every local week the range touches."""
        monday = self.filters.start - timedelta(days=self.filters.start.weekday())
        return [monday + timedelta(weeks=n)
                for n in range((self.filters.end - monday).days // 7 + 1)]

    def week_bounds(self) -> list[datetime]:
        """The instants the local weeks start, and the one after the last ends."""
        weeks = self.weeks()
        return [_instant(day, self.zone) for day in [*weeks, weeks[-1] + timedelta(weeks=1)]]

    def month_bounds(self) -> list[datetime]:
        """The instants the local months start, and the one after the last ends."""
        months = [date.fromisoformat(f"{m}-01") for m in self.months()]
        after = date(months[-1].year + months[-1].month // 12, months[-1].month % 12 + 1, 1)
        return [_instant(day, self.zone) for day in [*months, after]]

    def months(self) -> list[str]:
        """Every local month the range touches, as 'YYYY-MM'."""
        year, month, out = self.filters.start.year, self.filters.start.month, []
        while (year, month) <= (self.filters.end.year, self.filters.end.month):
            out.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out

    def host_name(self, key: str) -> str:
        return self.host_names.get(key, key)


def _instant(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone).astimezone(UTC)


def resolve(session: Session, *, actor: SisUser, filters: Filters, zone: ZoneInfo,
            choices: bool = True) -> Scope:
    """The scope of ``filters`` for ``actor``: staff only, a host they manage only. With
    ``choices``, also the hosts, offices and types the filters may offer."""
    access.require_staff(actor, "see reports")
    if filters.end < filters.start:
        raise InvalidInput("the range must end on or after the day it starts", code="bad_range")
    if (filters.end - filters.start).days >= MAX_DAYS:
        raise InvalidInput(f"a report spans at most {MAX_DAYS} days", code="bad_range")
    since, until = _instant(filters.start, zone), _instant(filters.end + timedelta(days=1), zone)
    managed = access.managed_hosts(session, actor)
    if filters.host and not access.can_manage_host(session, actor, filters.host):
        raise Forbidden("you cannot see reports of this calendar")
    keys: list[str] = []
    if choices or filters.office:
        keys = sorted(set(managed) if managed is not None else session.scalars(
            select(distinct(Slot.host_key)).where(Slot.start_utc >= since,
                                                  Slot.start_utc < until)))
    people = sis.users(session, keys) if keys else {}
    hosts = managed
    if filters.host:
        hosts = [filters.host]
    elif filters.office:
        hosts = [k for k in keys if people.get(k) and filters.office in people[k].groups]
    names = {k: (people[k].name if people.get(k) else k) for k in keys}
    offices = sorted({g for p in people.values() if p for g in p.groups})
    types = [(i, n) for i, n in session.execute(
        select(AppointmentType.id, AppointmentType.name).order_by(
            AppointmentType.name, AppointmentType.id))] if choices else []
    return Scope(filters, zone, since, until, hosts, names, offices, types)

"""The staff dashboard: the slots of a week on the calendars a user manages (their own,
those a grant gives them, all for admins), who booked them, and the figures beside them
(utilisation by week, waitlist demand, no-shows this month, open conflicts, dead letters).

Everything is read in a fixed number of statements whatever the number of rows. The
figures are about now (this week, this month); the list of slots follows the date the
viewer navigated to. Weeks and months are the viewer's (``zone``), weeks start on Monday.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import Session, joinedload

from sis_appointments.contract import SisUser
from sis_appointments.domain.errors import Forbidden
from sis_appointments.models import (
    ACTIVE_BOOKING_STATUSES,
    Booking,
    Notification,
    Slot,
    WaitlistEntry,
    utcnow,
)
from sis_appointments.models.scheduling import OPEN_WAITLIST_STATUSES
from sis_appointments.services.accounts import access
from sis_appointments.services.platform import sis
from sis_appointments.services.scheduling import conflicts

DAYS = 8  # today and the next 7
HISTORY_WEEKS = 8  # weeks of utilisation before this one
CONFLICT_HORIZON = timedelta(days=30)  # how far ahead open conflicts are counted
HOST_LOOKBACK = timedelta(weeks=HISTORY_WEEKS + 1)  # hosts offered in the admin's filter


@dataclass
class SlotRow:
    slot: Slot
    bookings: list[Booking]
    waiting: int
    started: bool


@dataclass
class Day:
    day: date
    rows: list[SlotRow]


@dataclass(frozen=True)
class WeekUse:
    monday: date
    booked: int
    offered: int

    @property
    def rate(self) -> float | None:
        return self.booked / self.offered if self.offered else None


@dataclass
class Figures:
    weeks: list[WeekUse]  # oldest first; the last is this week
    waiting_students: int
    waitlisted_slots: int
    no_shows: int
    marked: int  # attended, no-show or excused this month so far
    unmarked: int  # started this month, attendance not marked yet
    conflicts: int
    dead_letters: int | None  # None: not the viewer's to see

    @property
    def no_show_rate(self) -> float | None:
        return self.no_shows / self.marked if self.marked else None


@dataclass
class Dashboard:
    start: date
    days: list[Day]
    hosts: list[str] | None  # the calendars looked at (None: all)
    host_choices: list[str]  # the hosts the viewer may narrow to
    offices: list[str]  # the hosts' groups (offices), if the SIS names any
    host: str | None
    office: str | None
    figures: Figures
    names: dict = field(default_factory=dict)  # SisUser (or None) by key
    cut: bool = False  # more slots than MAX_LISTED: narrow by calendar or office to see all

    @property
    def rooms(self) -> list[str]:
        """The live rooms of the calendars shown."""
        keys = self.hosts if self.hosts is not None else self.host_choices
        return [f"host:{key}" for key in sorted(set(keys))]


def _utc(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone).astimezone(UTC)


def scope(session: Session, actor: SisUser, *, host: str | None = None,
          office: str | None = None, now: datetime | None = None
          ) -> tuple[list[str] | None, list[str], list[str]]:
    """The hosts ``actor`` looks at, narrowed to ``host`` or ``office`` (a group the SIS
    gives the hosts), with the hosts and offices they may narrow to. A host they do not
    manage is refused."""
    now = now or utcnow()
    managed = access.managed_hosts(session, actor)
    access.require_staff(actor, "see the appointments dashboard")
    if managed is None:
        choices = sorted(session.scalars(select(distinct(Slot.host_key)).where(
            Slot.start_utc >= now - HOST_LOOKBACK)))
    else:
        choices = sorted(set(managed))
    people = sis.users(session, choices)
    offices = sorted({g for key in choices if people.get(key) for g in people[key].groups})
    hosts = managed
    if host:
        if not access.can_manage_host(session, actor, host):
            raise Forbidden("you cannot see this calendar")
        hosts = [host]
    elif office:
        hosts = [k for k in choices if people.get(k) and office in people[k].groups]
    return hosts, choices, offices


def _scoped(query, column, hosts):
    return query if hosts is None else query.where(column.in_(hosts))


MAX_LISTED = 300  # slots a dashboard lists at most (a whole campus's week is thousands)


def week_slots(session: Session, hosts: list[str] | None, start: datetime, end: datetime,
               now: datetime, limit: int = MAX_LISTED + 1) -> list[SlotRow]:
    """Open slots starting in [start, end) with their active bookings and waitlist
    lengths (three statements), the first ``limit``."""
    found = list(session.scalars(_scoped(
        select(Slot).options(joinedload(Slot.type))
        .where(Slot.start_utc >= start, Slot.start_utc < end, Slot.status == "open")
        .order_by(Slot.start_utc, Slot.id).limit(limit), Slot.host_key, hosts)))
    ids = [s.id for s in found]
    held: dict[int, list[Booking]] = {}
    waiting: dict[int, int] = {}
    if ids:
        for b in session.scalars(select(Booking).where(
                Booking.slot_id.in_(ids), Booking.status.in_(ACTIVE_BOOKING_STATUSES))
                .order_by(Booking.created_at, Booking.id)):
            held.setdefault(b.slot_id, []).append(b)
        waiting = dict(session.execute(select(WaitlistEntry.slot_id, func.count()).where(
            WaitlistEntry.slot_id.in_(ids), WaitlistEntry.status.in_(OPEN_WAITLIST_STATUSES))
            .group_by(WaitlistEntry.slot_id)).all())
    return [SlotRow(s, held.get(s.id, []), waiting.get(s.id, 0), s.start_utc <= now)
            for s in found]


def utilisation(session: Session, hosts: list[str] | None, zone: ZoneInfo,
                now: datetime) -> list[WeekUse]:
    """Booked seats against seats offered in open slots, this week and the
    ``HISTORY_WEEKS`` before it (one statement)."""
    today = now.astimezone(zone).date()
    this_monday = today - timedelta(days=today.weekday())
    mondays = [this_monday - timedelta(weeks=n) for n in range(HISTORY_WEEKS, -1, -1)]
    bounds = [_utc(m, zone) for m in mondays] + [_utc(this_monday + timedelta(weeks=1), zone)]
    columns = []
    for i in range(len(mondays)):
        inside = (Slot.start_utc >= bounds[i]) & (Slot.start_utc < bounds[i + 1])
        columns += [func.coalesce(func.sum(case((inside, Slot.booked), else_=0)), 0),
                    func.coalesce(func.sum(case((inside, Slot.capacity), else_=0)), 0)]
    row = session.execute(_scoped(select(*columns).where(
        Slot.status == "open", Slot.start_utc >= bounds[0], Slot.start_utc < bounds[-1]),
        Slot.host_key, hosts)).one()
    return [WeekUse(m, int(row[2 * i]), int(row[2 * i + 1])) for i, m in enumerate(mondays)]


def figures(session: Session, actor: SisUser, hosts: list[str] | None, zone: ZoneInfo,
            now: datetime) -> Figures:
    """The dashboard's figures for the calendars ``hosts`` (None: all)."""
    waiting = session.execute(_scoped(
        select(func.count(distinct(WaitlistEntry.student_key)),
               func.count(distinct(WaitlistEntry.slot_id)))
        .join(WaitlistEntry.slot)
        .where(WaitlistEntry.status.in_(OPEN_WAITLIST_STATUSES), Slot.status == "open",
               Slot.end_utc > now), Slot.host_key, hosts)).one()
    local = now.astimezone(zone)
    month_start = _utc(local.date().replace(day=1), zone)
    outcomes = dict(session.execute(_scoped(
        select(Booking.status, func.count()).join(Booking.slot)
        .where(Slot.status == "open", Slot.start_utc >= month_start, Slot.start_utc <= now,
               Booking.status.in_(ACTIVE_BOOKING_STATUSES))
        .group_by(Booking.status), Slot.host_key, hosts)).all())
    dead = None
    if actor.has_role("admin"):
        dead = session.scalar(select(func.count()).select_from(Notification)
                              .where(Notification.status == "dead"))
    # Clashes with students' timetables are asked of the SIS student by student: the page
    # of conflicts lists them; the count here stays a fixed number of statements.
    open_conflicts = conflicts.find(session, now, now + CONFLICT_HORIZON, hosts=hosts,
                                    timetable=False)
    return Figures(
        weeks=utilisation(session, hosts, zone, now),
        waiting_students=waiting[0], waitlisted_slots=waiting[1],
        no_shows=outcomes.get("no_show", 0),
        marked=sum(outcomes.get(s, 0) for s in ("attended", "no_show", "excused")),
        unmarked=outcomes.get("confirmed", 0), conflicts=len(open_conflicts),
        dead_letters=dead)


def dashboard(session: Session, actor: SisUser, zone: ZoneInfo, *, start: date | None = None,
              host: str | None = None, office: str | None = None,
              now: datetime | None = None) -> Dashboard:
    """The dashboard of ``actor`` from ``start`` (default: today) for ``DAYS`` days."""
    now = now or utcnow()
    start = start or now.astimezone(zone).date()
    hosts, choices, offices = scope(session, actor, host=host, office=office, now=now)
    rows = week_slots(session, hosts, _utc(start, zone),
                      _utc(start + timedelta(days=DAYS), zone), now)
    cut = len(rows) > MAX_LISTED
    rows = rows[:MAX_LISTED]
    names = sis.users(session, set(choices) | {r.slot.host_key for r in rows}
                      | {b.student_key for r in rows for b in r.bookings})
    by_day: dict[date, list[SlotRow]] = {}
    for row in rows:
        by_day.setdefault(row.slot.start_utc.astimezone(zone).date(), []).append(row)
    days = [Day(start + timedelta(days=n), by_day.get(start + timedelta(days=n), []))
            for n in range(DAYS)]
    return Dashboard(start, days, hosts, choices, offices, host or None,
                     office if not host else None, figures(session, actor, hosts, zone, now),
                     names, cut)

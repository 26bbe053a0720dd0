"""Waitlist demand against the seats offered, and the busiest hosts and types.

A student "got a seat" they waited for when their waitlist place was promoted or they hold
an active booking in that slot anyway; unmet demand is the students who waited for slots in
a week (or the range) and got none of the seats they waited for.
"""

from __future__ import annotations

from sqlalchemy import case, desc, exists, func, select
from sqlalchemy.orm import Session

from sis_appointments.models import AppointmentType, Booking, Slot, WaitlistEntry
from sis_appointments.services.reports.attendance import host_names
from sis_appointments.services.reports.common import (
    ACTIVE,
    OPEN,
    bookings,
    count_if,
    slots,
    sum_if,
    week_of,
)
from sis_appointments.services.reports.scope import Scope
from sis_appointments.services.reports.tables import Chart, Column, Table, rate


def _seated():
    """1 when the waitlist place's student got a seat in its slot, else 0 (per place)."""
    holds = exists().where(Booking.slot_id == WaitlistEntry.slot_id,
                           Booking.student_key == WaitlistEntry.student_key, ACTIVE)
    return case((WaitlistEntry.status == "promoted", 1), (holds, 1), else_=0)


def _places(scope: Scope, *columns):
    return scope.slots(select(*columns).select_from(WaitlistEntry).join(
        Slot, Slot.id == WaitlistEntry.slot_id))


def waitlist(session: Session, scope: Scope, limit: int | None = None) -> Table:
    """Per local week: seats offered and booked, waitlist places, students waiting, promoted,
    and students left without a seat; the range's unmet total in ``extra``."""
    week, monday_of = week_of(session, scope)
    seats = {monday_of(w): (offered, booked) for w, offered, booked in session.execute(
        slots(scope, week, sum_if(OPEN, Slot.capacity), sum_if(OPEN, Slot.booked))
        .group_by(week))}
    per_student = _places(scope, week.label("week"), WaitlistEntry.student_key,
                          func.count().label("places"),
                          count_if(WaitlistEntry.status == "promoted").label("promoted"),
                          func.max(_seated()).label("seated")).group_by(
        week, WaitlistEntry.student_key).subquery()
    waits = {monday_of(w): figures for w, *figures in session.execute(select(
        per_student.c.week, func.sum(per_student.c.places), func.count(),
        func.sum(per_student.c.promoted), count_if(per_student.c.seated == 0))
        .group_by(per_student.c.week))}
    rows = []
    for monday in scope.weeks():
        offered, booked = seats.get(monday, (0, 0))
        places, students, promoted, unmet = (int(v or 0) for v in waits.get(monday, (0,) * 4))
        rows.append((monday, offered, booked, rate(booked, offered), places, students,
                     promoted, unmet))
    per_range = _places(scope, WaitlistEntry.student_key).group_by(
        WaitlistEntry.student_key).having(func.max(_seated()) == 0).subquery()
    unmet_total = session.scalar(select(func.count()).select_from(per_range))
    return Table(
        "waitlist", "Waitlist demand against seats offered",
        [Column("week", "Week of", "week"), Column("offered", "Seats offered"),
         Column("booked", "Seats booked"), Column("utilisation", "Utilisation (%)", "percent"),
         Column("places", "Waitlist places"), Column("students", "Students waiting"),
         Column("promoted", "Promoted"), Column("unmet", "Waited without a seat")],
        rows, Chart("bar", ("offered", "booked", "students", "unmet")),
        note="Students waiting: those who joined a waitlist of a slot that week. Waited "
             "without a seat: of them, those who got none of the seats they waited for "
             "(for slots still ahead: not yet).",
        extra={"unmet": unmet_total})


def _busiest(session: Session, scope: Scope, key, limit: int | None):
    """The open slots' figures grouped by ``key``, most seats booked first, and the no-shows
    of the groups shown."""
    found = session.execute(slots(scope, key, func.count(), func.sum(Slot.capacity),
                                  func.sum(Slot.booked)).where(OPEN).group_by(key).order_by(
        desc(func.sum(Slot.booked)), key)).all()
    shown = found if limit is None else found[:limit]
    keys = [row[0] for row in shown]
    no_shows = dict(session.execute(bookings(scope, key, count_if(
        Booking.status == "no_show")).where(key.in_(keys)).group_by(key)).all()) if keys else {}
    return shown, no_shows, len(found) - len(shown)


BUSY_COLUMNS = [Column("slots", "Open slots"), Column("offered", "Seats offered"),
                Column("booked", "Seats booked"),
                Column("utilisation", "Utilisation (%)", "percent"),
                Column("no_show", "No-shows")]


def busiest_hosts(session: Session, scope: Scope, limit: int | None = None) -> Table:
    shown, no_shows, more = _busiest(session, scope, Slot.host_key, limit)
    names = host_names(session, [row[0] for row in shown])
    rows = [(k, names[k], n, offered, booked, rate(booked, offered), no_shows.get(k, 0))
            for k, n, offered, booked in shown]
    return Table("busiest_hosts", "Busiest hosts",
                 [Column("host_key", "Host key", "key"), Column("host", "Host", "text"),
                  *BUSY_COLUMNS], rows, Chart("bar", ("offered", "booked"), label="host"),
                 note="Hosts with the most seats booked in open slots.", more=more)


def busiest_types(session: Session, scope: Scope, limit: int | None = None) -> Table:
    shown, no_shows, more = _busiest(session, scope, Slot.type_id, limit)
    names = dict(session.execute(select(AppointmentType.id, AppointmentType.name).where(
        AppointmentType.id.in_([row[0] for row in shown]))).all()) if shown else {}
    rows = [(k, names.get(k, str(k)), n, offered, booked, rate(booked, offered),
             no_shows.get(k, 0)) for k, n, offered, booked in shown]
    return Table("busiest_types", "Busiest appointment types",
                 [Column("type_id", "Type ID", "key"), Column("type", "Type", "text"),
                  *BUSY_COLUMNS], rows, Chart("bar", ("offered", "booked"), label="type"),
                 note="Types with the most seats booked in open slots.", more=more)



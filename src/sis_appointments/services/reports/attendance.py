"""No-shows and late cancellations, lead times, cancellations and reschedules.

Every booking counts at its slot's start, whatever its status. The no-show rate is no-shows
out of the appointments that took place with attendance marked (attended + no-show, as the
attendance export counts); the late-cancellation rate is late cancellations out of all
bookings.
"""

from __future__ import annotations

from sqlalchemy import String, cast, desc, func
from sqlalchemy.orm import Session

from sis_appointments.models import AppointmentType, AuditEntry, Booking, Slot
from sis_appointments.services.platform import sis
from sis_appointments.services.reports.common import (
    bookings,
    count_if,
    dialect,
    month_of,
    week_of,
)
from sis_appointments.services.reports.scope import Scope
from sis_appointments.services.reports.tables import Chart, Column, Table, rate
from sis_appointments.services.reports.timebuckets import seconds_bucket

RATE_COLUMNS = [Column("bookings", "Bookings"), Column("attended", "Attended"),
                Column("no_show", "No-shows"), Column("excused", "Excused"),
                Column("late_cancelled", "Late cancellations"),
                Column("no_show_rate", "No-show rate (%)", "percent"),
                Column("late_rate", "Late-cancellation rate (%)", "percent")]
RATE_CHART = Chart("bar", ("no_show_rate", "late_rate"), percent=True)
RATE_NOTE = ("No-show rate: no-shows out of attended and no-show bookings. Late-cancellation "
             "rate: late cancellations out of all bookings.")
MOVES = ("booking.rescheduled", "booking.moved")
HOUR, DAY = 3600, 86400
LEAD_BUCKETS = ((HOUR, "Less than 1 hour"), (DAY, "1 to 24 hours"), (3 * DAY, "1 to 3 days"),
                (7 * DAY, "3 to 7 days"), (14 * DAY, "1 to 2 weeks"),
                (28 * DAY, "2 to 4 weeks"), (None, "4 weeks or more"))


def _figures():
    return (func.count(Booking.id), count_if(Booking.status == "attended"),
            count_if(Booking.status == "no_show"), count_if(Booking.status == "excused"),
            count_if(Booking.status == "late_cancelled"))


def _rates(total, attended, no_show, excused, late) -> tuple:
    return (total, attended, no_show, excused, late, rate(no_show, attended + no_show),
            rate(late, total))


def by_type(session: Session, scope: Scope, limit: int | None = None) -> Table:
    query = bookings(scope, Slot.type_id, AppointmentType.name, *_figures()).join(
        AppointmentType, AppointmentType.id == Slot.type_id).group_by(
        Slot.type_id, AppointmentType.name).order_by(desc(func.count(Booking.id)), Slot.type_id)
    rows = [(tid, name, *_rates(*figures)) for tid, name, *figures in session.execute(query)]
    return _limited(Table("attendance_by_type", "No-shows and late cancellations by type",
                          [Column("type_id", "Type ID", "key"), Column("type", "Type", "text"),
                           *RATE_COLUMNS], rows, RATE_CHART, RATE_NOTE), limit)


def by_host(session: Session, scope: Scope, limit: int | None = None) -> Table:
    query = bookings(scope, Slot.host_key, *_figures()).group_by(Slot.host_key).order_by(
        desc(func.count(Booking.id)), Slot.host_key)
    found = session.execute(query).all()
    shown = found if limit is None else found[:limit]
    names = host_names(session, [row[0] for row in shown])
    rows = [(key, names[key], *_rates(*figures)) for key, *figures in shown]
    return Table("attendance_by_host", "No-shows and late cancellations by host",
                 [Column("host_key", "Host key", "key"), Column("host", "Host", "text"),
                  *RATE_COLUMNS], rows, RATE_CHART, RATE_NOTE, more=len(found) - len(shown))


def by_month(session: Session, scope: Scope, limit: int | None = None) -> Table:
    month, name_of = month_of(session, scope)
    found = {name_of(m): figures for m, *figures in session.execute(
        bookings(scope, month, *_figures()).group_by(month))}
    rows = [(m, *_rates(*found.get(m, (0, 0, 0, 0, 0)))) for m in scope.months()]
    return Table("attendance_by_month", "No-shows and late cancellations by month",
                 [Column("month", "Month", "month"), *RATE_COLUMNS],
                 rows, Chart("line", ("no_show_rate", "late_rate"), percent=True), RATE_NOTE)


def lead_time(session: Session, scope: Scope, limit: int | None = None) -> Table:
    """How long before the appointment its booking was made (waitlist promotions: when the
    seat was given), in buckets; cancelled bookings count too."""
    bucket = seconds_bucket(dialect(session), Slot.start_utc, Booking.created_at,
                            [limit_ for limit_, _ in LEAD_BUCKETS if limit_ is not None])
    found = {int(b): (n, cancelled) for b, n, cancelled in session.execute(
        bookings(scope, bucket, func.count(),
                 count_if(Booking.status.in_(("cancelled", "late_cancelled"))))
        .group_by(bucket))}
    total = sum(n for n, _ in found.values())
    rows = [(label, *found.get(n, (0, 0)), rate(found.get(n, (0, 0))[0], total))
            for n, (_, label) in enumerate(LEAD_BUCKETS)]
    return Table("lead_time", "Lead time from booking to appointment",
                 [Column("lead_time", "Booked ahead by", "text"), Column("bookings", "Bookings"),
                  Column("cancelled", "Of them cancelled"),
                  Column("share", "Share of bookings (%)", "percent")],
                 rows, Chart("bar", ("bookings",)),
                 note="The time from a booking being made (or a waitlist seat given) to the "
                      "start of its appointment.")


def cancellations(session: Session, scope: Scope, limit: int | None = None) -> Table:
    """Per local week: cancellations by whom, late ones, and reschedules (from the audit
    log: a booking moved to another slot keeps its row)."""
    week, monday_of = week_of(session, scope)
    cancelled = Booking.status == "cancelled"
    found = {monday_of(w): figures for w, *figures in session.execute(bookings(
        scope, week, func.count(Booking.id),
        count_if(cancelled & (Booking.cancelled_by == Booking.student_key)),
        count_if(Booking.status == "late_cancelled"),
        count_if(cancelled & Booking.cancelled_by.is_not(None)
                 & (Booking.cancelled_by != Booking.student_key)),
        count_if(cancelled & Booking.cancelled_by.is_(None))).group_by(week))}
    moves = dict(session.execute(bookings(scope, week, func.count(AuditEntry.id)).join(
        AuditEntry, (AuditEntry.entity_type == "booking")
        & (AuditEntry.entity_id == cast(Booking.id, String))).where(
        AuditEntry.action.in_(MOVES)).group_by(week)).all())
    moves = {monday_of(w): n for w, n in moves.items()}
    rows = [(monday, *found.get(monday, (0, 0, 0, 0, 0)), moves.get(monday, 0))
            for monday in scope.weeks()]
    return Table(
        "cancellations", "Cancellations and reschedules per week",
        [Column("week", "Week of", "week"), Column("bookings", "Bookings"),
         Column("by_student", "Cancelled by the student"),
         Column("late", "Late cancellations"), Column("by_staff", "Cancelled by staff"),
         Column("by_system", "Cancelled by the system"),
         Column("rescheduled", "Rescheduled")],
        rows, Chart("stacked", ("by_student", "late", "by_staff", "by_system", "rescheduled")),
        note="By the week of the appointment. Late: cancelled by the student after the type's "
             "cut-off. The system cancels when a student leaves the SIS.")


def host_names(session: Session, keys: list[str]) -> dict[str, str]:
    people = sis.users(session, keys) if keys else {}
    return {k: (people[k].name if people.get(k) else k) for k in keys}


def _limited(table: Table, limit: int | None) -> Table:
    if limit is not None and len(table.rows) > limit:
        table.more = len(table.rows) - limit
        table.rows = table.rows[:limit]
    return table

"""Usage patterns: when appointments are booked (weekday x hour), and seats per week.

Bookings here are the active ones (confirmed, attended, no-show, excused), placed at their
slot's start in the viewer's zone, and counted by the slots' seat ledger (``Slot.booked``
is the number of a slot's active bookings, kept by ``services.scheduling.seats``): these
two figures read the slots alone, never the bookings. Seats offered are the capacities of
the open slots; utilisation is booked / offered.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.orm import Session

from sis_appointments.models import Booking, Slot
from sis_appointments.services.reports.common import (
    OPEN,
    bookings,
    local_time,
    slots,
    sum_if,
    week_of,
)
from sis_appointments.services.reports.scope import Scope
from sis_appointments.services.reports.tables import Chart, Column, Table, rate

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
FIRST_HOUR, LAST_HOUR = 8, 17  # always shown; earlier or later hours when booked


def heatmap(session: Session, scope: Scope, limit: int | None = None) -> Table:
    """Active bookings by local weekday and hour of their slot's start."""
    local = local_time(session, scope)
    weekday, hour = local.weekday(Slot.start_utc), local.hour(Slot.start_utc)
    counts = {(int(d), int(h)): int(n) for d, h, n in session.execute(
        slots(scope, weekday, hour, func.sum(Slot.booked)).where(Slot.booked > 0)
        .group_by(weekday, hour))}
    booked_hours = [h for _, h in counts]
    first = min([FIRST_HOUR, *booked_hours])
    last = max([LAST_HOUR, *booked_hours])
    rows = [(h, *(counts.get((d, h), 0) for d in range(7))) for h in range(first, last + 1)]
    return Table(
        "heatmap", f"Bookings by weekday and hour ({scope.zone.key})",
        [Column("hour", "Hour", "hour"), *(Column(d.lower(), d) for d in WEEKDAYS)], rows,
        Chart("heatmap", tuple(d.lower() for d in WEEKDAYS)),
        note=f"Active bookings by the weekday and hour their appointment starts, in "
             f"{scope.zone.key}.",
        extra={"max": max(counts.values(), default=0)})


def weekly(session: Session, scope: Scope, limit: int | None = None) -> Table:
    """Per local week: open slots, seats offered and booked, utilisation."""
    week, monday_of = week_of(session, scope)
    seats = {monday_of(w): (n, offered, booked) for w, n, offered, booked in session.execute(
        slots(scope, week, func.count(), func.sum(Slot.capacity), func.sum(Slot.booked))
        .where(OPEN).group_by(week))}
    rows = []
    for monday in scope.weeks():
        n, offered, booked = seats.get(monday, (0, 0, 0))
        rows.append((monday, n, offered, booked, rate(booked, offered)))
    return Table(
        "weekly", "Bookings and utilisation per week",
        [Column("week", "Week of", "week"), Column("slots", "Open slots"),
         Column("offered", "Seats offered"), Column("booked", "Seats booked"),
         Column("utilisation", "Utilisation (%)", "percent")],
        rows, Chart("bar", ("offered", "booked", "utilisation")),
        note="Seats booked are the active bookings (confirmed, attended, no-show, excused). "
             "Utilisation is seats booked out of seats offered in open slots; weeks start on "
             "Monday. Cancellations are in their own report.")


def summary(session: Session, scope: Scope, limit: int | None = None) -> Table:
    """The range's headline figures, one statement for slots and one for bookings."""
    n, offered, booked = session.execute(
        slots(scope, func.count(), sum_if(OPEN, Slot.capacity), sum_if(OPEN, Slot.booked))
        .where(OPEN)).one()
    statuses = dict(session.execute(
        bookings(scope, Booking.status, func.count()).group_by(Booking.status)).all())
    total = sum(statuses.values())
    held = statuses.get("attended", 0) + statuses.get("no_show", 0)
    active = total - statuses.get("cancelled", 0) - statuses.get("late_cancelled", 0)
    rows = [
        ("slots", "Open slots", n), ("offered", "Seats offered", offered),
        ("booked", "Seats booked", booked),
        ("utilisation", "Utilisation", rate(booked, offered)),
        ("bookings", "Bookings (active)", active),
        ("cancelled", "Cancelled in time", statuses.get("cancelled", 0)),
        ("late_cancelled", "Late cancellations", statuses.get("late_cancelled", 0)),
        ("attended", "Attended", statuses.get("attended", 0)),
        ("no_show", "No-shows", statuses.get("no_show", 0)),
        ("no_show_rate", "No-show rate", rate(statuses.get("no_show", 0), held)),
    ]
    return Table("summary", "Summary", [Column("figure", "Figure", "key"),
                                         Column("label", "Figure", "text"),
                                         Column("value", "Value", "text")], rows)

"""SQL pieces the reports share: bookings and slots in scope, conditional counts."""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from sis_appointments.models import ACTIVE_BOOKING_STATUSES, Booking, Slot
from sis_appointments.services.reports.scope import Scope
from sis_appointments.services.reports.timebuckets import LocalTime, instant_bucket

ACTIVE = Booking.status.in_(ACTIVE_BOOKING_STATUSES)
OPEN = Slot.status == "open"


def count_if(condition):
    """How many rows of the group meet ``condition`` (0, never NULL)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def sum_if(condition, value):
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def bookings(scope: Scope, *columns):
    """SELECT ``columns`` FROM the bookings of the slots in ``scope``."""
    return scope.slots(select(*columns).select_from(Booking).join(Slot, Slot.id == Booking.slot_id))


def slots(scope: Scope, *columns):
    """SELECT ``columns`` FROM the slots in ``scope``."""
    return scope.slots(select(*columns).select_from(Slot))


def local_time(session: Session, scope: Scope) -> LocalTime:
    return LocalTime(session.get_bind().dialect.name, scope.zone, scope.since, scope.until)


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def week_of(session: Session, scope: Scope):
    """The slot's local week as an index into ``scope.weeks()`` plus one (SQL), and the
    function turning the index back into the week's Monday."""
    weeks = scope.weeks()
    return (instant_bucket(dialect(session), Slot.start_utc, scope.week_bounds()),
            lambda index: weeks[int(index) - 1])


def month_of(session: Session, scope: Scope):
    """As ``week_of``, for local months ('YYYY-MM')."""
    months = scope.months()
    return (instant_bucket(dialect(session), Slot.start_utc, scope.month_bounds()),
            lambda index: months[int(index) - 1])

"""Reading bookings, waitlist places and slots for pages (writes live in booking.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from sis_appointments.models import AppointmentType, Booking, Slot, WaitlistEntry, utcnow
from sis_appointments.models.scheduling import OPEN_WAITLIST_STATUSES


def student_bookings(
    session: Session, student_key: str, now: datetime | None = None
) -> tuple[list[Booking], list[Booking]]:
    """A student's bookings split into upcoming (soonest first) and past (latest first)."""
    now = now or utcnow()
    rows = session.scalars(
        select(Booking)
        .join(Booking.slot)
        .options(joinedload(Booking.slot).joinedload(Slot.type))
        .where(Booking.student_key == student_key)
        .order_by(Slot.start_utc)
    ).all()
    upcoming = [b for b in rows if b.slot.end_utc > now]
    past = [b for b in reversed(rows) if b.slot.end_utc <= now]
    return upcoming, past


def upcoming_slots(session: Session, start: datetime, end: datetime, host_key: str | None = None):
    """Open slots starting in [start, end), optionally of one host, earliest first."""
    query = (
        select(Slot)
        .options(joinedload(Slot.type))
        .where(Slot.start_utc >= start, Slot.start_utc < end, Slot.status == "open")
        .order_by(Slot.start_utc, Slot.id)
    )
    if host_key is not None:
        query = query.where(Slot.host_key == host_key)
    return session.scalars(query).all()


def student_waitlist(session: Session, student_key: str) -> list[tuple[WaitlistEntry, int]]:
    """The student's open waitlist places with their positions, soonest slot first."""
    from sis_appointments.services.waitlist import position

    entries = session.scalars(
        select(WaitlistEntry).join(WaitlistEntry.slot)
        .options(joinedload(WaitlistEntry.slot).joinedload(Slot.type))
        .where(WaitlistEntry.student_key == student_key,
               WaitlistEntry.status.in_(OPEN_WAITLIST_STATUSES))
        .order_by(Slot.start_utc)
    ).all()
    return [(entry, position(session, entry)) for entry in entries]


def active_types(session: Session) -> list[AppointmentType]:
    return list(session.scalars(select(AppointmentType).where(AppointmentType.active.is_(True))
                                .order_by(AppointmentType.name)))

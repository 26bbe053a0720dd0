"""Reading bookings, waitlist places and slots for pages (writes live in booking.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased, joinedload

from sis_appointments.models import (
    ACTIVE_BOOKING_STATUSES,
    AppointmentType,
    Booking,
    Slot,
    WaitlistEntry,
    utcnow,
)
from sis_appointments.models.scheduling import OPEN_WAITLIST_STATUSES
from sis_appointments.services.scheduling import seats


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


def student_waitlist(session: Session, student_key: str) -> list[tuple[WaitlistEntry, int]]:
    """The student's open waitlist places with their positions, soonest slot first."""
    from sis_appointments.services.scheduling.waitlist import position

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


def slot_range(session: Session, start: datetime, end: datetime, *, type_id=None,
               host_key=None, location=None, available_only=False, after=None,
               limit=100, host_keys=None, open_only=False) -> list[tuple[Slot, int]]:
    """Slots starting in [start, end) in (start, id) order, after a cursor position, each
    with the length of its waitlist (one statement). ``host_keys``: any of these hosts;
    ``open_only``: not cancelled."""
    query = (select(Slot, seats.waiting_count(Slot.id))
             .where(Slot.start_utc >= start, Slot.start_utc < end)
             .order_by(Slot.start_utc, Slot.id).limit(limit))
    if host_keys is not None:
        query = query.where(Slot.host_key.in_(list(host_keys)))
    if open_only:
        query = query.where(Slot.status == "open")
    for column, value in ((Slot.type_id, type_id), (Slot.host_key, host_key),
                          (Slot.location, location)):
        if value is not None:
            query = query.where(column == value)
    if available_only:
        query = query.where(Slot.status == "open", Slot.booked < Slot.capacity)
    if after is not None:
        query = query.where((Slot.start_utc > after[0])
                            | ((Slot.start_utc == after[0]) & (Slot.id > after[1])))
    return [(slot, waiting) for slot, waiting in session.execute(query)]


def waitlist_lengths(session: Session, slot_ids: list[int]) -> dict[int, int]:
    if not slot_ids:
        return {}
    rows = session.execute(
        select(WaitlistEntry.slot_id, func.count()).where(
            WaitlistEntry.slot_id.in_(slot_ids),
            WaitlistEntry.status.in_(OPEN_WAITLIST_STATUSES)).group_by(WaitlistEntry.slot_id))
    return dict(rows.all())


def place_in_line(entry):
    """The place in line (1 for the first) of ``entry``, a waitlist entry or the
    ``WaitlistEntry`` class itself (then for each row of a query), as a SQL expression."""
    ahead = aliased(WaitlistEntry)
    return select(func.count()).select_from(ahead).where(
        ahead.slot_id == entry.slot_id, ahead.status.in_(OPEN_WAITLIST_STATUSES),
        (ahead.created_at < entry.created_at)
        | ((ahead.created_at == entry.created_at) & (ahead.id < entry.id)),
    ).scalar_subquery() + 1


def waiting_places(session: Session, student_key: str,
                   slot_ids: list[int]) -> dict[int, tuple[int, int, datetime | None]]:
    """slot id -> (entry id, place in line, until when a seat is held for them if one is)
    of the student's open places on these slots."""
    rows = session.execute(select(WaitlistEntry.slot_id, WaitlistEntry.id,
                                  place_in_line(WaitlistEntry), WaitlistEntry.status,
                                  WaitlistEntry.offer_expires_at).where(
        WaitlistEntry.student_key == student_key, WaitlistEntry.slot_id.in_(slot_ids),
        WaitlistEntry.status.in_(OPEN_WAITLIST_STATUSES)))
    return {slot_id: (entry_id, place, expires if status == "offered" else None)
            for slot_id, entry_id, place, status, expires in rows}


def waitlist_entries(session: Session, slot_id: int, student_key: str) -> list[WaitlistEntry]:
    return list(session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.slot_id == slot_id, WaitlistEntry.student_key == student_key,
        WaitlistEntry.status.in_(OPEN_WAITLIST_STATUSES))))


def list_bookings(session: Session, *, students=None, hosts=None, status=None, start=None,
                  end=None, after=None, limit=100, now: datetime | None = None
                  ) -> list[Booking]:
    """Bookings in slot-start order. ``students`` / ``hosts`` limit whose (None: anyone's);
    ``status``: upcoming, past, cancelled or no_show."""
    now = now or utcnow()
    query = (select(Booking).join(Booking.slot)
             .options(joinedload(Booking.slot).joinedload(Slot.type))
             .order_by(Slot.start_utc, Booking.id).limit(limit))
    if students is not None:
        query = query.where(Booking.student_key.in_(students))
    if hosts is not None:
        query = query.where(Slot.host_key.in_(hosts))
    if status == "upcoming":
        query = query.where(Slot.end_utc > now, Booking.status == "confirmed")
    elif status == "past":
        query = query.where(Slot.end_utc <= now, Booking.status.in_(ACTIVE_BOOKING_STATUSES))
    elif status == "cancelled":
        query = query.where(Booking.status.in_(("cancelled", "late_cancelled")))
    elif status == "no_show":
        query = query.where(Booking.status == "no_show")
    if start is not None:
        query = query.where(Slot.start_utc >= start)
    if end is not None:
        query = query.where(Slot.start_utc < end)
    if after is not None:
        query = query.where((Slot.start_utc > after[0])
                            | ((Slot.start_utc == after[0]) & (Booking.id > after[1])))
    return list(session.scalars(query))

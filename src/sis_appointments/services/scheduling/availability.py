"""What a student may book: open slots with seats, minus those their timetable blocks."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from sis_appointments.domain.slots import Interval
from sis_appointments.models import ACTIVE_BOOKING_STATUSES, Booking, Slot, utcnow
from sis_appointments.services.platform import sis

BOOK_PAGE_HORIZON = timedelta(days=28)  # how far ahead the students' book page looks


def book_page(session: Session, student_key: str, type_id: int | None = None,
              now: datetime | None = None) -> list[Slot]:
    """What a student's book page lists: ``bookable`` slots from now to the horizon."""
    now = now or utcnow()
    found = bookable(session, student_key, now, now + BOOK_PAGE_HORIZON, type_id)
    sis.users(session, {s.host_key for s in found})  # the page names them: ask once
    return found


def for_student(session: Session, student_key: str, start: datetime, end: datetime,
                type_id: int | None = None) -> list[Slot]:
    """Open slots starting in [start, end) with a free seat that the student neither holds,
    nor overlaps with one of their bookings, nor is busy for (per the host's timetable)."""
    return [s for s in bookable(session, student_key, start, end, type_id)
            if not s.is_full]


def bookable(session: Session, student_key: str, start: datetime, end: datetime,
             type_id: int | None = None) -> list[Slot]:
    """Like ``for_student``, but also full slots whose type has a waitlist to join."""
    query = (select(Slot).options(joinedload(Slot.type))
             .where(Slot.status == "open", Slot.start_utc >= start, Slot.start_utc < end)
             .order_by(Slot.start_utc, Slot.id)
             .execution_options(populate_existing=True))  # seat counters change underneath
    if type_id is not None:
        query = query.where(Slot.type_id == type_id)
    candidates = [s for s in session.scalars(query) if s.type.active and (
        not s.is_full or s.type.waitlist_enabled)]
    if not candidates:
        return []
    held = session.execute(select(Slot.start_utc, Slot.end_utc).join(Booking.slot).where(
        Booking.student_key == student_key, Booking.status.in_(ACTIVE_BOOKING_STATUSES),
        Slot.end_utc > start)).all()
    busy = sis.busy_times(session, student_key, candidates[0].start_utc,
                           max(s.end_utc for s in candidates))
    blocked = [Interval(h.start_utc, h.end_utc) for h in held] + [
        Interval(b.start, b.end) for b in busy]
    return [s for s in candidates
            if not any(Interval(s.start_utc, s.end_utc).overlaps(b) for b in blocked)]

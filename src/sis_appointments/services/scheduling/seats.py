"""The seat ledger: the only code that changes a slot's seat count (``Slot.booked``).

``booked`` counts a slot's active bookings plus the seats held for waitlist offers. A seat is
taken by one conditional UPDATE (never read-then-write) and given back by one decrement, in
the transaction that creates, cancels or moves the booking; the CHECK constraints
(0 <= booked <= capacity) and the partial unique index back it up.

Lock order, for every writer: slots (by id), then bookings, then people (students, hosts,
places, by key). ``lock_slots`` and ``lock_people`` take them; SQLite's single writer lock
already serializes, so both are no-ops there. Handing a freed seat to the waitlist is the
caller's job (``waitlist.promote``), in the same transaction. What is left to read is on the
model: ``Slot.remaining`` and ``Slot.is_full``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from sis_appointments.domain.errors import Conflict, NotFound
from sis_appointments.models import ACTIVE_BOOKING_STATUSES, Booking, Slot, WaitlistEntry
from sis_appointments.models.scheduling import OPEN_WAITLIST_STATUSES


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def lock_slots(session: Session, slot_ids) -> None:
    """Row-lock slots in id order (PostgreSQL; SQLite's writer lock already serializes)."""
    if _is_postgres(session) and slot_ids:
        session.execute(
            select(Slot.id).where(Slot.id.in_(sorted(set(slot_ids)))).order_by(Slot.id)
            .with_for_update()
        ).all()


def _lock_number(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big",
                          signed=True)


def lock_people(session: Session, *keys: str) -> None:
    """Transaction-scoped advisory locks on students, hosts or places, in a fixed order."""
    if not _is_postgres(session):
        return
    for key in sorted(set(keys)):
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_number(key)})


def _note(session: Session, slot_id: int, booked: int | None) -> None:
    """Keep a loaded slot's count as the statement left it (no re-read needed)."""
    loaded = session.identity_map.get(identity_key(Slot, slot_id))
    if loaded is not None and booked is not None:
        set_committed_value(loaded, "booked", booked)


def take(session: Session, slot: Slot, person: str | None = None) -> bool:
    """Atomically take one seat of an open slot; False if none is left. With ``person``, the
    seat's taker is then locked as ``lock_people`` does (slot, then person: the lock order),
    on PostgreSQL in the same statement (the lock is taken after the row's; the next
    statement reads with a snapshot from after both)."""
    returning = [Slot.booked]
    inline = person is not None and _is_postgres(session)
    if inline:
        returning.append(func.pg_advisory_xact_lock(_lock_number(person)))
    booked = session.execute(
        update(Slot)
        .where(Slot.id == slot.id, Slot.status == "open", Slot.booked < Slot.capacity)
        .values(booked=Slot.booked + 1).returning(*returning)
        .execution_options(synchronize_session=False)
    ).scalar()
    _note(session, slot.id, booked)
    if booked is not None and person is not None and not inline:
        lock_people(session, person)
    return booked is not None


def release(session: Session, slot_id: int) -> None:
    """Give one seat of ``slot_id`` back."""
    booked = session.execute(
        update(Slot).where(Slot.id == slot_id).values(booked=Slot.booked - 1)
        .returning(Slot.booked).execution_options(synchronize_session=False)).scalar()
    _note(session, slot_id, booked)


def waiting_count(slot_id):
    """The length of a slot's waitlist as a scalar subquery (``slot_id`` a value or the
    ``Slot.id`` column, correlated)."""
    return (select(func.count()).select_from(WaitlistEntry)
            .where(WaitlistEntry.slot_id == slot_id,
                   WaitlistEntry.status.in_(OPEN_WAITLIST_STATUSES))
            .scalar_subquery())


def _refusal(slot_id: int, capacity: int, booked: int, status: str, waiting: int) -> dict:
    return {"slot_id": slot_id, "capacity": capacity, "booked": booked,
            "remaining": max(capacity - booked, 0), "waitlist_length": waiting,
            "status": status}


def summary(session: Session, slot: Slot) -> dict:
    """What a client needs after losing a race: seats left and the waitlist's length, read
    in one statement."""
    row = session.execute(select(Slot.capacity, Slot.booked, Slot.status, waiting_count(slot.id))
                          .where(Slot.id == slot.id)).one()
    _note(session, slot.id, row.booked)
    return _refusal(slot.id, row.capacity, row.booked, row.status, row[3])


def load_to_book(session: Session, slot_id: int) -> tuple[Slot, int]:
    """A slot with its type, and the length of its waitlist, in one statement: all a booking
    needs to start, and all its refusal reports."""
    found = session.execute(select(Slot, waiting_count(slot_id)).options(joinedload(Slot.type))
                            .where(Slot.id == slot_id)).first()
    if found is None:
        raise NotFound(f"slot {slot_id} does not exist")
    return found[0], found[1]


def take_or_refuse(session: Session, slot: Slot, message: str = "this slot is full",
                   waiting: int | None = None, person: str | None = None) -> None:
    """Take a seat of ``slot`` or refuse with a Conflict carrying the slot's seat summary.
    Given the waitlist's length read with the slot (``load_to_book``), a slot already full
    is refused without a statement, and a lost race without a third."""
    if waiting is None:
        if not take(session, slot, person):
            raise Conflict(message, code="slot_full", **summary(session, slot))
        return
    if not slot.is_full and take(session, slot, person):
        return
    raise Conflict(message, code="slot_full", **_refusal(
        slot.id, slot.capacity, max(slot.booked, slot.capacity), slot.status, waiting))


def cancel_one(session: Session, booking: Booking, *, status: str, now: datetime,
               by: str | None, reason: str) -> bool:
    """End an active booking as ``status`` (cancelled or late_cancelled) and free its seat;
    False if it was no longer active. The booking's version moves on."""
    changed = session.execute(
        update(Booking).where(Booking.id == booking.id,
                              Booking.status.in_(ACTIVE_BOOKING_STATUSES))
        .values(status=status, cancelled_at=now, cancelled_by=by, cancel_reason=reason,
                version=Booking.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        return False
    release(session, booking.slot_id)
    session.refresh(booking)
    return True


def move_one(session: Session, booking: Booking, target: Slot) -> None:
    """Move a confirmed booking into ``target``: the new seat is taken before the old one is
    freed; refused (nothing changed) if ``target`` is full or the booking changed meanwhile."""
    old_slot_id = booking.slot_id
    take_or_refuse(session, target, "the new slot is full")
    moved = session.execute(
        update(Booking).where(Booking.id == booking.id, Booking.status == "confirmed",
                              Booking.slot_id == old_slot_id)
        .values(slot_id=target.id, version=Booking.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
        raise Conflict("the booking changed meanwhile", code="not_active")
    release(session, old_slot_id)
    session.refresh(booking)

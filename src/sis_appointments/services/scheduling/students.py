"""What the plugin does when the SIS reports a student changed, left or was merged."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sis_appointments.models import ACTIVE_BOOKING_STATUSES, Booking, Slot, WaitlistEntry, utcnow
from sis_appointments.models.scheduling import OPEN_WAITLIST_STATUSES
from sis_appointments.services.platform import audit, tx
from sis_appointments.services.scheduling import booking, seats, waitlist


def record_change(session: Session, student_key: str, changes: dict) -> None:
    """Audit a change the SIS made to a student; the plugin reads student data live."""
    with tx.transaction(session):
        audit.record(
            session, actor_key=None, action="student.changed", entity_type="student",
            entity_id=student_key, after={k: str(v) for k, v in changes.items()},
        )


def _cancel(session: Session, held: Booking, reason: str) -> bool:
    """Cancel an active booking and free its seat; False if it was no longer active."""
    before = {"status": held.status}
    if not seats.cancel_one(session, held, status="cancelled", now=utcnow(), by=None,
                            reason=reason):
        return False
    audit.record(
        session, actor_key=None, action="booking.cancelled", entity_type="booking",
        entity_id=held.id, before=before, after={"status": "cancelled"}, reason=reason,
    )
    booking.announce(session, "booking_cancelled", held, None, reason=reason)
    return True


def _open_entries(session: Session, *student_keys: str) -> list[WaitlistEntry]:
    return list(session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.student_key.in_(student_keys),
        WaitlistEntry.status.in_(OPEN_WAITLIST_STATUSES)).order_by(WaitlistEntry.id)))


def _lock_everything_of(session: Session, *student_keys: str) -> None:
    """Lock in the ledger's order: the slots the students hold or wait for, then their
    bookings, then the students."""
    slot_ids = set(session.scalars(select(Booking.slot_id).where(
        Booking.student_key.in_(student_keys), Booking.status.in_(ACTIVE_BOOKING_STATUSES))))
    slot_ids |= {e.slot_id for e in _open_entries(session, *student_keys)}
    seats.lock_slots(session, slot_ids)
    session.scalars(select(Booking.id).where(Booking.student_key.in_(student_keys))
                    .order_by(Booking.id).with_for_update()).all()
    seats.lock_people(session, *student_keys)


def deactivate(session: Session, student_key: str) -> int:
    """Cancel a departed student's future bookings (each freed seat goes to the waitlist)
    and drop their waitlist places. Returns how many bookings were cancelled."""
    reason = "student deactivated in the SIS"
    now = utcnow()

    def work() -> int:
        _lock_everything_of(session, student_key)
        held = session.scalars(select(Booking).join(Booking.slot).where(
            Booking.student_key == student_key, Booking.status.in_(ACTIVE_BOOKING_STATUSES),
            Slot.start_utc > now)).all()
        cancelled = [b for b in held if _cancel(session, b, reason)]
        for entry in _open_entries(session, student_key):
            waitlist.close(session, entry, "removed", actor=None, now=now, reason=reason)
        session.flush()
        for slot_id in sorted({b.slot_id for b in cancelled}):
            waitlist.promote(session, session.get(Slot, slot_id), now)
        return len(cancelled)

    return tx.run(session, work)


def merge(session: Session, source_key: str, target_key: str) -> None:
    """Move a merged-away student's bookings and waitlist places to the surviving record.

    Where both records hold the same slot, the surviving record's place is kept and the other
    is cancelled (or removed from the waitlist) before it moves, so no slot counts one student
    twice and the whole history ends up on the surviving record. A freed seat goes to the
    waitlist, as after any cancellation.
    """
    reason = f"student {source_key} merged into {target_key}"
    now = utcnow()

    def work() -> None:
        _lock_everything_of(session, source_key, target_key)
        target_slots = set(session.scalars(select(Booking.slot_id).where(
            Booking.student_key == target_key, Booking.status.in_(ACTIVE_BOOKING_STATUSES))))
        freed = set()
        for held in session.scalars(select(Booking).where(
                Booking.student_key == source_key).order_by(Booking.id)).all():
            if held.active and held.slot_id in target_slots and _cancel(session, held, reason):
                freed.add(held.slot_id)
            _move(session, held, "booking", target_key, reason)
        waiting = {e.slot_id for e in _open_entries(session, target_key)} | target_slots
        for entry in _open_entries(session, source_key):
            if entry.slot_id in waiting:
                waitlist.close(session, entry, "removed", actor=None, now=now, reason=reason)
            _move(session, entry, "waitlist_entry", target_key, reason)
        session.flush()
        for slot_id in sorted(freed):
            waitlist.promote(session, session.get(Slot, slot_id), now)

    tx.run(session, work)


def _move(session: Session, row: Booking | WaitlistEntry, kind: str, target_key: str,
          reason: str) -> None:
    audit.record(
        session, actor_key=None, action=f"{kind}.merged", entity_type=kind, entity_id=row.id,
        before={"student_key": row.student_key}, after={"student_key": target_key}, reason=reason,
    )
    row.student_key = target_key

"""What the plugin does when the host reports a student changed, left or was merged."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sis_appointments.models import ACTIVE_BOOKING_STATUSES, Booking, Slot, WaitlistEntry, utcnow
from sis_appointments.models.scheduling import OPEN_WAITLIST_STATUSES
from sis_appointments.services.platform import audit, tx
from sis_appointments.services.scheduling import booking as seats
from sis_appointments.services.scheduling import waitlist


def record_change(session: Session, student_key: str, changes: dict) -> None:
    """Audit a change the host made to a student; the plugin reads student data live."""
    with tx.transaction(session):
        audit.record(
            session, actor_key=None, action="student.changed", entity_type="student",
            entity_id=student_key, after={k: str(v) for k, v in changes.items()},
        )


def _cancel(session: Session, booking: Booking, reason: str) -> bool:
    """Cancel an active booking and free its seat; False if it was no longer active."""
    changed = session.execute(
        update(Booking).where(Booking.id == booking.id,
                              Booking.status.in_(ACTIVE_BOOKING_STATUSES))
        .values(status="cancelled", cancelled_at=utcnow(), cancel_reason=reason,
                version=Booking.version + 1)
        .execution_options(synchronize_session=False)).rowcount
    if not changed:
        return False
    before = {"status": booking.status}
    session.refresh(booking)
    seats.release_seat(session, booking.slot_id)
    audit.record(
        session, actor_key=None, action="booking.cancelled", entity_type="booking",
        entity_id=booking.id, before=before, after={"status": "cancelled"}, reason=reason,
    )
    seats.announce(session, "booking_cancelled", booking, None, reason=reason)
    return True


def _open_waitlist_entries(session: Session, student_key: str) -> list[WaitlistEntry]:
    return list(
        session.scalars(
            select(WaitlistEntry).where(
                WaitlistEntry.student_key == student_key,
                WaitlistEntry.status.in_(OPEN_WAITLIST_STATUSES),
            )
        )
    )


def _remove_from_waitlist(session: Session, entry: WaitlistEntry, reason: str) -> None:
    before = {"status": entry.status}
    entry.status = "removed"
    audit.record(
        session, actor_key=None, action="waitlist.removed", entity_type="waitlist_entry",
        entity_id=entry.id, before=before, after={"status": "removed"}, reason=reason,
    )


def deactivate(session: Session, student_key: str) -> int:
    """Cancel a departed student's future bookings (each freed seat goes to the waitlist)
    and drop their waitlist places. Returns how many bookings were cancelled."""
    reason = "student deactivated in the SIS"
    now = utcnow()

    def work() -> int:
        held = session.scalars(select(Booking).join(Booking.slot).where(
            Booking.student_key == student_key, Booking.status.in_(ACTIVE_BOOKING_STATUSES),
            Slot.start_utc > now)).all()
        tx.lock_slots(session, [b.slot_id for b in held])
        cancelled = [b for b in held if _cancel(session, b, reason)]
        for entry in _open_waitlist_entries(session, student_key):
            _remove_from_waitlist(session, entry, reason)
        session.flush()
        for slot_id in sorted({b.slot_id for b in cancelled}):
            waitlist.promote(session, session.get(Slot, slot_id), now)
        return len(cancelled)

    return tx.run(session, work)


def merge(session: Session, source_key: str, target_key: str) -> None:
    """Move a merged-away student's bookings and waitlist places to the surviving record.

    Where both records hold the same slot, the surviving record's place is kept and the other
    is cancelled (or removed from the waitlist) before it moves, so no slot counts one student
    twice and the whole history ends up on the surviving record.
    """
    reason = f"student {source_key} merged into {target_key}"
    with tx.transaction(session):
        target_slots = set(
            session.scalars(
                select(Booking.slot_id).where(
                    Booking.student_key == target_key, Booking.status.in_(ACTIVE_BOOKING_STATUSES)
                )
            )
        )
        for booking in session.scalars(
            select(Booking).where(Booking.student_key == source_key).with_for_update()
        ):
            if booking.active and booking.slot_id in target_slots:
                _cancel(session, booking, reason)
            _move(session, booking, "booking", target_key, reason)
        waiting = set(
            e.slot_id for e in _open_waitlist_entries(session, target_key)
        ) | target_slots
        for entry in _open_waitlist_entries(session, source_key):
            if entry.slot_id in waiting:
                _remove_from_waitlist(session, entry, reason)
            _move(session, entry, "waitlist_entry", target_key, reason)


def _move(session: Session, row: Booking | WaitlistEntry, kind: str, target_key: str, reason: str):
    audit.record(
        session, actor_key=None, action=f"{kind}.merged", entity_type=kind, entity_id=row.id,
        before={"student_key": row.student_key}, after={"student_key": target_key}, reason=reason,
    )
    row.student_key = target_key

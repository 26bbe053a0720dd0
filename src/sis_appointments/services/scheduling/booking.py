"""Booking, cancelling, rescheduling and attendance of one booking, for every caller.

Seats are counted by the seat ledger (``seats``) and every "may this student have this slot"
is asked of ``eligibility``; rules that staff may override need a reason, which is audited;
overlapping bookings and capacity are never overridden.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, joinedload

from sis_appointments.contract import AppointmentEvent, SisUser
from sis_appointments.domain import rules
from sis_appointments.domain.errors import Conflict, InvalidInput, RuleViolation
from sis_appointments.models import Booking, Slot, utcnow
from sis_appointments.services.accounts import access
from sis_appointments.services.platform import audit, events, tx
from sis_appointments.services.scheduling import eligibility, seats, waitlist

ATTENDANCE = {"attended": "booking_attended", "no_show": "booking_no_show",
              "excused": None, "confirmed": None}


def snapshot(booking: Booking) -> dict:
    """A booking as the audit log records it."""
    return {"slot_id": booking.slot_id, "student_key": booking.student_key,
            "status": booking.status}


def load_slot(session: Session, slot_id: int) -> Slot:
    return tx.get(session, Slot, slot_id, "slot", [joinedload(Slot.type)])


def announce(session: Session, name: str, booking: Booking, actor: SisUser | None,
             **data) -> None:
    events.announce(session, AppointmentEvent(
        name, "booking", booking.id, actor.key if actor else None,
        {"slot_id": booking.slot_id, "student_key": booking.student_key, **data}))


def book(session: Session, *, actor: SisUser, slot_id: int, student_key: str | None = None,
         reason: str = "", override_reason: str | None = None,
         now: datetime | None = None) -> Booking:
    """Book a seat for a student (a student books for themself; staff for a student)."""
    now = now or utcnow()
    student_key = access.student_for(actor, student_key)
    override = eligibility.override_allowed(actor, override_reason)

    def work() -> Booking:
        slot, waiting = seats.load_to_book(session, slot_id)
        if actor.key != student_key:
            access.require_manage_host(session, actor, slot.host_key)
        if slot.status != "open" or not slot.type.active:
            raise Conflict("this slot is not open for booking", code="slot_closed")
        if slot.type.reason_required and actor.key == student_key and not reason.strip():
            raise InvalidInput("say what the appointment is about: this type asks for a "
                               "reason", code="reason_required")
        seats.take_or_refuse(session, slot, waiting=waiting, person=student_key)
        eligibility.check(session, slot, student_key, now, overridable=not override)
        booking = Booking(slot=slot, student_key=student_key, reason=reason,
                          booked_by=actor.key)
        tx.add_unique(session, booking, "the student already holds this slot", "already_booked")
        if waiting:  # (read with the slot: nobody waits, no place of theirs to close)
            waitlist.settle_own(session, slot, booking, actor, now)
        audit.record(session, actor_key=actor.key, action="booking.created",
                     entity_type="booking", entity_id=booking.id, after=snapshot(booking),
                     reason=override_reason if override else None)
        announce(session, "booking_created", booking, actor)
        return booking

    return tx.run(session, work)


def cancel(session: Session, *, actor: SisUser, booking_id: int, reason: str = "",
           now: datetime | None = None) -> Booking:
    """Cancel an active booking; a student cancelling after the cutoff is a late
    cancellation. The freed seat goes to the waitlist in the same transaction."""
    now = now or utcnow()

    def work() -> Booking:
        booking = access.visible_booking(session, actor, booking_id)
        slot = booking.slot
        seats.lock_slots(session, [slot.id])
        if slot.start_utc <= now:
            raise RuleViolation("this appointment has started; mark attendance instead",
                                code="slot_in_past")
        by_student = actor.key == booking.student_key
        late = by_student and rules.is_late_cancellation(eligibility.policy_of(slot.type), now,
                                                         slot.start_utc)
        status = "late_cancelled" if late else "cancelled"
        if not seats.cancel_one(session, booking, status=status, now=now, by=actor.key,
                                reason=reason):
            raise Conflict("this booking is not active", code="not_active")
        audit.record(session, actor_key=actor.key, action=f"booking.{status}",
                     entity_type="booking", entity_id=booking.id,
                     before={"status": "confirmed"}, after=snapshot(booking), reason=reason)
        announce(session, "booking_cancelled", booking, actor, late=late, reason=reason)
        waitlist.promote(session, slot, now)
        waitlist.reconsider(session, [booking.student_key], now)
        return booking

    return tx.run(session, work)


def reschedule(session: Session, *, actor: SisUser, booking_id: int, target_slot_id: int,
               override_reason: str | None = None, now: datetime | None = None) -> Booking:
    """Move a booking to another slot: the new seat is taken before the old one is freed,
    and nothing changes if any step fails. A student may move it only while cancelling it
    would be free (``rules.check_move``); staff at any time before it starts."""
    now = now or utcnow()
    override = eligibility.override_allowed(actor, override_reason)

    def work() -> Booking:
        booking = access.visible_booking(session, actor, booking_id)
        old, target = booking.slot, load_slot(session, target_slot_id)
        if actor.key != booking.student_key:
            access.require_manage_host(session, actor, target.host_key)
        if target.id == old.id:
            raise RuleViolation("the booking is already in that slot", code="same_slot")
        if not booking.active or booking.status != "confirmed":
            raise Conflict("only a confirmed booking can be rescheduled", code="not_active")
        if old.start_utc <= now:
            raise RuleViolation("this appointment has started", code="slot_in_past")
        if actor.key == booking.student_key:  # staff may still move it
            rules.check_move(eligibility.policy_of(old.type), now, old.start_utc)
        seats.lock_slots(session, [old.id, target.id])
        if target.status != "open" or not target.type.active:
            raise Conflict("the new slot is not open for booking", code="slot_closed")
        before = snapshot(booking)
        seats.move_one(session, booking, target)  # refused when full; nothing kept on failure
        seats.lock_people(session, booking.student_key)
        eligibility.check(session, target, booking.student_key, now, overridable=not override,
                          ignore_booking=booking.id)
        audit.record(session, actor_key=actor.key, action="booking.rescheduled",
                     entity_type="booking", entity_id=booking.id, before=before,
                     after=snapshot(booking),
                     reason=override_reason if override else None)
        announce(session, "booking_rescheduled", booking, actor, old_slot_id=old.id,
                 new_slot_id=target.id)
        waitlist.settle_own(session, target, booking, actor, now)
        waitlist.promote(session, old, now)
        waitlist.reconsider(session, [booking.student_key], now)
        return booking

    return tx.run(session, work)


def mark_attendance(session: Session, *, actor: SisUser, booking_id: int, status: str,
                    now: datetime | None = None) -> Booking:
    """Mark attended, no-show or excused once the slot has started; 'confirmed' undoes it."""
    if status not in ATTENDANCE:
        raise RuleViolation(f"attendance must be one of {', '.join(ATTENDANCE)}",
                            code="bad_attendance")
    now = now or utcnow()

    def work() -> Booking:
        booking = access.visible_booking(session, actor, booking_id)
        access.require_manage_host(session, actor, booking.slot.host_key)
        if not booking.active:
            raise Conflict("a cancelled booking has no attendance", code="not_active")
        if booking.slot.start_utc > now:
            raise RuleViolation("attendance is marked once the appointment has started",
                                code="slot_not_started")
        before = snapshot(booking)
        booking.status = status
        booking.attendance_marked_at = now
        booking.attendance_marked_by = actor.key
        booking.version += 1
        audit.record(session, actor_key=actor.key, action=f"booking.attendance.{status}",
                     entity_type="booking", entity_id=booking.id, before=before,
                     after=snapshot(booking))
        if ATTENDANCE[status]:
            announce(session, ATTENDANCE[status], booking, actor)
        return booking

    return tx.run(session, work)

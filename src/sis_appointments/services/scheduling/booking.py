"""Booking, cancelling, rescheduling and attendance: the seat rules for every caller.

A seat is taken by one conditional UPDATE of the slot's counter (never read-then-write),
in the same transaction as the booking row; the partial unique index backs it up. Rules
that staff may override (window, eligibility, limits, busy times) need a reason, which is
audited; overlapping bookings and capacity are never overridden.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from sis_appointments.contract import AppointmentEvent, SisUser
from sis_appointments.domain import rules
from sis_appointments.domain.errors import Conflict, Forbidden, RuleViolation
from sis_appointments.domain.timezones import zone
from sis_appointments.models import (
    ACTIVE_BOOKING_STATUSES,
    AppointmentType,
    Booking,
    Slot,
    WaitlistEntry,
    utcnow,
)
from sis_appointments.models.scheduling import OPEN_WAITLIST_STATUSES
from sis_appointments.services.accounts import access
from sis_appointments.services.platform import audit, events, sis, tx

ATTENDANCE = {"attended": "booking_attended", "no_show": "booking_no_show",
              "excused": None, "confirmed": None}


def policy_of(appointment_type: AppointmentType) -> rules.Policy:
    eligibility = appointment_type.eligibility or {}
    return rules.Policy(
        min_notice=timedelta(minutes=appointment_type.min_notice_minutes),
        max_advance=(timedelta(days=appointment_type.max_advance_days)
                     if appointment_type.max_advance_days is not None else None),
        cancel_cutoff=timedelta(minutes=appointment_type.cancel_cutoff_minutes),
        max_active=appointment_type.max_active_per_student,
        max_per_day=appointment_type.max_per_student_per_day,
        max_per_week=appointment_type.max_per_student_per_week,
        programs=frozenset(eligibility.get("programs", ())),
        cohorts=frozenset(eligibility.get("cohorts", ())),
    )


def slot_state(session: Session, slot: Slot) -> dict:
    """What a client needs after losing a race: seats left and the waitlist's length."""
    session.refresh(slot)
    waiting = session.scalar(select(func.count()).select_from(WaitlistEntry).where(
        WaitlistEntry.slot_id == slot.id, WaitlistEntry.status.in_(OPEN_WAITLIST_STATUSES)))
    return {"slot_id": slot.id, "capacity": slot.capacity, "booked": slot.booked,
            "remaining": max(slot.capacity - slot.booked, 0), "waitlist_length": waiting,
            "status": slot.status}


def booking_state(booking: Booking) -> dict:
    return {"slot_id": booking.slot_id, "student_key": booking.student_key,
            "status": booking.status}


def load_slot(session: Session, slot_id: int) -> Slot:
    return tx.get(session, Slot, slot_id, "slot", [joinedload(Slot.type)])


def take_seat(session: Session, slot: Slot) -> bool:
    """Atomically take one seat of an open slot; False if none is left."""
    taken = session.execute(
        update(Slot)
        .where(Slot.id == slot.id, Slot.status == "open", Slot.booked < Slot.capacity)
        .values(booked=Slot.booked + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    return taken == 1


def release_seat(session: Session, slot_id: int) -> None:
    session.execute(update(Slot).where(Slot.id == slot_id).values(booked=Slot.booked - 1)
                    .execution_options(synchronize_session=False))


def check_student(session: Session, slot: Slot, student_key: str, now: datetime, *,
                  overridable: bool = True, window: bool = True,
                  ignore_booking: int | None = None) -> None:
    """Every rule a booking of ``student_key`` in ``slot`` must pass.

    ``overridable=False`` skips the rules staff may override; ``ignore_booking`` leaves out
    the booking being moved (rescheduling). Call with the student locked.
    """
    record = sis.student(session, student_key)
    if record is None or not record.active:
        raise RuleViolation("the student is not an active student of the SIS",
                            code="student_inactive")
    if slot.start_utc <= now:
        raise RuleViolation("this slot has already started", code="slot_in_past")
    policy = policy_of(slot.type)
    held = session.execute(
        select(Booking.id, Slot.start_utc, Slot.end_utc, Slot.type_id)
        .join(Booking.slot)
        .where(Booking.student_key == student_key,
               Booking.status.in_(ACTIVE_BOOKING_STATUSES), Slot.end_utc > now)
    ).all()
    held = [row for row in held if row.id != ignore_booking]
    for row in held:
        if row.start_utc < slot.end_utc and slot.start_utc < row.end_utc:
            raise Conflict("the student already has an appointment at that time",
                           code="student_overlap", booking_id=row.id)
    if not overridable:
        return
    if window:
        rules.check_window(policy, now, slot.start_utc)
    rules.check_eligibility(policy, record.program, record.cohort)
    rules.check_limits(policy, [r.start_utc for r in held if r.type_id == slot.type_id],
                       slot.start_utc, zone(slot.type.timezone))
    for busy in sis.busy_times(session, student_key, slot.start_utc, slot.end_utc):
        if busy.start < slot.end_utc and slot.start_utc < busy.end:
            raise RuleViolation(f"the student is busy then ({busy.label or 'timetable'})",
                                code="student_busy")


def _override_allowed(actor: SisUser, override_reason: str | None) -> bool:
    if override_reason is None:
        return False
    if not actor.has_role("admin", "staff"):
        raise Forbidden("only staff can override booking rules")
    if not override_reason.strip():
        raise RuleViolation("overriding a rule needs a reason", code="reason_required")
    return True


def announce(session: Session, name: str, booking: Booking, actor: SisUser | None, **data):
    events.announce(session, AppointmentEvent(
        name, "booking", booking.id, actor.key if actor else None,
        {"slot_id": booking.slot_id, "student_key": booking.student_key, **data}))


def book(session: Session, *, actor: SisUser, slot_id: int, student_key: str | None = None,
         reason: str = "", override_reason: str | None = None,
         now: datetime | None = None) -> Booking:
    """Book a seat for a student (a student books for themself; staff for a student)."""
    now = now or utcnow()
    student_key = access.student_for(actor, student_key)
    override = _override_allowed(actor, override_reason)

    def work() -> Booking:
        slot = load_slot(session, slot_id)
        if actor.key != student_key:
            access.require_manage_host(session, actor, slot.host_key)
        if slot.status != "open" or not slot.type.active:
            raise Conflict("this slot is not open for booking", code="slot_closed")
        if not take_seat(session, slot):
            raise Conflict("this slot is full", code="slot_full", **slot_state(session, slot))
        tx.lock_people(session, student_key)
        already = session.scalar(select(Booking.id).where(
            Booking.slot_id == slot.id, Booking.student_key == student_key,
            Booking.status.in_(ACTIVE_BOOKING_STATUSES)))
        if already:
            raise Conflict("the student already holds this slot", code="already_booked",
                           booking_id=already)
        check_student(session, slot, student_key, now, overridable=not override)
        booking = Booking(slot_id=slot.id, student_key=student_key, reason=reason,
                          booked_by=actor.key)
        tx.add_unique(session, booking, "the student already holds this slot", "already_booked")
        audit.record(session, actor_key=actor.key, action="booking.created",
                     entity_type="booking", entity_id=booking.id, after=booking_state(booking),
                     reason=override_reason if override else None)
        announce(session, "booking_created", booking, actor)
        return booking

    return tx.run(session, work)


def cancel(session: Session, *, actor: SisUser, booking_id: int, reason: str = "",
           now: datetime | None = None) -> Booking:
    """Cancel an active booking; a student cancelling after the cutoff is a late
    cancellation. The freed seat goes to the waitlist in the same transaction."""
    from sis_appointments.services.scheduling import waitlist

    now = now or utcnow()

    def work() -> Booking:
        booking = tx.get(session, Booking, booking_id, "booking")
        slot = booking.slot
        access.require_booking_access(session, actor, booking.student_key, slot.host_key)
        tx.lock_slots(session, [slot.id])
        if slot.start_utc <= now:
            raise RuleViolation("this appointment has started; mark attendance instead",
                                code="slot_in_past")
        by_student = actor.key == booking.student_key
        late = by_student and rules.is_late_cancellation(policy_of(slot.type), now,
                                                         slot.start_utc)
        status = "late_cancelled" if late else "cancelled"
        changed = session.execute(
            update(Booking).where(Booking.id == booking.id,
                                  Booking.status.in_(ACTIVE_BOOKING_STATUSES))
            .values(status=status, cancelled_at=now, cancelled_by=actor.key,
                    cancel_reason=reason, version=Booking.version + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not changed:
            raise Conflict("this booking is not active", code="not_active")
        release_seat(session, slot.id)
        session.refresh(booking)
        audit.record(session, actor_key=actor.key, action=f"booking.{status}",
                     entity_type="booking", entity_id=booking.id,
                     before={"status": "confirmed"}, after=booking_state(booking), reason=reason)
        announce(session, "booking_cancelled", booking, actor, late=late, reason=reason)
        waitlist.promote(session, slot, now)
        return booking

    return tx.run(session, work)


def reschedule(session: Session, *, actor: SisUser, booking_id: int, target_slot_id: int,
               override_reason: str | None = None, now: datetime | None = None) -> Booking:
    """Move a booking to another slot: the new seat is taken before the old one is freed,
    and nothing changes if any step fails."""
    from sis_appointments.services.scheduling import waitlist

    now = now or utcnow()
    override = _override_allowed(actor, override_reason)

    def work() -> Booking:
        booking = tx.get(session, Booking, booking_id, "booking")
        old, target = booking.slot, load_slot(session, target_slot_id)
        access.require_booking_access(session, actor, booking.student_key, old.host_key)
        if actor.key != booking.student_key:
            access.require_manage_host(session, actor, target.host_key)
        if target.id == old.id:
            raise RuleViolation("the booking is already in that slot", code="same_slot")
        if not booking.active or booking.status != "confirmed":
            raise Conflict("only a confirmed booking can be rescheduled", code="not_active")
        if old.start_utc <= now:
            raise RuleViolation("this appointment has started", code="slot_in_past")
        tx.lock_slots(session, [old.id, target.id])
        if target.status != "open" or not target.type.active:
            raise Conflict("the new slot is not open for booking", code="slot_closed")
        if not take_seat(session, target):
            raise Conflict("the new slot is full", code="slot_full",
                           **slot_state(session, target))
        tx.lock_people(session, booking.student_key)
        check_student(session, target, booking.student_key, now, overridable=not override,
                      ignore_booking=booking.id)
        before = booking_state(booking)
        moved = session.execute(
            update(Booking).where(Booking.id == booking.id, Booking.status == "confirmed",
                                  Booking.slot_id == old.id)
            .values(slot_id=target.id, version=Booking.version + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not moved:
            raise Conflict("the booking changed meanwhile", code="not_active")
        release_seat(session, old.id)
        session.refresh(booking)
        audit.record(session, actor_key=actor.key, action="booking.rescheduled",
                     entity_type="booking", entity_id=booking.id, before=before,
                     after=booking_state(booking),
                     reason=override_reason if override else None)
        announce(session, "booking_rescheduled", booking, actor, old_slot_id=old.id,
                 new_slot_id=target.id)
        waitlist.promote(session, old, now)
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
        booking = tx.get(session, Booking, booking_id, "booking")
        access.require_manage_host(session, actor, booking.slot.host_key)
        if not booking.active:
            raise Conflict("a cancelled booking has no attendance", code="not_active")
        if booking.slot.start_utc > now:
            raise RuleViolation("attendance is marked once the appointment has started",
                                code="slot_not_started")
        before = booking_state(booking)
        booking.status = status
        booking.attendance_marked_at = now
        booking.attendance_marked_by = actor.key
        booking.version += 1
        audit.record(session, actor_key=actor.key, action=f"booking.attendance.{status}",
                     entity_type="booking", entity_id=booking.id, before=before,
                     after=booking_state(booking))
        if ATTENDANCE[status]:
            announce(session, ATTENDANCE[status], booking, actor)
        return booking

    return tx.run(session, work)

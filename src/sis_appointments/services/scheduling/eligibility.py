"""May this student have this slot? Every rule a booking must pass, for every path.

Rules split in two: those nobody overrides (an active student, a slot not yet started, no
overlapping booking) and those staff may override with an audited reason (booking window,
eligibility, per-student limits, the student's timetable). Call with the student locked
(``seats.lock_people``) so two bookings of one student cannot both pass.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sis_appointments.contract import SisUser
from sis_appointments.domain import rules
from sis_appointments.domain.errors import Conflict, Forbidden, RuleViolation
from sis_appointments.domain.slots import Interval
from sis_appointments.domain.timezones import zone
from sis_appointments.models import ACTIVE_BOOKING_STATUSES, AppointmentType, Booking, Slot
from sis_appointments.services.platform import sis

# The refusals (codes) of the rules staff may override with a reason, as ``check`` applies
# them with ``overridable=False``.
OVERRIDABLE_CODES = frozenset({"limit_active", "limit_day", "limit_week", "not_eligible",
                               "student_busy", "too_early_to_book", "too_late_to_book"})


def policy_of(appointment_type: AppointmentType) -> rules.Policy:
    """The domain's view of a type's booking rules."""
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


def override_allowed(actor: SisUser, override_reason: str | None) -> bool:
    """True when ``actor`` overrides the overridable rules; only staff may, with a reason."""
    if override_reason is None:
        return False
    if not actor.has_role("admin", "staff"):
        raise Forbidden("only staff can override booking rules")
    if not override_reason.strip():
        raise RuleViolation("overriding a rule needs a reason", code="reason_required")
    return True


def check(session: Session, slot: Slot, student_key: str, now: datetime, *,
          overridable: bool = True, window: bool = True,
          ignore_booking: int | None = None) -> None:
    """Refuse (a SchedulingError) unless ``student_key`` may hold a seat in ``slot``.

    ``overridable=False`` skips the rules staff may override; ``window=False`` skips only the
    booking window (waitlist promotions); ``ignore_booking`` leaves out the booking being
    moved. Holding ``slot`` already is ``already_booked``; one query reads what they hold.
    """
    record = sis.student(session, student_key)
    if record is None or not record.active:
        raise RuleViolation("the student is not an active student of the SIS",
                            code="student_inactive")
    if slot.start_utc <= now:
        raise RuleViolation("this slot has already started", code="slot_in_past")
    wanted = Interval(slot.start_utc, slot.end_utc)
    held = [row for row in session.execute(
        select(Booking.id, Booking.slot_id, Slot.start_utc, Slot.end_utc, Slot.type_id)
        .join(Booking.slot)
        .where(Booking.student_key == student_key,
               Booking.status.in_(ACTIVE_BOOKING_STATUSES), Slot.end_utc > now)
    ).all() if row.id != ignore_booking]
    for row in held:
        if row.slot_id == slot.id:
            raise Conflict("the student already holds this slot", code="already_booked",
                           booking_id=row.id)
        if Interval(row.start_utc, row.end_utc).overlaps(wanted):
            raise Conflict("the student already has an appointment at that time",
                           code="student_overlap", booking_id=row.id)
    if not overridable:
        return
    policy = policy_of(slot.type)
    if window:
        rules.check_window(policy, now, slot.start_utc)
    rules.check_eligibility(policy, record.program, record.cohort)
    rules.check_limits(policy, [r.start_utc for r in held if r.type_id == slot.type_id],
                       slot.start_utc, zone(slot.type.timezone))
    for busy in sis.busy_times(session, student_key, slot.start_utc, slot.end_utc):
        if Interval(busy.start, busy.end).overlaps(wanted):
            raise RuleViolation(f"the student is busy then ({busy.label or 'timetable'})",
                                code="student_busy")

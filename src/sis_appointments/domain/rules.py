"""Booking rules as pure functions: window, limits, eligibility, late cancellation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sis_appointments.domain.errors import RuleViolation


@dataclass(frozen=True)
class Policy:
    """The booking rules of an appointment type."""

    min_notice: timedelta = timedelta(0)
    max_advance: timedelta | None = None
    cancel_cutoff: timedelta = timedelta(0)
    max_active: int | None = None
    max_per_day: int | None = None
    max_per_week: int | None = None
    programs: frozenset[str] = field(default_factory=frozenset)
    cohorts: frozenset[str] = field(default_factory=frozenset)


def check_window(policy: Policy, now: datetime, slot_start: datetime) -> None:
    """Refuse slots that start too soon or too far ahead (or have started)."""
    if slot_start <= now:
        raise RuleViolation("this slot has already started", code="slot_in_past")
    if slot_start - now < policy.min_notice:
        raise RuleViolation(
            f"bookings close {duration_words(policy.min_notice)} before the start",
            code="too_late_to_book",
        )
    if policy.max_advance is not None and slot_start - now > policy.max_advance:
        raise RuleViolation(
            f"bookings open {duration_words(policy.max_advance)} before the start",
            code="too_early_to_book",
        )


def check_eligibility(policy: Policy, program: str | None, cohort: str | None) -> None:
    """Refuse students outside the type's programs or cohorts (empty means everyone)."""
    if policy.programs and program not in policy.programs:
        raise RuleViolation("this appointment is for students of other programs",
                            code="not_eligible")
    if policy.cohorts and cohort not in policy.cohorts:
        raise RuleViolation("this appointment is for students of other cohorts",
                            code="not_eligible")


def check_limits(policy: Policy, held: Iterable[datetime], slot_start: datetime,
                 tz: ZoneInfo) -> None:
    """Refuse a booking past the per-student limits, given the starts of the active
    bookings the student already holds of this type. Days and weeks (ISO, Monday first)
    are those of the type's zone."""
    held = list(held)
    if policy.max_active is not None and len(held) >= policy.max_active:
        raise RuleViolation(
            f"at most {policy.max_active} active bookings of this type per student",
            code="limit_active",
        )
    day = slot_start.astimezone(tz).date()
    if policy.max_per_day is not None:
        same_day = sum(1 for s in held if s.astimezone(tz).date() == day)
        if same_day >= policy.max_per_day:
            raise RuleViolation(f"at most {policy.max_per_day} per day", code="limit_day")
    if policy.max_per_week is not None:
        week = day.isocalendar()[:2]
        same_week = sum(1 for s in held if s.astimezone(tz).date().isocalendar()[:2] == week)
        if same_week >= policy.max_per_week:
            raise RuleViolation(f"at most {policy.max_per_week} per week", code="limit_week")


def is_late_cancellation(policy: Policy, now: datetime, slot_start: datetime) -> bool:
    return slot_start - now < policy.cancel_cutoff


def check_move(policy: Policy, now: datetime, slot_start: datetime) -> None:
    """Refuse a student's move of an appointment once free cancellation has ended: moving
    frees its seat as late as cancelling would."""
    if is_late_cancellation(policy, now, slot_start):
        raise RuleViolation(
            f"it is too late to move this appointment: changes close "
            f"{duration_words(policy.cancel_cutoff)} before it starts. Keep it, or cancel it "
            f"(a late cancellation)", code="too_late_to_move")


def duration_words(delta: timedelta) -> str:
    """A rule's duration as people say it: '90 minutes', '24 hours', '3 days' (in hours up
    to two days), the same on every page and in every refusal."""
    minutes = int(delta.total_seconds() // 60)
    units = ((24 * 60, "day"), (60, "hour")) if minutes > 48 * 60 else ((60, "hour"),)
    for size, unit in units:
        if minutes % size == 0:
            count = minutes // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{minutes} minutes"

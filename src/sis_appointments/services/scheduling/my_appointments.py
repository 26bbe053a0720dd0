"""What a student's "My appointments" pages and profile section show: upcoming bookings,
history with outcomes, waitlist places, the cancellation rule, and slots to move to."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from sis_appointments.domain import rules
from sis_appointments.models import Booking, Slot, WaitlistEntry, utcnow
from sis_appointments.models.scheduling import INACTIVE_BOOKING_STATUSES
from sis_appointments.services.platform import sis
from sis_appointments.services.scheduling import availability, eligibility, queries

OUTCOMES = ("attended", "no_show", "excused", "cancelled", "late_cancelled")
RESCHEDULE_HORIZON = timedelta(days=28)  # how far ahead a move may go, as the book page
RESCHEDULE_LIMIT = 60  # slots listed at most on the reschedule page


@dataclass(frozen=True)
class Overview:
    """A student's appointments split for the pages, with the staff they meet named."""

    upcoming: list[Booking]
    history: list[Booking]
    waiting: list[tuple[WaitlistEntry, int | None]]
    attendance: dict[str, int]
    hosts: dict[str, object] = field(default_factory=dict)
    now: datetime | None = None  # the instant it was read at: what has started is not changed

    def host_name(self, key: str) -> str:
        user = self.hosts.get(key)
        return user.name if user is not None else "staff"


def overview(session: Session, student_key: str, *, waitlist: bool = True,
             now: datetime | None = None) -> Overview:
    """Upcoming: confirmed bookings not yet over, soonest first. History: the rest (over,
    or cancelled whenever), latest first. Hosts looked up in one batched question."""
    now = now or utcnow()
    rows = session.scalars(
        select(Booking).join(Booking.slot)
        .options(joinedload(Booking.slot).joinedload(Slot.type))
        .where(Booking.student_key == student_key)
        .order_by(Slot.start_utc, Booking.id)
    ).all()
    upcoming = [b for b in rows if b.status == "confirmed" and b.slot.end_utc > now]
    history = [b for b in reversed(rows)
               if b.status in INACTIVE_BOOKING_STATUSES or b.slot.end_utc <= now]
    waiting = queries.student_waitlist(session, student_key) if waitlist else []
    keys = {b.slot.host_key for b in upcoming + history} | {e.slot.host_key for e, _ in waiting}
    return Overview(upcoming, history, waiting, attendance(history), sis.users(session, keys),
                    now)


def started(booking: Booking, now: datetime | None = None) -> bool:
    """Whether the booking's appointment has begun (it can no longer be moved or cancelled)."""
    return booking.slot.start_utc <= (now or utcnow())


def attendance(history: list[Booking]) -> dict[str, int]:
    """How many of each outcome, and ``total`` of them."""
    counts = Counter(b.status for b in history)
    summary = {outcome: counts[outcome] for outcome in OUTCOMES}
    summary["total"] = sum(summary.values())
    return summary


@dataclass(frozen=True)
class CancelTerms:
    """What cancelling a booking now means: late or not, and the type's rule in words."""

    late: bool
    cutoff: timedelta
    free_until: datetime | None

    @property
    def cutoff_words(self) -> str:
        """The cutoff in the words the book page uses: "24 hours", "3 days", "90 minutes"."""
        return rules.duration_words(self.cutoff)


def cancel_terms(booking: Booking, now: datetime | None = None) -> CancelTerms:
    now = now or utcnow()
    policy = eligibility.policy_of(booking.slot.type)
    cutoff = policy.cancel_cutoff
    late = rules.is_late_cancellation(policy, now, booking.slot.start_utc)
    return CancelTerms(late, cutoff, booking.slot.start_utc - cutoff if cutoff else None)


def reschedule_options(session: Session, booking: Booking, zone: ZoneInfo,
                       now: datetime | None = None) -> tuple[list[tuple[date, list[Slot]]],
                                                             bool]:
    """Open slots of the booking's type with a free seat the student could move to, in the
    next weeks, grouped by day in ``zone`` (at most RESCHEDULE_LIMIT; True when cut); none
    once cancelling it would be late (a student may not move it then: ``rules.check_move``)."""
    now = now or utcnow()
    if cancel_terms(booking, now).late:
        return [], False
    found = [s for s in availability.for_student(session, booking.student_key, now,
                                                 now + RESCHEDULE_HORIZON, booking.slot.type_id,
                                                 ignore_booking=booking.id)
             if s.id != booking.slot_id]
    cut = len(found) > RESCHEDULE_LIMIT
    found = found[:RESCHEDULE_LIMIT]
    sis.users(session, {s.host_key for s in found})  # the page names them: ask once
    days = [(day, list(slots)) for day, slots in
            groupby(found, key=lambda s: s.start_utc.astimezone(zone).date())]
    return days, cut

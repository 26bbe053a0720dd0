"""What a student may book: open slots with seats, minus those their timetable blocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from sis_appointments.domain import rules
from sis_appointments.domain.errors import RuleViolation
from sis_appointments.domain.slots import Interval
from sis_appointments.domain.timezones import zone
from sis_appointments.models import (
    ACTIVE_BOOKING_STATUSES,
    AppointmentType,
    Booking,
    Slot,
    utcnow,
)
from sis_appointments.services.platform import sis
from sis_appointments.services.scheduling import eligibility, queries

BOOK_PAGE_HORIZON = timedelta(days=28)  # how far ahead the students' book page looks


def for_student(session: Session, student_key: str, start: datetime, end: datetime,
                type_id: int | None = None, ignore_booking: int | None = None) -> list[Slot]:
    """Open slots starting in [start, end) with a free seat that the student neither holds,
    nor overlaps with one of their bookings, nor is busy for (per the host's timetable).
    ``ignore_booking``: a booking being moved, which does not stand in its own way."""
    return [s for s in bookable(session, student_key, start, end, type_id, ignore_booking)
            if not s.is_full]


def bookable(session: Session, student_key: str, start: datetime, end: datetime,
             type_id: int | None = None, ignore_booking: int | None = None) -> list[Slot]:
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
        Slot.end_utc > start, Booking.id != (ignore_booking or -1))).all()
    busy = sis.busy_times(session, student_key, candidates[0].start_utc,
                           max(s.end_utc for s in candidates))
    blocked = [Interval(h.start_utc, h.end_utc) for h in held] + [
        Interval(b.start, b.end) for b in busy]
    return [s for s in candidates
            if not any(Interval(s.start_utc, s.end_utc).overlaps(b) for b in blocked)]


# -- the students' book page: one week of slots, each with what the student may do with it

PARTS_OF_DAY = {"morning": (0, 12), "afternoon": (12, 17), "evening": (17, 24)}


@dataclass(frozen=True)
class Offer:
    """One slot as a student sees it: seats, the host's name, and what they may do.

    ``action`` is ``book``, ``waitlist`` (full, a waitlist to join), ``held`` (they hold it),
    ``waiting`` (they are on its waitlist: ``entry_id`` at ``place``; ``held_until`` when a
    freed seat is held for them to accept) or ``none``; ``reason``
    says why not in plain words, ``kind`` which rule: ``clash`` (timetable or another booking
    of theirs: hidden unless asked for), ``limit``, ``window``, ``eligibility``, ``full``
    (full with no waitlist), ``closed``."""

    slot: Slot
    host_name: str
    waiting: int
    action: str
    kind: str = ""
    reason: str = ""
    entry_id: int | None = None
    place: int | None = None
    held_until: datetime | None = None  # a seat freed is held for them (an offer) until then

    @property
    def position(self) -> int:
        """The place in line a student joining now would get."""
        return self.waiting + 1

    @property
    def minutes(self) -> int:
        return int((self.slot.end_utc - self.slot.start_utc).total_seconds() // 60)

    @property
    def where(self) -> str:
        """The room, else "Online" for a type met online."""
        slot = self.slot
        if slot.location or slot.type.location:
            return slot.location or slot.type.location
        return "Online" if slot.type.online_url else ""

    @property
    def seats(self) -> str:
        """'2 of 3 free', 'Full, 4 waiting'."""
        if self.slot.is_full:
            return f"Full, {self.waiting} waiting" if self.waiting else "Full"
        return f"{self.slot.remaining} of {self.slot.capacity} free"


@dataclass
class Week:
    """What the book page shows: the week from ``start`` (a Monday in ``tz``), its days with
    the offers that pass the filters, and what the filters may choose from."""

    start: date
    tz: ZoneInfo
    days: list[tuple[date, list[Offer]]]
    hosts: dict[str, str]  # key -> name, of every host with a slot this week
    hidden_clashes: int
    previous: date | None
    next: date | None
    limits: dict[int, str] = field(default_factory=dict)  # type id -> "limit reached" words
    # type id -> how many of its slots are hidden because the student reached its limit
    hidden_limited: dict[int, int] = field(default_factory=dict)
    type_names: dict[int, str] = field(default_factory=dict)  # of the types in ``limits``

    @property
    def offers(self) -> list[Offer]:
        return [o for _, day in self.days for o in day]

    @property
    def end(self) -> date:
        return self.start + timedelta(days=7)

    @property
    def first_instant(self) -> datetime:
        return datetime.combine(self.start, time(0), self.tz)

    @property
    def last_instant(self) -> datetime:
        return datetime.combine(self.end, time(0), self.tz)

    @property
    def zone_abbreviation(self) -> str:
        return datetime.combine(self.start, time(12), self.tz).tzname() or ""


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def book_page(session: Session, student_key: str, tz: ZoneInfo, *, week: date | None = None,
              type_id: int | None = None, host_key: str | None = None,
              part: str | None = None, show_clashes: bool = False,
              show_limited: bool = False, now: datetime | None = None) -> Week:
    """One week (Monday to Sunday in ``tz``) of open slots for a student's book page, up to
    BOOK_PAGE_HORIZON ahead; a fixed number of statements whatever the number of slots.
    Slots that clash, and slots of a type whose limit the student has reached, are hidden
    (counted) unless ``show_clashes`` or ``show_limited`` asks for them."""
    now = now or utcnow()
    first = week_of(now.astimezone(tz).date())
    last = week_of((now + BOOK_PAGE_HORIZON).astimezone(tz).date())
    if week is None:  # the first week with an open slot, rather than an empty one
        soonest = session.scalar(
            select(func.min(Slot.start_utc)).join(Slot.type)
            .where(Slot.status == "open", Slot.start_utc >= now,
                   Slot.start_utc < now + BOOK_PAGE_HORIZON, AppointmentType.active.is_(True),
                   *([Slot.type_id == type_id] if type_id is not None else [])))
        week = soonest.astimezone(tz).date() if soonest else first
    start = min(max(week_of(week), first), last)
    begin = max(now, datetime.combine(start, time(0), tz).astimezone(UTC))
    end = datetime.combine(start + timedelta(days=7), time(0), tz).astimezone(UTC)
    offers = assess(session, student_key, _open_slots(session, begin, end, type_id), now, tz)
    hosts = {o.slot.host_key: o.host_name for o in offers}
    shown = [o for o in offers if (host_key is None or o.slot.host_key == host_key)
             and _in_part(o.slot, tz, part)]
    hidden = sum(1 for o in shown if o.kind == "clash")
    if not show_clashes:
        shown = [o for o in shown if o.kind != "clash"]
    limited: dict[int, int] = {}
    if not show_limited:
        for o in shown:
            if o.kind == "limit":
                limited[o.slot.type_id] = limited.get(o.slot.type_id, 0) + 1
        shown = [o for o in shown if o.kind != "limit"]
    days: dict[date, list[Offer]] = {}
    for offer in shown:
        days.setdefault(offer.slot.start_utc.astimezone(tz).date(), []).append(offer)
    limits = {o.slot.type_id: o.reason for o in offers if o.kind == "limit"}
    names = {o.slot.type_id: o.slot.type.name for o in offers if o.kind == "limit"}
    return Week(start, tz, sorted(days.items()), dict(sorted(hosts.items(), key=lambda h: h[1])),
                hidden if not show_clashes else 0,
                start - timedelta(days=7) if start > first else None,
                start + timedelta(days=7) if start < last else None, limits, limited, names)


def offer(session: Session, student_key: str, slot_id: int,
          now: datetime | None = None, tz: ZoneInfo | None = None) -> Offer | None:
    """One slot as ``book_page`` would show it to the student (None: no such open slot);
    times in its reasons are in ``tz``, the student's display zone (else the type's)."""
    now = now or utcnow()
    slot = session.scalars(select(Slot).options(joinedload(Slot.type))
                           .where(Slot.id == slot_id)
                           .execution_options(populate_existing=True)).first()
    if slot is None:
        return None
    found = assess(session, student_key, [slot], now, tz)
    return found[0] if found else None


def _open_slots(session: Session, start: datetime, end: datetime,
                type_id: int | None) -> list[Slot]:
    query = (select(Slot).options(joinedload(Slot.type))
             .where(Slot.status == "open", Slot.start_utc >= start, Slot.start_utc < end)
             .order_by(Slot.start_utc, Slot.id)
             .execution_options(populate_existing=True))
    if type_id is not None:
        query = query.where(Slot.type_id == type_id)
    return [s for s in session.scalars(query) if s.type.active]


def _in_part(slot: Slot, tz: ZoneInfo, part: str | None) -> bool:
    if part not in PARTS_OF_DAY:
        return True
    low, high = PARTS_OF_DAY[part]
    return low <= slot.start_utc.astimezone(tz).hour < high


def assess(session: Session, student_key: str, slots: list[Slot], now: datetime,
           tz: ZoneInfo | None = None) -> list[Offer]:
    """Each slot with what the student may do with it and, if nothing, why: the rules of
    ``eligibility.check`` read once for all of them (what they hold, their timetable and
    record), so the page can say so before the click. Booking still checks everything.
    Times in the reasons are in ``tz``, the zone the page shows (else the slot type's)."""
    if not slots:
        return []
    waiting = queries.waitlist_lengths(session, [s.id for s in slots])
    held = session.execute(
        select(Booking.slot_id, Slot.start_utc, Slot.end_utc, Slot.type_id,
               AppointmentType.name).join(Booking.slot).join(Slot.type)
        .where(Booking.student_key == student_key,
               Booking.status.in_(ACTIVE_BOOKING_STATUSES), Slot.end_utc > now)).all()
    busy = sis.busy_times(session, student_key, min(s.start_utc for s in slots),
                          max(s.end_utc for s in slots))
    record = sis.student(session, student_key)
    names = sis.users(session, {s.host_key for s in slots})
    # a place of theirs can only be where someone waits
    mine = queries.waiting_places(session, student_key, list(waiting)) if waiting else {}
    out = []
    for slot in slots:
        host = getattr(names.get(slot.host_key), "name", None) or slot.host_key
        if slot.id in mine:  # on its waitlist: their place, and a way to leave
            out.append(Offer(slot, host, waiting.get(slot.id, 0), "waiting", "waiting", "",
                             *mine[slot.id]))
            continue
        action, kind, reason = _judge(slot, held, busy, record, now, waiting.get(slot.id, 0),
                                      tz)
        out.append(Offer(slot, host, waiting.get(slot.id, 0), action, kind, reason))
    return out


def _span(start: datetime, end: datetime, near: datetime, tz: ZoneInfo) -> str:
    """"10:00–11:30" in ``tz``, each end with its day when that is not ``near``'s day."""
    day = near.astimezone(tz).date()

    def clock(at: datetime) -> str:
        local = at.astimezone(tz)
        return f"{local:%H:%M}" if local.date() == day else f"{local:%a} {local:%H:%M}"

    return f"{clock(start)}\u2013{clock(end)}"


def _judge(slot: Slot, held, busy, record, now: datetime, waiting: int,
           shown_in: ZoneInfo | None = None) -> tuple[str, str, str]:
    """(action, kind, reason) for one slot; see ``Offer``. Limits count days and weeks in
    the type's zone; times in the words are in ``shown_in`` (the page's zone)."""
    tz = zone(slot.type.timezone)
    shown_in = shown_in or tz
    wanted = Interval(slot.start_utc, slot.end_utc)
    if any(h.slot_id == slot.id for h in held):
        return "held", "held", "You have booked this appointment."
    if slot.status != "open" or slot.start_utc <= now:
        return "none", "closed", "This slot is no longer open for booking."
    for h in held:
        if Interval(h.start_utc, h.end_utc).overlaps(wanted):
            return "none", "clash", (f"You already have {h.name} at "
                                     f"{h.start_utc.astimezone(shown_in):%H:%M}.")
    for b in busy:
        if Interval(b.start, b.end).overlaps(wanted):
            return "none", "clash", (f"Clashes with {b.label or 'your timetable'} "
                                     f"({_span(b.start, b.end, slot.start_utc, shown_in)}).")
    policy = eligibility.policy_of(slot.type)
    try:
        if record is None or not record.active:
            raise RuleViolation("only active students can book", code="student_inactive")
        rules.check_eligibility(policy, record.program, record.cohort)
    except RuleViolation as refused:
        return "none", "eligibility", refused.sentence
    try:
        rules.check_limits(policy, [h.start_utc for h in held if h.type_id == slot.type_id],
                           slot.start_utc, tz)
    except RuleViolation as refused:
        return "none", "limit", limit_words(slot.type.name, refused.code, policy)
    try:
        rules.check_window(policy, now, slot.start_utc)
    except RuleViolation as refused:
        return "none", "window", refused.sentence
    if slot.is_full:
        if slot.type.waitlist_enabled and (slot.type.waitlist_size is None
                                           or waiting < slot.type.waitlist_size):
            return "waitlist", "", ""
        return "none", "full", "This slot is full and its waitlist is closed."
    return "book", "", ""


def limit_words(type_name: str, code: str, policy: rules.Policy) -> str:
    """The per-student limit reached, worded for the student."""
    if code == "limit_day":
        return f"You have reached the limit of {policy.max_per_day} {type_name} a day."
    if code == "limit_week":
        return f"You have reached the limit of {policy.max_per_week} {type_name} a week."
    return (f"You have reached the limit of {policy.max_active} upcoming {type_name} "
            "appointments: cancel one to book another.")


def cancellation_rule(offer: Offer, now: datetime | None = None) -> str:
    """What cancelling would mean, in words: the type's rule for a booking made now (late
    already inside the cutoff); for a place on the waitlist, that leaving it is free."""
    policy = eligibility.policy_of(offer.slot.type)
    late = rules.is_late_cancellation(policy, now or utcnow(), offer.slot.start_utc)
    cutoff = rules.duration_words(policy.cancel_cutoff)
    if offer.action in {"waitlist", "waiting"}:
        leaving = "Leaving the waitlist is free, at any time."
        if not policy.cancel_cutoff:
            return f"{leaving} So is cancelling a seat you get, until the start."
        if late:
            return (f"{leaving} It is less than {cutoff} before the start: cancelling a seat "
                    "you get would count as a late cancellation.")
        return (f"{leaving} A seat you get can be cancelled free until {cutoff} before; later "
                "counts as a late cancellation.")
    if not policy.cancel_cutoff:
        return "Free cancellation until the start."
    if late:
        return (f"It is less than {cutoff} before the start: cancelling this booking would "
                "count as a late cancellation.")
    return f"Free cancellation until {cutoff} before; later counts as a late cancellation."


def sentence(message: str) -> str:
    return message[:1].upper() + message[1:]

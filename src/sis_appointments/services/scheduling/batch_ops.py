"""Batch work on many slots for staff: choose slots by filter, see exactly what an operation
would do (the run itself, rolled back: which slots change, which bookings, who is told),
then run it all or nothing or best effort; and "advisor out": hand an absent host's
bookings to colleagues' matching slots where they fit, cancel the rest with a message that
links to the book page. Every step goes through the services that own it (``slots``,
``conflicts``), so each change is checked, audited and announced as when done one by one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sis_appointments.contract import SisUser
from sis_appointments.domain.errors import Forbidden, InvalidInput
from sis_appointments.domain.timezones import to_utc
from sis_appointments.models import (
    ACTIVE_BOOKING_STATUSES,
    Booking,
    Notification,
    Slot,
    WaitlistEntry,
)
from sis_appointments.models.scheduling import OPEN_WAITLIST_STATUSES
from sis_appointments.services.accounts import access
from sis_appointments.services.notifications import preferences
from sis_appointments.services.platform import batch
from sis_appointments.services.scheduling import conflicts, queries, slots, staff_calendar

MAX_SLOTS = 2000  # slots one batch may touch
OPERATIONS = {
    "cancel": "Cancel (the students are told)",
    "capacity": "Change the seats",
    "location": "Change the place",
    "shift": "Move by a number of minutes",
    "reassign": "Give to another host",
}


@dataclass(frozen=True)
class Selection:
    """Which slots: on these hosts' calendars (None: all the viewer manages), of these types
    (empty: any), starting on days [first, last] in ``zone``, on these weekdays (0 = Monday;
    empty: any), starting at or after ``time_from`` and before ``time_to`` (local)."""

    first: date
    last: date
    zone: ZoneInfo
    hosts: tuple[str, ...] = ()
    type_ids: tuple[int, ...] = ()
    weekdays: tuple[int, ...] = ()
    time_from: time | None = None
    time_to: time | None = None


def select_slots(session: Session, actor: SisUser, chosen: Selection) -> list[Slot]:
    """Open slots matching ``chosen`` on calendars ``actor`` manages, earliest first."""
    if chosen.last < chosen.first:
        raise InvalidInput("the last day is before the first", code="end_before_start")
    if (chosen.last - chosen.first).days > 366:
        raise InvalidInput("choose at most a year at a time", code="range_too_long")
    managed = staff_calendar.shown_hosts(session, actor)
    hosts = list(chosen.hosts) or managed
    if managed is not None and any(h not in managed for h in hosts):
        raise Forbidden("you cannot manage one of these calendars")
    start = to_utc(datetime.combine(chosen.first, time(0)), chosen.zone)
    end = to_utc(datetime.combine(chosen.last + timedelta(days=1), time(0)), chosen.zone)
    rows = queries.slot_range(session, start, end, host_keys=hosts, open_only=True,
                              limit=MAX_SLOTS * 4)
    found = []
    for slot, _waiting in rows:
        local = slot.start_utc.astimezone(chosen.zone)
        if chosen.type_ids and slot.type_id not in chosen.type_ids:
            continue
        if chosen.weekdays and local.weekday() not in chosen.weekdays:
            continue
        if chosen.time_from and local.time() < chosen.time_from:
            continue
        if chosen.time_to and local.time() >= chosen.time_to:
            continue
        found.append(slot)
    if len(found) > MAX_SLOTS:
        raise InvalidInput(f"{len(found)} slots match: narrow the choice to at most "
                           f"{MAX_SLOTS}", code="too_many_slots")
    return found


def booked_counts(session: Session, slot_ids: list[int]) -> dict[int, int]:
    """Active bookings per slot (one statement)."""
    if not slot_ids:
        return {}
    return dict(session.execute(select(Booking.slot_id, func.count()).where(
        Booking.slot_id.in_(slot_ids), Booking.status == "confirmed")
        .group_by(Booking.slot_id)).all())


def _step(session: Session, actor: SisUser, slot_id: int, op: str, params: dict
          ) -> Callable[[], dict]:
    """One slot's operation as a call of the service that owns it."""
    if op == "cancel":
        return lambda: {"cancelled": slots.cancel(session, actor=actor, slot_id=slot_id,
                                                  reason=params["reason"]).id}
    if op == "capacity":
        return lambda: {"conflicts": slots.update(session, actor=actor, slot_id=slot_id,
                                                  capacity=params["capacity"])}
    if op == "location":
        return lambda: {"conflicts": slots.update(session, actor=actor, slot_id=slot_id,
                                                  location=params["location"])}
    if op == "shift":
        def shift() -> dict:
            slot = session.get(Slot, slot_id)
            delta = timedelta(minutes=params["minutes"])
            return {"conflicts": slots.update(session, actor=actor, slot_id=slot_id,
                                              start=slot.start_utc + delta,
                                              end=slot.end_utc + delta)}
        return shift
    if op == "reassign":
        return lambda: {"host": slots.reassign(session, actor=actor, slot_id=slot_id,
                                               host_key=params["host"]).host_key}
    raise InvalidInput(f"the operation must be one of {', '.join(OPERATIONS)}",
                       code="bad_operation")


def check_params(op: str, params: dict) -> dict:
    """The operation's parameters, checked before anything runs."""
    if op == "cancel" and not str(params.get("reason") or "").strip():
        raise InvalidInput("say why: the students are told", code="reason_required")
    if op == "capacity" and not (isinstance(params.get("capacity"), int)
                                 and 1 <= params["capacity"] <= 100_000):
        raise InvalidInput("seats must be a whole number from 1 to 100000", code="bad_number")
    if op == "shift" and not (isinstance(params.get("minutes"), int)
                              and params["minutes"] != 0
                              and abs(params["minutes"]) <= 7 * 24 * 60):
        raise InvalidInput("move by a whole number of minutes, at most a week either way",
                           code="bad_number")
    if op == "reassign" and not params.get("host"):
        raise InvalidInput("choose the host to give the slots to", code="host_required")
    if op not in OPERATIONS:
        raise InvalidInput(f"the operation must be one of {', '.join(OPERATIONS)}",
                           code="bad_operation")
    return params


@dataclass
class Outcome:
    """What happened (or would happen) to one slot."""

    slot_id: int
    ok: bool
    message: str = ""
    told: list[str] = field(default_factory=list)  # people notified (students and hosts)
    rolled_back: bool = False


@dataclass
class Report:
    op: str
    applied: bool
    dry_run: bool
    outcomes: list[Outcome]

    @property
    def done(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.ok]

    @property
    def refused(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok and not o.rolled_back]

    @property
    def told(self) -> list[str]:
        return sorted({k for o in self.outcomes if o.ok for k in o.told})


class _Written:
    """Recipients of the notifications the session writes while this is open (read from
    each flush, so other transactions' rows never count)."""

    def __init__(self, session: Session):
        self.session, self.keys = session, []

    def _flushed(self, session, _context) -> None:
        self.keys += [o.recipient_key for o in session.new if isinstance(o, Notification)]

    def __enter__(self) -> _Written:
        sa_event.listen(self.session, "after_flush", self._flushed)
        return self

    def __exit__(self, *_exc) -> None:
        sa_event.remove(self.session, "after_flush", self._flushed)


PROGRESS_EVERY = 25  # steps between two progress reports


def _observer(session: Session, written: _Written, outcomes: list[Outcome],
              slot_of: Callable[[int], int], words: Callable[[int], str] | str,
              total: int, progress: Callable[[int, int], None] | None = None
              ) -> Callable[[dict], None]:
    """What ``batch.run`` calls after each step, inside its transaction: the step's outcome,
    with the people its notifications go to; ``progress(done, total)`` now and then."""
    mark = 0

    def observe(report: dict) -> None:
        nonlocal mark
        index = report["index"]
        outcome = Outcome(slot_of(index), report["ok"])
        session.flush()
        if report["ok"]:
            outcome.told = sorted({k for k in written.keys[mark:]
                                   if not k.startswith("webhook:")})
            outcome.message = words(index) if callable(words) else words
        else:
            error = report["error"]
            outcome.message = error.sentence
        mark = len(written.keys)
        outcomes.append(outcome)
        if progress is not None and (len(outcomes) % PROGRESS_EVERY == 0
                                     or len(outcomes) == total):
            progress(len(outcomes), total)

    return observe


def _settle(outcomes: list[Outcome], reports: list[dict], slot_ids: list[int]) -> None:
    """Steps undone with an all-or-nothing batch that failed are not done; steps after the
    refused one did not run."""
    for outcome, report in zip(outcomes, reports, strict=True):
        if report.get("rolled_back"):
            outcome.ok, outcome.rolled_back = False, True
            outcome.message = "Undone: another slot of the batch was refused."
    outcomes += [Outcome(slot_id, False, "Not run: another slot of the batch was refused.",
                         rolled_back=True) for slot_id in slot_ids[len(outcomes):]]


def run(session: Session, actor: SisUser, slot_ids: list[int], op: str, params: dict, *,
        all_or_nothing: bool = True, dry_run: bool = False,
        progress: Callable[[int, int], None] | None = None) -> Report:
    """Apply ``op`` to each slot; with ``dry_run`` nothing stays (the preview is the run,
    rolled back). Each outcome names who is (or would be) told; ``progress(done, total)``
    is called every PROGRESS_EVERY slots and at the end."""
    check_params(op, params)
    if not slot_ids:
        raise InvalidInput("choose at least one slot", code="nothing_chosen")
    if len(slot_ids) > MAX_SLOTS:
        raise InvalidInput(f"at most {MAX_SLOTS} slots at a time", code="too_many_slots")
    chosen = slot_ids
    if op == "shift":  # the slot ahead in the move's direction moves first: out of the way
        starts = dict(session.execute(select(Slot.id, Slot.start_utc)
                                      .where(Slot.id.in_(slot_ids))).all())
        slot_ids = [i for i in slot_ids if i not in starts] + sorted(
            starts, key=starts.__getitem__, reverse=params["minutes"] > 0)
    outcomes: list[Outcome] = []
    steps = [_step(session, actor, slot_id, op, params) for slot_id in slot_ids]
    steps[0] = _warmed(session, slot_ids, steps[0])
    with _Written(session) as written:
        observe = _observer(session, written, outcomes, lambda index: slot_ids[index], "",
                            len(slot_ids), progress)
        applied, reports = batch.run(session, steps, all_or_nothing=all_or_nothing,
                                     dry_run=dry_run, observe=observe)
    _settle(outcomes, reports, slot_ids)
    order = {slot_id: index for index, slot_id in enumerate(chosen)}
    return Report(op, applied, dry_run, sorted(outcomes, key=lambda o: order[o.slot_id]))


def _warmed(session: Session, slot_ids: list[int], first: Callable[[], dict]
            ) -> Callable[[], dict]:
    """``first``, after reading at once the notification switches of everyone the batch may
    tell (else one query for each booking it changes); inside the batch's transaction, whose
    unit of work keeps them."""
    def work() -> dict:
        people = session.execute(select(Booking.student_key, Slot.host_key)
                                 .join(Booking.slot).where(
            Slot.id.in_(slot_ids), Booking.status.in_(ACTIVE_BOOKING_STATUSES))).all()
        waiting = session.scalars(select(WaitlistEntry.student_key).where(
            WaitlistEntry.slot_id.in_(slot_ids),
            WaitlistEntry.status.in_(OPEN_WAITLIST_STATUSES))).all()
        preferences.prefetch(session, {key for row in people for key in row} | set(waiting))
        return first()
    return work


# -- advisor out

@dataclass(frozen=True)
class Handover:
    """One slot of the absent host: where its bookings go (``to``: a colleague's slot of the
    same type at the same time with room), or cancelled with the message."""

    slot: Slot
    booked: int
    to: Slot | None


def plan_absence(session: Session, actor: SisUser, *, host_key: str, first: date,
                 last: date, zone: ZoneInfo) -> list[Handover]:
    """For each open slot of ``host_key`` on days [first, last]: a colleague's slot of the
    same type starting at the same time with enough free seats, on a calendar ``actor``
    manages, or None (the slot will be cancelled)."""
    access.require_manage_host(session, actor, host_key)
    theirs = select_slots(session, actor, Selection(first, last, zone, hosts=(host_key,)))
    counts = booked_counts(session, [s.id for s in theirs])
    managed = staff_calendar.shown_hosts(session, actor)
    plan = []
    taken: dict[int, int] = {}  # seats of colleagues' slots this plan already fills
    for slot in theirs:
        booked = counts.get(slot.id, 0)
        target = None
        if booked:
            query = select(Slot).where(
                Slot.type_id == slot.type_id, Slot.start_utc == slot.start_utc,
                Slot.status == "open", Slot.host_key != host_key).order_by(Slot.id)
            if managed is not None:
                query = query.where(Slot.host_key.in_(managed))
            for candidate in session.scalars(query):
                if candidate.remaining - taken.get(candidate.id, 0) >= booked:
                    target = candidate
                    taken[candidate.id] = taken.get(candidate.id, 0) + booked
                    break
        plan.append(Handover(slot, booked, target))
    return plan


def run_absence(session: Session, actor: SisUser, plan: list[Handover], *, message: str,
                rebook_url: Callable[[Slot], str], dry_run: bool = False,
                progress: Callable[[int, int], None] | None = None) -> Report:
    """Carry out ``plan`` as one all-or-nothing batch: move each slot's bookings to its
    colleague's slot (the students are told of the new time and host), then cancel the
    absent host's slots (those still holding bookings tell their students ``message`` and
    where to book again)."""
    if not message.strip():
        raise InvalidInput("write the message the students get", code="reason_required")
    outcomes: list[Outcome] = []

    def step(handover: Handover) -> Callable[[], dict]:
        def work() -> dict:
            if handover.to is not None:
                conflicts.move_bookings(session, actor=actor, from_slot_id=handover.slot.id,
                                        to_slot_id=handover.to.id)
            why = message.strip()
            if handover.booked and handover.to is None:
                why += f" Book another time: {rebook_url(handover.slot)}"
            slots.cancel(session, actor=actor, slot_id=handover.slot.id, reason=why)
            return {"moved_to": handover.to.id if handover.to else None}
        return work

    with _Written(session) as written:
        observe = _observer(session, written, outcomes, lambda index: plan[index].slot.id,
                            lambda index: "Bookings handed over" if plan[index].to
                            else "Cancelled", len(plan), progress)
        applied, reports = batch.run(session, [step(h) for h in plan], all_or_nothing=True,
                                     dry_run=dry_run, observe=observe)
    _settle(outcomes, reports, [h.slot.id for h in plan])
    return Report("absence", applied, dry_run, outcomes)

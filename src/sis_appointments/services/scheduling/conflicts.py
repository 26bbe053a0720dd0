"""Conflicts over a date range, with their parties, and their resolutions.

Kinds: ``host_overlap`` (a host's slots overlap, buffers included), ``location_overlap``,
``student_overlap`` (a student holds overlapping bookings), ``student_busy`` (a booking
overlaps the student's timetable) and ``off_availability`` (a slot of a series moved off the
time the series publishes, by an edit of that slot alone). Resolutions: cancel a slot or a
booking (their own services), move a slot's bookings to another slot, or keep the conflict
with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import (
    Interval,
    String,
    cast,
    func,
    literal,
    literal_column,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session, aliased, joinedload

from sis_appointments.contract import SisUser
from sis_appointments.domain.errors import Conflict, Forbidden, InvalidInput, SchedulingError
from sis_appointments.domain.timezones import zone
from sis_appointments.models import (
    ACTIVE_BOOKING_STATUSES,
    AppointmentType,
    Booking,
    ConflictOverride,
    Slot,
    utcnow,
)
from sis_appointments.services.accounts import access
from sis_appointments.services.platform import audit, sis, tx
from sis_appointments.services.scheduling import booking, eligibility, seats, slots, waitlist

KINDS = ("host_overlap", "location_overlap", "student_overlap", "student_busy",
         "off_availability")
MAX_RANGE = timedelta(days=366)  # the widest range one conflict query may scan
# What each resolution needs besides the action (``resolve``; keeping a conflict also needs
# a reason, asked for in words by ``override``).
RESOLUTIONS = {"cancel_slot": ("slot_id",), "cancel_booking": ("booking_id",),
               "move": ("slot_id", "target_slot_id"), "override": ("kind", "subject")}


@dataclass(frozen=True)
class ConflictItem:
    kind: str
    subject: str  # sorted IDs of the slots or bookings involved
    slot_ids: tuple[int, ...]
    booking_ids: tuple[int, ...] = ()
    parties: dict = field(default_factory=dict)


def find(session: Session, start: datetime, end: datetime, *,
         hosts: list[str] | None = None, timetable: bool = True) -> list[ConflictItem]:
    """Every conflict among open slots and active bookings starting in [start, end); with
    ``hosts``, those touching a slot of one of them; ``timetable=False`` leaves out the
    clashes with students' timetables (asked of the SIS student by student).

    The database pairs the overlapping slots and bookings and checks the series' slots
    (a campus's month is tens of thousands of them; the conflicts are few)."""
    found: list[ConflictItem] = []
    in_range = _open_in(Slot, start, end)
    dialect = session.get_bind().dialect.name
    students = None
    if hosts is not None:  # only the bookings of the students booked in the hosts' slots
        students = select(Booking.student_key).join(Booking.slot).where(
            Slot.host_key.in_(list(hosts)), Booking.status.in_(ACTIVE_BOOKING_STATUSES),
            *in_range)
    host_of: dict[int, str] = {}
    for pair in session.execute(_slot_pairs(dialect, start, end, hosts)):
        ids = tuple(sorted((pair.first, pair.second)))
        host_of.update({pair.first: pair.first_host, pair.second: pair.second_host})
        party = {"host_key": pair.first_host} if pair.kind == "host_overlap" else {
            "location": pair.location}
        found.append(ConflictItem(pair.kind, _subject(ids), ids, parties=party))
    for s in _off_availability(session, in_range, hosts):
        host_of[s.id] = s.host_key
        found.append(ConflictItem("off_availability", _subject((s.id,)), (s.id,),
                                  parties={"host_key": s.host_key,
                                           "published": s.occurrence_local.isoformat()}))
    for pair in session.execute(_student_pairs(start, end, students)):
        ids = (pair.first, pair.second)
        host_of.update({pair.first_slot: pair.first_host, pair.second_slot: pair.second_host})
        found.append(ConflictItem("student_overlap", _subject(ids),
                                  tuple(sorted((pair.first_slot, pair.second_slot))), ids,
                                  {"student_key": pair.student_key}))
    if timetable:
        # Bookings as plain rows (id, slot, student, the slot's time and host): a campus's
        # month is tens of thousands of them, and ORM objects cost most of the time.
        held_query = select(Booking.id, Booking.slot_id, Booking.student_key, Slot.start_utc,
                            Slot.end_utc, Slot.host_key).join(Booking.slot).where(
            Booking.status.in_(ACTIVE_BOOKING_STATUSES), *in_range)
        if students is not None:
            held_query = held_query.where(Booking.student_key.in_(students))
        for b in session.execute(held_query):
            host_of[b.slot_id] = b.host_key
            for busy in sis.busy_times(session, b.student_key, b.start_utc, b.end_utc):
                found.append(ConflictItem("student_busy", _subject((b.id,)), (b.slot_id,),
                                          (b.id,), {"student_key": b.student_key,
                                                    "busy": busy.label}))
    kept = {(o.kind, o.subject) for o in session.scalars(select(ConflictOverride))}
    return [c for c in found if (c.kind, c.subject) not in kept and (
        hosts is None or any(host_of.get(s) in hosts for s in c.slot_ids))]


def _open_in(slot, start: datetime, end: datetime) -> tuple:
    """The conditions on ``slot`` (Slot or an alias) of an open slot overlapping the range."""
    return slot.status == "open", slot.start_utc < end, slot.end_utc > start


def _plus_minutes(dialect: str, instant, minutes):
    """``instant`` (a UTC column) plus ``minutes`` (an integer expression), in SQL, to
    compare with other instants. SQLite stores instants as text ('2026-09-07 13:00:00.000000')
    and its date functions round to milliseconds, so the minutes go to the text's first 16
    characters and its seconds are put back as they were: exact, and ordered as text."""
    if dialect == "postgresql":
        return instant + minutes * literal_column("INTERVAL '1 minute'", Interval)
    return func.strftime("%Y-%m-%d %H:%M", func.substr(instant, 1, 16),
                         cast(minutes, String) + " minutes").concat(func.substr(instant, 17))


# The two slots of a pair and their types (made once: aliasing the tables costs more than the
# statement's other parts, on every request).
_EARLIER, _LATER = aliased(Slot), aliased(Slot)
_EARLIER_TYPE, _LATER_TYPE = aliased(AppointmentType), aliased(AppointmentType)


def _slot_pairs(dialect: str, start: datetime, end: datetime, hosts: list[str] | None):
    """The pairs of open slots in range that overlap, asked of the database: a host's,
    buffers included (``host_overlap``), and a place's (``location_overlap``); with
    ``hosts``, those with a slot of theirs.

    Each pair is a slot and one starting no earlier (ties: the higher id). They overlap when
    the later starts before the earlier ends, buffers included: the earlier's after and the
    later's before (the others cannot come between them). So the later is looked up by the
    indexes on (host, start) and (place, start), from the earlier's start to its end plus
    the widest buffers any type has: a few rows for each slot, not every pair of a host's."""
    widest = select(func.max(AppointmentType.buffer_after_minutes)
                    + func.max(AppointmentType.buffer_before_minutes)).scalar_subquery()
    first, second, one, two = _EARLIER, _LATER, _EARLIER_TYPE, _LATER_TYPE
    theirs = list(hosts or ())
    queries = []
    for kind in ("host_overlap", "location_overlap"):
        query = select(literal(kind).label("kind"), first.id.label("first"),
                       second.id.label("second"), first.host_key.label("first_host"),
                       second.host_key.label("second_host"), first.location).where(
            second.start_utc >= first.start_utc,
            tuple_(second.start_utc, second.id) > tuple_(first.start_utc, first.id),
            *_open_in(first, start, end), *_open_in(second, start, end))
        if kind == "host_overlap":
            query = query.join_from(first, one, one.id == first.type_id).join_from(
                second, two, two.id == second.type_id).where(
                first.host_key == second.host_key,
                second.start_utc < _plus_minutes(dialect, first.end_utc, widest),
                second.start_utc < _plus_minutes(
                    dialect, first.end_utc, one.buffer_after_minutes + two.buffer_before_minutes))
            if hosts is not None:
                query = query.where(first.host_key.in_(theirs))
        else:
            query = query.where(first.location == second.location, first.location != "",
                                second.start_utc < first.end_utc)
            if hosts is not None:  # at their places, with a slot of theirs
                query = query.where(
                    first.location.in_(select(Slot.location).where(
                        Slot.host_key.in_(theirs), *_open_in(Slot, start, end))),
                    first.host_key.in_(theirs) | second.host_key.in_(theirs))
        queries.append(query)
    return union_all(*queries).order_by("kind", "first", "second")


def _off_availability(session: Session, in_range: tuple, hosts: list[str] | None) -> list:
    """The open series slots in range whose start is not the wall-clock time the series
    publishes for them (``occurrence_local``, in the slot's zone), by Python's zone rules
    (those that made the slots: the database's may be older, or lack a zone)."""
    query = select(Slot.id, Slot.host_key, Slot.start_utc, Slot.timezone,
                   Slot.occurrence_local).where(
        Slot.series_id.is_not(None), Slot.occurrence_local.is_not(None), *in_range)
    if hosts is not None:
        query = query.where(Slot.host_key.in_(list(hosts)))
    return [s for s in session.execute(query.order_by(Slot.id)) if s.occurrence_local
            != s.start_utc.astimezone(zone(s.timezone)).replace(tzinfo=None)]


def _student_pairs(start: datetime, end: datetime, students):
    """The pairs of a student's active bookings in open slots in range that overlap, asked
    of the database (a campus's month is tens of thousands of bookings; the pairs are few);
    ``students``: a subquery of the students looked at (None: all)."""
    first, second = aliased(Booking), aliased(Booking)
    mine, other = aliased(Slot), aliased(Slot)
    query = (select(first.id.label("first"), second.id.label("second"),
                    first.slot_id.label("first_slot"), second.slot_id.label("second_slot"),
                    first.student_key, mine.host_key.label("first_host"),
                    other.host_key.label("second_host"))
             .join(mine, mine.id == first.slot_id)
             .join(second, (second.student_key == first.student_key) & (second.id > first.id))
             .join(other, other.id == second.slot_id)
             .where(first.status.in_(ACTIVE_BOOKING_STATUSES),
                    second.status.in_(ACTIVE_BOOKING_STATUSES),
                    mine.start_utc < other.end_utc, other.start_utc < mine.end_utc,
                    *_open_in(mine, start, end), *_open_in(other, start, end)))
    if students is not None:
        query = query.where(first.student_key.in_(students))
    return query


def find_for(session: Session, *, actor: SisUser, start: datetime,
             end: datetime) -> list[ConflictItem]:
    """``find``, for staff, over at most ``MAX_RANGE``: those touching the calendars the
    actor manages (all for admins)."""
    access.require_staff(actor, "see and resolve conflicts")
    if end <= start:
        raise InvalidInput("the range must end after it starts", code="bad_range",
                           errors={"end": ["Must be after start."]})
    if end - start > MAX_RANGE:
        raise InvalidInput(f"a range may span at most {MAX_RANGE.days} days",
                           code="range_too_long")
    return find(session, start, end, hosts=access.managed_hosts(session, actor))


def resolve(session: Session, *, actor: SisUser, action: str, reason: str = "",
            slot_reason_required: bool = False, **given) -> list[Booking]:
    """Resolve a conflict one of the ``RESOLUTIONS`` ways (staff); returns bookings moved.
    ``slot_reason_required`` (the staff page): a slot is not cancelled without a word to its
    students."""
    access.require_staff(actor, "see and resolve conflicts")
    if action not in RESOLUTIONS:
        raise InvalidInput(f"action must be one of {', '.join(RESOLUTIONS)}", code="bad_action")
    given["reason"] = reason
    missing = [name for name in RESOLUTIONS[action] if not given.get(name)]
    if missing:
        raise InvalidInput(f"{action} needs {', '.join(missing)}", code="missing_fields",
                           errors={name: ["Missing data for required field."]
                                   for name in missing})
    if action == "cancel_slot":
        if slot_reason_required and not reason.strip():
            raise InvalidInput("say why the slot is cancelled: its students are told",
                               code="reason_required")
        slots.cancel(session, actor=actor, slot_id=given["slot_id"], reason=reason)
    elif action == "cancel_booking":
        booking.cancel(session, actor=actor, booking_id=given["booking_id"], reason=reason)
    elif action == "move":
        return move_bookings(session, actor=actor, from_slot_id=given["slot_id"],
                             to_slot_id=given["target_slot_id"])
    else:
        override(session, actor=actor, kind=given["kind"], subject=given["subject"],
                 reason=reason)
    return []


def _subject(ids) -> str:
    return ",".join(str(i) for i in ids)


def override(session: Session, *, actor: SisUser, kind: str, subject: str,
             reason: str) -> ConflictOverride:
    """Keep a conflict on purpose; it leaves the conflict list and the reason is audited."""
    access.require_staff(actor, "see and resolve conflicts")
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", code="bad_kind")
    if not (reason or "").strip():
        raise InvalidInput("keeping a conflict needs a reason", code="reason_required")
    _require_manages_subject(session, actor, kind, subject)

    def work() -> ConflictOverride:
        row = ConflictOverride(kind=kind, subject=subject, reason=reason.strip(),
                               actor_key=actor.key)
        tx.add_unique(session, row, "this conflict is already kept", "already_overridden")
        audit.record(session, actor_key=actor.key, action="conflict.overridden",
                     entity_type="conflict", entity_id=f"{kind}:{subject}", reason=row.reason)
        return row

    return tx.run(session, work)


def _require_manages_subject(session: Session, actor: SisUser, kind: str,
                             subject: str) -> None:
    """Staff keep only conflicts touching a calendar they manage."""
    ids = [int(i) for i in subject.split(",") if i.strip().isdigit()]
    if not ids:
        raise InvalidInput("subject names the slots or bookings of the conflict",
                           code="bad_subject")
    if kind.startswith("student_"):
        hosts = session.scalars(select(Slot.host_key).join(Booking, Booking.slot_id == Slot.id)
                                .where(Booking.id.in_(ids))).all()
    else:
        hosts = session.scalars(select(Slot.host_key).where(Slot.id.in_(ids))).all()
    if not any(access.can_manage_host(session, actor, h) for h in set(hosts)):
        raise Forbidden("you cannot manage these calendars")


def move_bookings(session: Session, *, actor: SisUser, from_slot_id: int, to_slot_id: int,
                  now: datetime | None = None) -> list[Booking]:
    """Move every active booking of a slot into another, all or nothing: refused with
    what blocks it when the target lacks room or a student cannot take it."""
    now = now or utcnow()

    def work() -> list[Booking]:
        source, target = slots.load_slot(session, from_slot_id), slots.load_slot(session,
                                                                                to_slot_id)
        access.require_manage_host(session, actor, source.host_key)
        access.require_manage_host(session, actor, target.host_key)
        seats.lock_slots(session, [source.id, target.id])
        session.refresh(source)
        session.refresh(target)
        moving = session.scalars(select(Booking).where(
            Booking.slot_id == source.id, Booking.status == "confirmed")).all()
        blockers = []
        room = target.remaining
        if target.status != "open":
            blockers.append({"reason": "target slot is not open"})
        if len(moving) > room:
            blockers.append({"reason": "not enough seats", "needed": len(moving), "free": room})
        seats.lock_people(session, *[b.student_key for b in moving])
        for held in moving:
            try:
                eligibility.check(session, target, held.student_key, now,
                                  ignore_booking=held.id, window=False)
            except SchedulingError as exc:
                blockers.append({"booking_id": held.id, "student_key": held.student_key,
                                 "reason": exc.message})
        if blockers:
            raise Conflict("the bookings cannot all move there", code="move_blocked",
                           blockers=blockers)
        for held in moving:
            before = booking.snapshot(held)
            seats.move_one(session, held, target)
            audit.record(session, actor_key=actor.key, action="booking.moved",
                         entity_type="booking", entity_id=held.id, before=before,
                         after=booking.snapshot(held))
            booking.announce(session, "booking_rescheduled", held, actor,
                             old_slot_id=source.id, new_slot_id=target.id)
            waitlist.settle_own(session, target, held, actor, now)
        session.flush()
        waitlist.promote(session, source, now)
        waitlist.reconsider(session, [b.student_key for b in moving], now)
        return moving

    return tx.run(session, work)


SUGGEST_WITHIN = timedelta(days=14)  # how far from a slot a free slot is suggested


def suggestions(session: Session, items: list[ConflictItem], *, limit: int = 3,
                now: datetime | None = None) -> dict[int, list[Slot]]:
    """For each slot of ``items``: up to ``limit`` open future slots of the same type and
    host with room for its bookings, nearest in time first (two statements)."""
    now = now or utcnow()
    ids = sorted({i for c in items for i in c.slot_ids})
    if not ids:
        return {}
    involved = session.scalars(select(Slot).where(Slot.id.in_(ids))).all()
    starts = [s.start_utc for s in involved]
    candidates = session.scalars(select(Slot).options(joinedload(Slot.type)).where(
        Slot.status == "open", Slot.start_utc > now,
        Slot.type_id.in_({s.type_id for s in involved}),
        Slot.start_utc >= min(starts) - SUGGEST_WITHIN,
        Slot.start_utc <= max(starts) + SUGGEST_WITHIN)).all()
    out = {}
    for slot in involved:
        fits = [c for c in candidates if c.id not in ids and c.type_id == slot.type_id
                and c.host_key == slot.host_key and c.remaining >= slot.booked
                and abs(c.start_utc - slot.start_utc) <= SUGGEST_WITHIN]
        out[slot.id] = sorted(fits, key=lambda c: abs(c.start_utc - slot.start_utc))[:limit]
    return out


def involved(session: Session, items: list[ConflictItem]
             ) -> tuple[dict[int, Slot], dict[int, Booking]]:
    """The slots and bookings ``items`` name, by id (two statements), and their people
    asked of the SIS at once."""
    slot_ids = {i for c in items for i in c.slot_ids}
    booking_ids = {i for c in items for i in c.booking_ids}
    found_slots = {s.id: s for s in session.scalars(select(Slot).options(
        joinedload(Slot.type)).where(Slot.id.in_(slot_ids)))} if slot_ids else {}
    found_bookings = {b.id: b for b in session.scalars(select(Booking).where(
        Booking.id.in_(booking_ids)))} if booking_ids else {}
    sis.users(session, {s.host_key for s in found_slots.values()}
              | {b.student_key for b in found_bookings.values()})
    return found_slots, found_bookings

"""Slots: one-off ranges (optionally split), capacity, time and place changes, cancelling.

A host's slots may not overlap, buffers included, and a location may not hold two slots
at once; both are checked with the host and the location locked, for every path.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, joinedload

from sis_appointments.contract import AppointmentEvent, SisUser
from sis_appointments.domain import slots as domain_slots
from sis_appointments.domain.errors import Conflict, InvalidInput
from sis_appointments.domain.timezones import format_local, zone
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
from sis_appointments.services.scheduling import booking, seats, waitlist

MAX_BUFFER = timedelta(days=1)  # the widest buffer looked for around a new slot


def snapshot(slot: Slot) -> dict:
    """A slot as the audit log and slot_changed events record it."""
    return {"start": slot.start_utc.isoformat(), "end": slot.end_utc.isoformat(),
            "host_key": slot.host_key, "location": slot.location, "capacity": slot.capacity,
            "status": slot.status}


def footprint(slot_type: AppointmentType, start: datetime, end: datetime):
    return domain_slots.footprint(start, end, timedelta(minutes=slot_type.buffer_before_minutes),
                                  timedelta(minutes=slot_type.buffer_after_minutes))


def clashes(session: Session, slot_type: AppointmentType, host_key: str,
            location: str | None, start: datetime, end: datetime,
            ignore: Iterable[int] = ()) -> list[dict]:
    """Open slots that a new slot [start, end) would collide with: the host's (buffers
    included) and the location's."""
    return clashes_many(session, slot_type, host_key, location,
                        [domain_slots.Interval(start, end)], ignore)[0]


def clashes_many(session: Session, slot_type: AppointmentType, host_key: str,
                 location: str | None, intervals: list[domain_slots.Interval],
                 ignore: Iterable[int] = ()) -> list[list[dict]]:
    """``clashes`` for each of several new slots, asked of the database once."""
    if not intervals:
        return []
    span = domain_slots.Interval(min(i.start for i in intervals),
                                 max(i.end for i in intervals))
    reach = footprint(slot_type, span.start, span.end)
    near = session.scalars(select(Slot).options(joinedload(Slot.type)).where(
        Slot.status == "open", Slot.id.not_in(list(ignore)),
        or_(Slot.host_key == host_key, and_(Slot.location == location, location is not None)),
        Slot.start_utc < reach.end + MAX_BUFFER, Slot.end_utc > reach.start - MAX_BUFFER,
    )).all()
    return [_clashes_with(near, slot_type, host_key, location, i.start, i.end)
            for i in intervals]


def _clashes_with(near: list[Slot], slot_type: AppointmentType, host_key: str,
                  location: str | None, start: datetime, end: datetime) -> list[dict]:
    mine = footprint(slot_type, start, end)
    found = []
    for other in near:
        if other.host_key == host_key and footprint(other.type, other.start_utc,
                                                    other.end_utc).overlaps(mine):
            found.append({"kind": "host_overlap", "slot_id": other.id,
                          "start": other.start_utc.isoformat()})
        elif location and other.location == location and \
                domain_slots.Interval(other.start_utc, other.end_utc).overlaps(
                    domain_slots.Interval(start, end)):
            found.append({"kind": "location_overlap", "slot_id": other.id,
                          "start": other.start_utc.isoformat()})
    return found


def load_type(session: Session, type_id: int) -> AppointmentType:
    return tx.get(session, AppointmentType, type_id, "appointment type")


def check_host(session: Session, slot_type: AppointmentType, host_key: str) -> None:
    """Refuse a host who is not one of the type's, named as the SIS names them."""
    if host_key not in {h.host_key for h in slot_type.hosts}:
        raise InvalidInput(f"{sis.user_name(session, host_key)} is not a host of "
                           f"{slot_type.name}", code="not_a_host")


def create_custom(session: Session, *, actor: SisUser, type_id: int, host_key: str,
                  start: datetime, end: datetime, split: bool = True,
                  location: str | None = None, capacity: int | None = None) -> list[Slot]:
    """One-off slots in [start, end): one slot, or split by the type's duration and
    buffers (see ``domain.slots.split`` for the rule)."""
    domain_slots.check_range(start, end)
    if capacity is not None and (not isinstance(capacity, int) or capacity < 1):
        raise InvalidInput("capacity must be a whole number of at least 1", code="bad_number")

    def work() -> list[Slot]:
        slot_type = load_type(session, type_id)
        access.require_manage_host(session, actor, host_key)
        check_host(session, slot_type, host_key)
        intervals = planned(slot_type, start, end, split)
        place = location or slot_type.location
        seats.lock_people(session, f"host:{host_key}", f"location:{place}")
        made = []
        found_all = clashes_many(session, slot_type, host_key, place, intervals)
        for interval, found in zip(intervals, found_all, strict=True):
            if found:
                when = format_local(interval.start, zone(slot_type.timezone))
                raise Conflict(f"the slot at {when} collides with {len(found)} other slot(s)",
                               code="slot_overlap", clashes=found)
            slot = Slot(type=slot_type, host_key=host_key, location=place,
                        start_utc=interval.start, end_utc=interval.end,
                        timezone=slot_type.timezone, capacity=capacity or slot_type.capacity)
            session.add(slot)
            session.flush()
            audit.record(session, actor_key=actor.key, action="slot.created",
                         entity_type="slot", entity_id=slot.id, after=snapshot(slot))
            events.announce(session, AppointmentEvent("slot_changed", "slot", slot.id,
                                                      actor.key, {"slot_id": slot.id,
                                                                  "created": True}))
            made.append(slot)
        return made

    return tx.run(session, work)


def planned(slot_type: AppointmentType, start: datetime, end: datetime,
            split: bool = True) -> list[domain_slots.Interval]:
    """The slots a one-off range [start, end) makes: one, or split by the type's duration
    and buffers."""
    if not split:
        return [domain_slots.Interval(start, end)]
    return domain_slots.split(start, end, timedelta(minutes=slot_type.duration_minutes),
                              timedelta(minutes=slot_type.buffer_before_minutes),
                              timedelta(minutes=slot_type.buffer_after_minutes))


def load_slot(session: Session, slot_id: int) -> Slot:
    return booking.load_slot(session, slot_id)


def change(session: Session, slot: Slot, *, actor: SisUser, start: datetime | None = None,
           end: datetime | None = None, location: str | None = None,
           capacity: int | None = None, action: str = "slot.changed") -> list[dict]:
    """Apply a change to one locked slot, inside the caller's transaction. Its bookings
    stay with it; returns the conflicts their students now have (to resolve)."""
    before = snapshot(slot)
    new_start, new_end = start or slot.start_utc, end or slot.end_utc
    if start or end:
        domain_slots.check_range(new_start, new_end)
    if capacity is not None:
        if not isinstance(capacity, int) or capacity < 1:
            raise InvalidInput("capacity must be a whole number of at least 1", code="bad_number")
        if capacity < slot.booked:
            raise Conflict(f"capacity {capacity} is below the {slot.booked} seats taken",
                           code="capacity_below_bookings", booked=slot.booked)
    place = location if location is not None else slot.location
    if (start or end or location is not None) and slot.status == "open":
        seats.lock_people(session, f"host:{slot.host_key}", f"location:{place}")
        found = clashes(session, slot.type, slot.host_key, place, new_start, new_end,
                        ignore=[slot.id])
        if found:
            raise Conflict("the change makes the slot collide with others",
                           code="slot_overlap", clashes=found)
    slot.start_utc, slot.end_utc, slot.location = new_start, new_end, place
    if capacity is not None:
        slot.capacity = capacity
    slot.version += 1
    session.flush()
    audit.record(session, actor_key=actor.key, action=action, entity_type="slot",
                 entity_id=slot.id, before=before, after=snapshot(slot))
    _audit_bookings_moved(session, slot, actor, before, snapshot(slot))
    events.announce(session, AppointmentEvent("slot_changed", "slot", slot.id, actor.key,
                                              {"slot_id": slot.id, "before": before,
                                               "after": snapshot(slot)}))
    if capacity is not None and not slot.is_full:
        waitlist.promote(session, slot, utcnow())
    return student_conflicts(session, [slot]) if (start or end) else []


MOVED_KEYS = ("start", "end", "location")


def _audit_bookings_moved(session: Session, slot: Slot, actor: SisUser, before: dict,
                          after: dict) -> None:
    """A new time or place of a slot is also a change of each booking in it: audited on the
    booking (``booking.slot_changed``), so the booking's own history shows it."""
    if all(before[k] == after[k] for k in MOVED_KEYS):
        return
    for held in session.scalars(select(Booking.id).where(
            Booking.slot_id == slot.id, Booking.status.in_(ACTIVE_BOOKING_STATUSES))).all():
        audit.record(session, actor_key=actor.key, action="booking.slot_changed",
                     entity_type="booking", entity_id=held,
                     before={k: before[k] for k in MOVED_KEYS},
                     after={"slot_id": slot.id, **{k: after[k] for k in MOVED_KEYS}})


def update(session: Session, *, actor: SisUser, slot_id: int, **changes) -> list[dict]:
    """Change one slot's time, place or capacity; returns conflicts its students now have."""

    def work() -> list[dict]:
        slot = load_slot(session, slot_id)
        access.require_manage_host(session, actor, slot.host_key)
        seats.lock_slots(session, [slot.id])
        session.refresh(slot)
        return change(session, slot, actor=actor, **changes)

    return tx.run(session, work)


def cancel(session: Session, *, actor: SisUser, slot_id: int, reason: str = "") -> Slot:
    """Cancel a slot: its bookings are cancelled (the students are told) and its waitlist
    closed, in one transaction."""

    def work() -> Slot:
        slot = load_slot(session, slot_id)
        access.require_manage_host(session, actor, slot.host_key)
        seats.lock_slots(session, [slot.id])
        session.refresh(slot)
        if slot.status == "cancelled":
            raise Conflict("the slot is already cancelled", code="slot_closed")
        before = snapshot(slot)
        now, why = utcnow(), reason or "slot cancelled"
        held_now = session.scalars(select(Booking).where(
            Booking.slot_id == slot.id, Booking.status.in_(ACTIVE_BOOKING_STATUSES))).all()
        for held in held_now:
            seats.cancel_one(session, held, status="cancelled", now=now, by=actor.key,
                             reason=why)
            audit.record(session, actor_key=actor.key, action="booking.cancelled",
                         entity_type="booking", entity_id=held.id, after={"status": "cancelled"},
                         reason=why)
            booking.announce(session, "booking_cancelled", held, actor, by_staff=True,
                             reason=why)
        waiting = session.scalars(select(WaitlistEntry).where(
            WaitlistEntry.slot_id == slot.id,
            WaitlistEntry.status.in_(OPEN_WAITLIST_STATUSES))).all()
        for entry in waiting:
            waitlist.close(session, entry, "removed", actor=actor, now=now, reason=why,
                           pass_on=False)
        session.refresh(slot)
        slot.status = "cancelled"
        session.flush()
        waitlist.reconsider(session, [b.student_key for b in held_now], now)
        audit.record(session, actor_key=actor.key, action="slot.cancelled", entity_type="slot",
                     entity_id=slot.id, before=before, after=snapshot(slot), reason=reason)
        events.announce(session, AppointmentEvent("slot_changed", "slot", slot.id, actor.key, {
            "slot_id": slot.id, "before": before, "after": snapshot(slot), "reason": why,
            "waiting": sorted({e.student_key for e in waiting})}))
        return slot

    return tx.run(session, work)


def reassign(session: Session, *, actor: SisUser, slot_id: int, host_key: str) -> Slot:
    """Give a slot (with its bookings and waitlist) to another host of its type, if their
    calendar is free then; the students are told of the change."""

    def work() -> Slot:
        slot = load_slot(session, slot_id)
        access.require_manage_host(session, actor, slot.host_key)
        access.require_manage_host(session, actor, host_key)
        check_host(session, slot.type, host_key)
        if slot.status != "open":
            raise Conflict("only an open slot can be given to another host", code="slot_closed")
        if host_key == slot.host_key:
            return slot
        seats.lock_people(session, f"host:{host_key}")
        seats.lock_slots(session, [slot.id])
        session.refresh(slot)
        found = [c for c in clashes(session, slot.type, host_key, None, slot.start_utc,
                                    slot.end_utc, ignore=[slot.id])
                 if c["kind"] == "host_overlap"]
        if found:
            raise Conflict(f"{host_key}'s calendar is not free then", code="slot_overlap",
                           clashes=found)
        before = snapshot(slot)
        slot.host_key = host_key
        slot.version += 1
        session.flush()
        audit.record(session, actor_key=actor.key, action="slot.reassigned", entity_type="slot",
                     entity_id=slot.id, before=before, after=snapshot(slot))
        events.announce(session, AppointmentEvent("slot_changed", "slot", slot.id, actor.key,
                                                  {"slot_id": slot.id, "before": before,
                                                   "after": snapshot(slot)}))
        return slot

    return tx.run(session, work)


def student_conflicts(session: Session, changed: list[Slot]) -> list[dict]:
    """Students booked in ``changed`` slots who now overlap another booking or are busy."""
    from sis_appointments.services.platform import sis

    found = []
    for slot in changed:
        for held in session.scalars(select(Booking).where(
                Booking.slot_id == slot.id, Booking.status.in_(ACTIVE_BOOKING_STATUSES))):
            others = session.scalars(select(Booking.id).join(Booking.slot).where(
                Booking.student_key == held.student_key, Booking.id != held.id,
                Booking.status.in_(ACTIVE_BOOKING_STATUSES),
                Slot.start_utc < slot.end_utc, Slot.end_utc > slot.start_utc)).all()
            found += [{"kind": "student_overlap", "booking_ids": sorted([held.id, other]),
                       "student_key": held.student_key} for other in others]
            for busy in sis.busy_times(session, held.student_key, slot.start_utc, slot.end_utc):
                found.append({"kind": "student_busy", "booking_ids": [held.id],
                              "student_key": held.student_key, "label": busy.label})
    return found



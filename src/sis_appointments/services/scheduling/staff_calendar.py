"""The staff calendar: the slots of the calendars a person manages (their own; others' with a
grant; all for admins), and what adding availability would make, before it is saved (one-off
ranges and series), with the slots it would clash with and the occurrences whose UTC time
moves across a DST change. Nothing here writes: saving goes through ``slots.create_custom``
and ``series.create``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from sis_appointments.contract import SisUser
from sis_appointments.domain import slots as domain_slots
from sis_appointments.domain.errors import Forbidden, InvalidInput
from sis_appointments.domain.recurrence import Recurrence
from sis_appointments.models import (
    ACTIVE_BOOKING_STATUSES,
    Booking,
    Slot,
    TypeHost,
    WaitlistEntry,
)
from sis_appointments.models.scheduling import OPEN_WAITLIST_STATUSES
from sis_appointments.services.accounts import access
from sis_appointments.services.scheduling import queries, series, slots

EVENT_LIMIT = 2000  # slots in one answer of the feed at most (a month of a busy office)
PREVIEW_COUNT = 60  # occurrences of a series listed before it is saved


def shown_hosts(session: Session, actor: SisUser, host_key: str | None = None
                ) -> list[str] | None:
    """The hosts whose slots ``actor`` sees: ``host_key`` if they manage it, else every
    calendar they manage (None: all)."""
    managed = access.managed_hosts(session, actor)
    if host_key:
        if managed is not None and host_key not in managed:
            raise Forbidden("you cannot see this calendar")
        return [host_key]
    if managed == []:
        raise Forbidden("only staff have calendars")
    return managed


def calendars(session: Session, actor: SisUser) -> list[str]:
    """The calendars ``actor`` manages, their own first; for admins everyone who hosts a
    type."""
    managed = access.managed_hosts(session, actor)
    if managed is None:
        managed = sorted(set(session.scalars(select(TypeHost.host_key))))
    return list(dict.fromkeys(([actor.key] if actor.key in managed else []) + managed))


def move(session: Session, actor: SisUser, slot_id: int, start: datetime, end: datetime, *,
         scope: str = "this") -> list[dict]:
    """Move a slot to [start, end). A slot of a series moves through the series (its
    wall-clock time in the series' zone, for ``scope``: this one, the following ones or all,
    see ``series.edit``); any other slot on its own. Returns the conflicts left for students."""
    slot = slots.load_slot(session, slot_id)
    if slot.series_id is None:
        return slots.update(session, actor=actor, slot_id=slot_id, start=start, end=end)
    local = start.astimezone(ZoneInfo(slot.timezone)).replace(tzinfo=None)
    return series.edit(session, actor=actor, slot_id=slot_id, scope=scope,
                       new_local_start=local,
                       duration_minutes=int((end - start).total_seconds() // 60))


def events(session: Session, actor: SisUser, start: datetime, end: datetime, *,
           host_key: str | None = None, type_id: int | None = None
           ) -> list[tuple[Slot, int]]:
    """Open slots starting in [start, end) on the calendars shown, each with its waitlist's
    length (two statements: the grants, the slots)."""
    domain_slots.check_range(start, end)
    if end - start > timedelta(days=62):
        raise InvalidInput("ask for at most two months at a time", code="range_too_long")
    hosts = shown_hosts(session, actor, host_key)
    return queries.slot_range(session, start, end, type_id=type_id, host_keys=hosts,
                              open_only=True, limit=EVENT_LIMIT)


@dataclass(frozen=True)
class SlotDetails:
    """One slot as its panel shows it: bookings (active first) and the waitlist in order."""

    slot: Slot
    bookings: list[Booking]
    waiting: list[WaitlistEntry]


def details(session: Session, actor: SisUser, slot_id: int) -> SlotDetails:
    """A slot of a calendar ``actor`` manages (else NotFound/Forbidden), with its people."""
    slot = slots.load_slot(session, slot_id)
    access.require_manage_host(session, actor, slot.host_key)
    bookings = list(session.scalars(select(Booking).where(Booking.slot_id == slot.id)
                                    .order_by(Booking.created_at, Booking.id)))
    bookings.sort(key=lambda b: b.status not in ACTIVE_BOOKING_STATUSES)
    waiting = list(session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.slot_id == slot.id, WaitlistEntry.status.in_(OPEN_WAITLIST_STATUSES))
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)))
    return SlotDetails(slot, bookings, waiting)


@dataclass(frozen=True)
class Planned:
    """A slot that adding availability would make: when, what it would collide with, and
    (for a series) whether its UTC time differs from the first one's by a DST change."""

    start: datetime
    end: datetime
    clashes: list[dict] = field(default_factory=list)
    dst_shift: bool = False


@dataclass(frozen=True)
class Plan:
    slots: list[Planned]
    more: bool = False  # a series goes on beyond the ones listed

    @property
    def clashing(self) -> list[Planned]:
        return [p for p in self.slots if p.clashes]

    @property
    def shifted(self) -> list[Planned]:
        return [p for p in self.slots if p.dst_shift]


def _checked(session: Session, actor: SisUser, type_id: int, host_key: str):
    slot_type = slots.load_type(session, type_id)
    access.require_manage_host(session, actor, host_key)
    slots.check_host(session, slot_type, host_key)
    return slot_type


def plan_range(session: Session, actor: SisUser, *, type_id: int, host_key: str,
               start: datetime, end: datetime, split: bool = True,
               location: str | None = None) -> Plan:
    """What ``slots.create_custom`` would make of [start, end), and what each collides with."""
    domain_slots.check_range(start, end)
    slot_type = _checked(session, actor, type_id, host_key)
    intervals = slots.planned(slot_type, start, end, split)
    if not intervals:
        raise InvalidInput("the range is shorter than one slot with its buffers",
                           code="range_too_short")
    found = slots.clashes_many(session, slot_type, host_key, location or slot_type.location,
                               intervals)
    return Plan([Planned(i.start, i.end, c) for i, c in zip(intervals, found, strict=True)])


def plan_series(session: Session, actor: SisUser, *, type_id: int, host_key: str,
                start_local: datetime, rrule: str, timezone: str,
                location: str | None = None) -> Plan:
    """The first occurrences ``series.create`` would make (at most PREVIEW_COUNT), with
    their clashes and DST shifts."""
    slot_type = _checked(session, actor, type_id, host_key)
    rule = Recurrence(start_local, timezone, rrule.strip().removeprefix("RRULE:"),
                      timedelta(minutes=slot_type.duration_minutes), frozenset())
    rule.check_not_empty()
    occurrences = rule.first(PREVIEW_COUNT + 1)
    more = len(occurrences) > PREVIEW_COUNT
    occurrences = occurrences[:PREVIEW_COUNT]
    intervals = [domain_slots.Interval(o.start, o.end) for o in occurrences]
    found = slots.clashes_many(session, slot_type, host_key, location or slot_type.location,
                               intervals)

    def offset(o):  # the zone's UTC offset at the occurrence
        return o.local_start - o.start.replace(tzinfo=None)

    first = offset(occurrences[0])
    return Plan([Planned(o.start, o.end, c, offset(o) != first or o.dst_adjusted)
                 for o, c in zip(occurrences, found, strict=True)], more)


"""Recurring series: create, materialise as slots up to the horizon, and edit them the way
calendar programs do (this occurrence, this and following, all).

An edit never drops a booking: moved slots keep their bookings, and students who now
overlap or are busy come back as conflicts to resolve. Occurrences that would collide
with another slot of the host when the horizon is extended are skipped and audited.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sis_appointments.contract import AppointmentEvent, SisUser
from sis_appointments.domain.errors import Conflict, InvalidInput
from sis_appointments.domain.recurrence import Recurrence
from sis_appointments.domain.timezones import to_utc, zone
from sis_appointments.models import Series, Slot, utcnow
from sis_appointments.services.accounts import access
from sis_appointments.services.platform import audit, events, settings, tx
from sis_appointments.services.scheduling import seats, slots

SCOPES = ("this", "following", "all")


def recurrence(series: Series, type_duration: int) -> Recurrence:
    return Recurrence(series.start_local, series.timezone, series.rrule,
                      timedelta(minutes=series.duration_minutes or type_duration),
                      frozenset(datetime.fromisoformat(d) for d in series.exdates or ()))


def _parse_exdates(exdates) -> list[str]:
    try:
        return sorted({datetime.fromisoformat(str(d)).replace(tzinfo=None).isoformat()
                       for d in exdates or ()})
    except ValueError as exc:
        raise InvalidInput(f"exception dates must be local date-times: {exc}",
                           code="bad_exdate") from exc


def create(session: Session, *, actor: SisUser, type_id: int, host_key: str,
           start_local: datetime, rrule: str, timezone: str | None = None, exdates=(),
           location: str | None = None, capacity: int | None = None,
           now: datetime | None = None) -> Series:
    """Create a series and its slots up to the horizon; refused whole if any collides."""
    now = now or utcnow()

    def work() -> Series:
        slot_type = slots.load_type(session, type_id)
        access.require_manage_host(session, actor, host_key)
        slots.check_host(session, slot_type, host_key)
        series = Series(type_id=type_id, host_key=host_key,
                        timezone=timezone or slot_type.timezone, start_local=start_local,
                        rrule=rrule.strip().removeprefix("RRULE:"),
                        exdates=_parse_exdates(exdates), location=location or slot_type.location,
                        capacity=capacity)
        rule = recurrence(series, slot_type.duration_minutes)
        rule.check_not_empty()
        rule.check_spacing(timedelta(minutes=slot_type.buffer_before_minutes),
                           timedelta(minutes=slot_type.buffer_after_minutes))
        session.add(series)
        session.flush()
        audit.record(session, actor_key=actor.key, action="series.created",
                     entity_type="series", entity_id=series.id,
                     after={"rrule": series.rrule, "start_local": start_local.isoformat(),
                            "timezone": series.timezone})
        materialise(session, series, now, strict=True)
        events.announce(session, AppointmentEvent("slot_changed", "series", series.id,
                                                  actor.key, {"series_id": series.id,
                                                              "created": True}))
        return series

    return tx.run(session, work)


def materialise(session: Session, series: Series, now: datetime, *, strict: bool = False
                ) -> list[datetime]:
    """Create the series' missing slots up to now + horizon (in the caller's transaction).
    Returns the local starts skipped because they collide (``strict`` refuses instead)."""
    slot_type = slots.load_type(session, series.type_id)
    horizon = now + timedelta(days=settings.get(session, "horizon_days"))
    start = series.materialised_until or datetime.min.replace(tzinfo=now.tzinfo)
    rule = recurrence(series, slot_type.duration_minutes)
    existing = set(session.scalars(select(Slot.occurrence_local).where(
        Slot.series_id == series.id)))
    seats.lock_people(session, f"host:{series.host_key}", f"location:{series.location}")
    skipped = []
    for occurrence in rule.between(max(start, now - timedelta(days=1)), horizon):
        if occurrence.local_start in existing or occurrence.start <= now:
            continue
        found = slots.clashes(session, slot_type, series.host_key, series.location,
                              occurrence.start, occurrence.end)
        if found and strict:
            raise Conflict(f"the occurrence on {occurrence.local_start:%Y-%m-%d %H:%M} "
                           f"({series.timezone}) collides with {len(found)} other slot(s)",
                           code="slot_overlap", clashes=found)
        if found:
            skipped.append(occurrence.local_start)
            audit.record(session, actor_key=None, action="series.occurrence_skipped",
                         entity_type="series", entity_id=series.id,
                         after={"local_start": occurrence.local_start.isoformat(),
                                "clashes": found})
            continue
        session.add(Slot(type_id=slot_type.id, series_id=series.id, host_key=series.host_key,
                         occurrence_local=occurrence.local_start, location=series.location,
                         start_utc=occurrence.start, end_utc=occurrence.end,
                         timezone=series.timezone,
                         capacity=series.capacity or slot_type.capacity))
        session.flush()
    series.materialised_until = horizon
    return skipped


def extend_all(session: Session, now: datetime | None = None) -> int:
    """The horizon job: materialise every active series up to the horizon."""
    now = now or utcnow()

    def work() -> int:
        count_before = session.scalar(select(func.count()).select_from(Slot))
        for series in session.scalars(select(Series).where(Series.active.is_(True))):
            materialise(session, series, now)
        return session.scalar(select(func.count()).select_from(Slot)) - count_before

    return tx.run(session, work)


_COUNT_OR_UNTIL = re.compile(r";?(COUNT|UNTIL)=[^;]*", re.IGNORECASE)


def edit(session: Session, *, actor: SisUser, slot_id: int, scope: str,
         new_local_start: datetime | None = None, duration_minutes: int | None = None,
         location: str | None = None, capacity: int | None = None,
         now: datetime | None = None) -> list[dict]:
    """Edit an occurrence of a series: only it ('this'), it and later ones ('following',
    which splits the series), or every future one ('all'). A new wall-clock start moves
    each affected occurrence by the same local shift, so DST is respected. Returns the
    conflicts the edit leaves for students."""
    if scope not in SCOPES:
        raise InvalidInput(f"scope must be one of {', '.join(SCOPES)}", code="bad_scope")
    if duration_minutes is not None and (not isinstance(duration_minutes, int)
                                         or duration_minutes < 1):
        raise InvalidInput("the duration must be a whole number of minutes", code="bad_number")
    if new_local_start is not None and new_local_start.tzinfo is not None:
        raise InvalidInput("the new start is a wall-clock time, without a UTC offset")
    now = now or utcnow()

    def work() -> list[dict]:
        anchor = slots.load_slot(session, slot_id)
        access.require_manage_host(session, actor, anchor.host_key)
        if anchor.series_id is None:
            raise InvalidInput("this slot is not part of a series", code="not_in_series")
        if scope != "this" and new_local_start is not None and \
                new_local_start.date() != anchor.occurrence_local.date():
            raise InvalidInput("a series keeps its days: to move it to other days, end it and "
                               "create a new one", code="series_day_change")
        series = session.get(Series, anchor.series_id)
        access.require_manage_host(session, actor, series.host_key)
        shift = (new_local_start - anchor.occurrence_local) if new_local_start else timedelta(0)
        affected = _affected(session, series, anchor, scope, now)
        seats.lock_slots(session, [s.id for s in affected])
        if scope == "following":
            series = _split(session, series, anchor, actor)
        if scope != "this":
            _retime_series(series, shift, duration_minutes, location, capacity)
        tz = zone(series.timezone)
        conflicts = []
        for slot in affected:
            session.refresh(slot)
            local = slot.occurrence_local + shift
            start = to_utc(local, tz) if shift else None
            minutes = duration_minutes or int((slot.end_utc - slot.start_utc).total_seconds() // 60)
            end = (start or slot.start_utc) + timedelta(minutes=minutes)
            conflicts += slots.change(session, slot, actor=actor, start=start, end=end,
                                      location=location, capacity=capacity,
                                      action=f"series.edit.{scope}")
            slot.occurrence_local = local if scope != "this" else slot.occurrence_local
            slot.series_id = series.id
        return conflicts

    return tx.run(session, work)


def _affected(session: Session, series: Series, anchor: Slot, scope: str, now: datetime):
    if scope == "this":
        return [anchor]
    query = select(Slot).where(Slot.series_id == series.id, Slot.status == "open",
                               Slot.start_utc > now)
    if scope == "following":
        query = query.where(Slot.occurrence_local >= anchor.occurrence_local)
    return list(session.scalars(query.order_by(Slot.start_utc)))


def _split(session: Session, series: Series, anchor: Slot, actor: SisUser) -> Series:
    """End ``series`` before ``anchor`` and continue it as a new series from there. The
    head's UNTIL is the instant a second before the anchor's, in UTC (RFC 5545 wants UTC
    beside a zoned DTSTART, so calendar programs end it where the service does)."""
    rule = recurrence(series, 1)
    if anchor.occurrence_local <= rule.first_start():
        return series
    earlier = sum(1 for s in rule.local_starts(exdates=False) if s < anchor.occurrence_local) \
        if "COUNT=" in series.rrule.upper() else None
    base = _COUNT_OR_UNTIL.sub("", series.rrule).strip(";")
    tail_rule = base
    if earlier is not None:
        total = int(re.search(r"COUNT=(\d+)", series.rrule, re.IGNORECASE).group(1))
        tail_rule = f"{base};COUNT={total - earlier}"
    elif "UNTIL=" in series.rrule.upper():
        tail_rule = series.rrule
    until = (to_utc(anchor.occurrence_local, zone(series.timezone)) - timedelta(seconds=1))
    until = until.strftime("%Y%m%dT%H%M%SZ")
    tail = Series(type_id=series.type_id, host_key=series.host_key, timezone=series.timezone,
                  start_local=anchor.occurrence_local, rrule=tail_rule,
                  exdates=[d for d in series.exdates if d >= anchor.occurrence_local.isoformat()],
                  location=series.location, capacity=series.capacity,
                  materialised_until=series.materialised_until)
    series.rrule = f"{base};UNTIL={until}"
    series.version += 1
    session.add(tail)
    session.flush()
    audit.record(session, actor_key=actor.key, action="series.split", entity_type="series",
                 entity_id=series.id, after={"continued_as": tail.id, "rrule": series.rrule})
    return tail


def _retime_series(series: Series, shift: timedelta, duration, location, capacity) -> None:
    series.start_local = series.start_local + shift
    if duration is not None:
        series.duration_minutes = duration
    if location is not None:
        series.location = location
    if capacity is not None:
        series.capacity = capacity
    series.version += 1


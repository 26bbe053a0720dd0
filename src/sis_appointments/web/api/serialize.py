"""Plain dicts for API responses, times in the zone the caller asked for."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import object_session

from sis_appointments.domain.timezones import zone
from sis_appointments.models import Booking, Slot, WaitlistEntry
from sis_appointments.services.scheduling import queries
from sis_appointments.services.scheduling.history import Change, SlotTime


def slot_json(slot: Slot, tz: ZoneInfo | None = None, waitlist_length: int = 0) -> dict:
    tz = tz or zone(slot.timezone)
    return {"id": slot.id, "type_id": slot.type_id, "series_id": slot.series_id,
            "host": slot.host_key, "location": slot.location,
            "start": slot.start_utc.astimezone(tz), "end": slot.end_utc.astimezone(tz),
            "timezone": tz.key, "capacity": slot.capacity, "booked": slot.booked,
            "remaining": slot.remaining,
            "waitlist_length": waitlist_length, "status": slot.status, "version": slot.version}


def slot_wire(item: dict) -> dict:
    """A ``slot_json`` ready for JSON as ``SlotOut`` dumps it (times in ISO 8601), for
    answers serialised once and kept (the slot range cache)."""
    return {**item, "start": item["start"].isoformat(), "end": item["end"].isoformat()}


def booking_json(booking: Booking, tz: ZoneInfo | None = None,
                 waiting: dict[int, int] | None = None) -> dict:
    """A booking with its slot, whose ``waitlist_length`` is taken from ``waiting`` (slot id:
    open waiting places; ``bookings_json`` counts them for a list) or counted here."""
    if waiting is None:
        waiting = queries.waitlist_lengths(object_session(booking), [booking.slot_id])
    return {"id": booking.id, "slot_id": booking.slot_id, "student": booking.student_key,
            "status": booking.status, "reason": booking.reason, "booked_by": booking.booked_by,
            "cancel_reason": booking.cancel_reason, "created_at": booking.created_at,
            "version": booking.version,
            "slot": slot_json(booking.slot, tz, waiting.get(booking.slot_id, 0))}


def bookings_json(bookings: list[Booking], tz: ZoneInfo | None = None) -> list[dict]:
    """``booking_json`` of each, their slots' waiting places counted in one statement."""
    if not bookings:
        return []
    waiting = queries.waitlist_lengths(object_session(bookings[0]),
                                       sorted({b.slot_id for b in bookings}))
    return [booking_json(b, tz, waiting) for b in bookings]


def waitlist_json(entry: WaitlistEntry, position: int | None) -> dict:
    """A waitlist place (``WaitlistOut``) with its place in line; raw values, dumped once by
    the route's schema."""
    return {"id": entry.id, "slot_id": entry.slot_id, "student_key": entry.student_key,
            "status": entry.status, "position": position,
            "offer_expires_at": entry.offer_expires_at}


def _slot_time(place: SlotTime | None, tz: ZoneInfo) -> dict | None:
    if place is None:
        return None
    return {"slot_id": place.slot_id, "start": place.start.astimezone(tz),
            "end": place.end.astimezone(tz), "timezone": tz.key, "location": place.location}


def change_json(change: Change, tz: ZoneInfo) -> dict:
    """One history entry (``ChangeOut``), times in ``tz``."""
    return {"at": change.at.astimezone(tz), "kind": change.kind, "summary": change.summary,
            "by": change.by, "by_you": change.by_you, "status": change.status,
            "late": change.late, "reason": change.reason,
            "moved_from": _slot_time(change.moved_from, tz),
            "moved_to": _slot_time(change.moved_to, tz),
            "offer_expires_at": change.offer_expires_at and change.offer_expires_at.astimezone(tz),
            "actor_key": change.actor_key, "action": change.action}

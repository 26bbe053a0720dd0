"""What a committed event means for open pages: the socket messages and the rooms they go to.

Rooms: ``type:<id>`` (anyone looking at a type), ``host:<key>`` (whoever manages that
calendar) and ``user:<key>`` (one person's own bookings and waitlist places). Messages are
small hints (``slot.availability``, ``slot.changed``, ``booking.created|cancelled|rescheduled``,
``waitlist.promoted``, ``waitlist.offered``, ``waitlist.position``); pages refetch what they
show after a reconnect. The web layer only sends what ``messages`` returns.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sis_appointments.contract import AppointmentEvent
from sis_appointments.models import Slot, WaitlistEntry
from sis_appointments.models.scheduling import OPEN_WAITLIST_STATUSES
from sis_appointments.services.platform import events

NAMES = {"booking_created": "booking.created", "booking_cancelled": "booking.cancelled",
         "booking_rescheduled": "booking.rescheduled", "waitlist_promoted": "waitlist.promoted",
         "waitlist_offered": "waitlist.offered"}
BOOKING_KEYS = ("slot_id", "booking_id", "old_slot_id", "new_slot_id", "offer_expires_at")


@dataclass(frozen=True)
class Message:
    event: str
    payload: dict
    room: str


def messages(session: Session, event: AppointmentEvent) -> list[Message]:
    """The socket messages ``event`` causes, read from the committed state (each slot and
    its waitlist read once per commit, however many of its events it announces)."""
    slot_id = event.data.get("slot_id")
    slot = _slot(session, slot_id) if slot_id else None
    if slot is None:
        return []
    out = []
    name = NAMES.get(event.name)
    if name:
        payload = {"id": event.entity_id,
                   **{k: v for k, v in event.data.items() if k in BOOKING_KEYS}}
        student = event.data.get("student_key")
        for room in [f"host:{slot.host_key}"] + ([f"user:{student}"] if student else []):
            out.append(Message(name, payload, room))
    touched = {slot.id: slot}
    for other in (event.data.get("old_slot_id"), event.data.get("new_slot_id")):
        if other and other not in touched:
            touched[other] = _slot(session, other)
    rooms = {f"type:{slot.type_id}", f"host:{slot.host_key}"}
    if event.name == "slot_changed":  # its time, place or status: pages showing it refetch
        out += [Message("slot.changed", {"slot_id": slot.id}, room) for room in sorted(rooms)]
    for changed in touched.values():
        if changed is not None:
            line = _line(session, changed)
            out += _availability(changed, line, rooms) + _positions(changed, line)
    return out


def _read(session: Session, key: tuple, read):
    kept = session.memo.setdefault(events.AFTER_COMMIT, {})
    if key not in kept:
        kept[key] = read()
    return kept[key]


def _slot(session: Session, slot_id: int) -> Slot | None:
    return _read(session, ("slot", slot_id), lambda: session.get(Slot, slot_id))


def _line(session: Session, slot: Slot) -> list[WaitlistEntry]:
    return _read(session, ("line", slot.id), lambda: list(session.scalars(
        select(WaitlistEntry).where(WaitlistEntry.slot_id == slot.id,
                                    WaitlistEntry.status.in_(OPEN_WAITLIST_STATUSES))
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id))))


def _availability(slot: Slot, line: list[WaitlistEntry], rooms: set[str]) -> list[Message]:
    payload = {"slot_id": slot.id, "remaining": slot.remaining, "capacity": slot.capacity,
               "waitlist_length": len(line), "status": slot.status}
    return [Message("slot.availability", payload, room)
            for room in sorted({f"type:{slot.type_id}", f"host:{slot.host_key}", *rooms})]


def _positions(slot: Slot, line: list[WaitlistEntry]) -> list[Message]:
    return [Message("waitlist.position", {"slot_id": slot.id, "entry_id": entry.id,
                                          "position": place}, f"user:{entry.student_key}")
            for place, entry in enumerate(line, start=1)]

"""What happened to one booking, in plain terms, read from the audit log.

A booking's history is the audit rows written against it (booked, rescheduled or moved,
its slot's time or place changed, cancelled, attendance marked, merged) and against the
waitlist place that became it (joined, offered, promoted). Students see their own bookings'
history only, with staff named by their office ("Dr Lee's office") and without staff notes
(override reasons), other people's keys, or the system's internal reasons; staff who may
see the booking see everything, keys included. Reading it costs a fixed number of
statements: the booking (and its slot), one for the rows, one for the slots they name (slot
times are those the slots have now; a later change of a slot's time is its own row), one
user look-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, and_, cast, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from sis_appointments.contract import SisUser
from sis_appointments.models import AuditEntry, Slot, WaitlistEntry
from sis_appointments.services.accounts import access
from sis_appointments.services.platform import sis

ATTENDANCE_WORDS = {"attended": "Marked attended", "no_show": "Marked as a no-show",
                    "excused": "Marked excused", "confirmed": "Attendance mark removed"}


@dataclass(frozen=True)
class SlotTime:
    """Where and when a booking was (or is): the slot's times in UTC and its zone."""

    slot_id: int | None
    start: datetime
    end: datetime
    timezone: str
    location: str | None


@dataclass(frozen=True)
class Change:
    """One thing that happened to a booking, as the viewer may see it.

    ``kind``: waitlist_joined, offered, promoted, booked, moved, place_changed, cancelled,
    attendance or merged (staff also see any other audited action as ``other``). ``by``
    names who did it for the viewer ("you", "Dr Lee's office", "the system").
    ``moved_from``/``moved_to``: the slot before and after a move (``moved_to`` alone: the
    slot booked). ``actor_key`` and ``action`` are filled for staff only.
    """

    at: datetime
    kind: str
    summary: str
    by: str
    by_you: bool
    status: str | None = None
    late: bool | None = None
    reason: str | None = None
    moved_from: SlotTime | None = None
    moved_to: SlotTime | None = None
    offer_expires_at: datetime | None = None
    actor_key: str | None = None
    action: str | None = None


def booking_history(session: Session, actor: SisUser, booking_id: int) -> list[Change]:
    """The history of booking ``booking_id``, oldest first, for ``actor``: its student or
    staff who may see it (anyone else: NotFound)."""
    found = access.visible_booking(session, actor, booking_id)
    rows = _rows(session, found.id)
    staff = actor.key != found.student_key
    slots = _slots(session, rows)
    people = sis.users(session, sorted({r.actor_key for r in rows if r.actor_key}
                                       - {actor.key}))
    changes = []
    for row in rows:
        change = _change(row, actor, staff, slots, people)
        if change is not None:
            changes.append(change)
    return changes


def _rows(session: Session, booking_id: int) -> list[AuditEntry]:
    """The booking's own audit rows and those of the waitlist place it came from, in order."""
    places = select(cast(WaitlistEntry.id, String)).where(WaitlistEntry.booking_id == booking_id)
    return list(session.scalars(select(AuditEntry).where(or_(
        and_(AuditEntry.entity_type == "booking", AuditEntry.entity_id == str(booking_id)),
        and_(AuditEntry.entity_type == "waitlist_entry", AuditEntry.entity_id.in_(places)),
    )).order_by(AuditEntry.id)))


def _slot_ids(row: AuditEntry) -> list[int]:
    return [side["slot_id"] for side in (row.before, row.after)
            if isinstance(side, dict) and isinstance(side.get("slot_id"), int)]


def _slots(session: Session, rows: list[AuditEntry]) -> dict[int, SlotTime]:
    """The slots the rows name, in one statement (none for those already loaded)."""
    wanted = {i for row in rows for i in _slot_ids(row)}
    loaded = {i: session.identity_map.get(identity_key(Slot, i)) for i in wanted}
    times = {i: SlotTime(i, s.start_utc, s.end_utc, s.timezone, s.location)
             for i, s in loaded.items() if s is not None}
    missing = wanted - set(times)
    if missing:
        for row in session.execute(select(Slot.id, Slot.start_utc, Slot.end_utc, Slot.timezone,
                                          Slot.location).where(Slot.id.in_(missing))):
            times[row.id] = SlotTime(*row)
    return times


def _by(row: AuditEntry, actor: SisUser, staff: bool, people: dict) -> str:
    """Who did it, as the viewer may read it."""
    if row.actor_key is None:
        return "the system"
    if row.actor_key == actor.key:
        return "you"
    user = people.get(row.actor_key)
    if staff:
        return user.name if user else row.actor_key
    if user is not None and user.has_role("staff", "admin"):
        return f"{user.name}'s office"
    return "staff" if user is None else "another account"


def _recorded_time(side: dict, slot_id, zone: str) -> SlotTime | None:
    """A slot's time and place as a ``booking.slot_changed`` row recorded it."""
    if "start" not in side:
        return None
    return SlotTime(slot_id, datetime.fromisoformat(side["start"]),
                    datetime.fromisoformat(side["end"]), zone, side.get("location"))


@dataclass(frozen=True)
class _Row:
    """One audit row being worded: its sides, who did it (as the viewer reads it), slots."""

    entry: AuditEntry
    before: dict
    after: dict
    by: str
    staff: bool
    slots: dict[int, SlotTime]

    def slot(self, side: dict) -> SlotTime | None:
        return self.slots.get(side.get("slot_id"))


def _joined(row: _Row) -> tuple[str, str, dict]:
    summary = "Joined the waitlist" if row.by == "you" else f"Put on the waitlist by {row.by}"
    return "waitlist_joined", summary, {"moved_to": row.slot(row.after)}


def _offered(row: _Row) -> tuple[str, str, dict]:
    expires = row.after.get("expires")
    return "offered", "A seat was held from the waitlist", {
        "offer_expires_at": datetime.fromisoformat(expires) if expires else None}


def _promoted(row: _Row) -> tuple[str, str, dict]:
    summary = ("Given a seat from the waitlist" if row.entry.actor_key is None
               else f"Offered seat accepted by {row.by}")
    return "promoted", summary, {"moved_to": row.slot(row.after)}


def _booked(row: _Row) -> tuple[str, str, dict]:
    return "booked", f"Booked by {row.by}", {"moved_to": row.slot(row.after)}


def _moved(row: _Row) -> tuple[str, str, dict]:
    return "moved", f"Moved by {row.by}", {"moved_from": row.slot(row.before),
                                            "moved_to": row.slot(row.after)}


def _slot_changed(row: _Row) -> tuple[str, str, dict]:
    before, after = row.before, row.after
    slot_id = after.get("slot_id")
    zone = row.slots[slot_id].timezone if slot_id in row.slots else "UTC"
    timed = (before.get("start"), before.get("end")) != (after.get("start"), after.get("end"))
    return ("moved" if timed else "place_changed",
            f"{'Moved' if timed else 'Place changed'} by {row.by}",
            {"moved_from": _recorded_time(before, slot_id, zone),
             "moved_to": _recorded_time(after, slot_id, zone)})


def _cancelled(row: _Row) -> tuple[str, str, dict]:
    late = row.entry.action == "booking.late_cancelled"
    fields: dict = {"late": late}
    if row.staff or row.entry.actor_key is not None:  # the system's reasons name records
        fields["reason"] = row.entry.reason or None
    return ("cancelled", f"Cancelled by {row.by}" + (" (late cancellation)" if late else ""),
            fields)


def _attendance(row: _Row) -> tuple[str, str, dict]:
    status = row.entry.action.removeprefix("booking.attendance.")
    return ("attendance", f"{ATTENDANCE_WORDS.get(status, 'Attendance marked')} by {row.by}",
            {"status": status})


def _merged(row: _Row) -> tuple[str, str, dict]:
    return "merged", "Moved to the merged student record", {}


WORDING = {
    "waitlist.joined": _joined, "waitlist.offered": _offered, "waitlist.promoted": _promoted,
    "booking.created": _booked, "booking.rescheduled": _moved, "booking.moved": _moved,
    "booking.slot_changed": _slot_changed, "booking.cancelled": _cancelled,
    "booking.late_cancelled": _cancelled, "booking.merged": _merged,
    "waitlist.merged": _merged,
    **{f"booking.attendance.{status}": _attendance for status in ATTENDANCE_WORDS},
}


def _change(entry: AuditEntry, actor: SisUser, staff: bool, slots: dict[int, SlotTime],
            people: dict) -> Change | None:
    """``entry`` as the viewer may read it; None for a row students are not shown."""
    row = _Row(entry, entry.before or {}, entry.after or {}, _by(entry, actor, staff, people),
               staff, slots)
    wording = WORDING.get(entry.action)
    if wording is None:
        if not staff:
            return None
        kind, summary, fields = "other", f"{entry.action} by {row.by}", {}
    else:
        kind, summary, fields = wording(row)
    if staff:
        fields.update(actor_key=entry.actor_key, action=entry.action)
        fields.setdefault("reason", entry.reason)
    if entry.entity_type == "booking" and isinstance(row.after.get("status"), str):
        fields.setdefault("status", row.after["status"])  # the booking's status after it
    return Change(at=entry.at, kind=kind, summary=summary, by=row.by,
                  by_you=entry.actor_key == actor.key, **fields)

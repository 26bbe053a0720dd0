"""The audit log as people read it: actions in words, who by name, what changed.

One page costs the rows' query (``audit.page``, which also decides what the viewer may
read) and one batched look-up of the people the rows name (actors and the ``*_key``
fields of their before/after), however many rows there are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from sis_appointments.contract import SisUser
from sis_appointments.models import AuditEntry
from sis_appointments.services.platform import audit, sis

# Every action the plugin records, in words (one table; an action missing here is shown
# as its code made readable, see ``action_words``).
ACTION_WORDS: dict[str, str] = {
    "booking.created": "Booking made",
    "booking.cancelled": "Booking cancelled",
    "booking.late_cancelled": "Booking cancelled late",
    "booking.rescheduled": "Booking rescheduled",
    "booking.moved": "Booking moved with its slot",
    "booking.slot_changed": "Booked slot changed",
    "booking.attendance.attended": "Marked attended",
    "booking.attendance.no_show": "Marked as a no-show",
    "booking.attendance.excused": "Marked excused",
    "booking.attendance.confirmed": "Attendance mark removed",
    "booking.merged": "Booking moved to a merged student record",
    "waitlist_entry.merged": "Waitlist place moved to a merged student record",
    "waitlist.joined": "Joined the waitlist",
    "waitlist.offered": "Seat offered from the waitlist",
    "waitlist.promoted": "Promoted from the waitlist",
    "waitlist.left": "Left the waitlist",
    "waitlist.removed": "Removed from the waitlist",
    "waitlist.offer_expired": "Waitlist offer expired",
    "waitlist.offer_declined": "Waitlist offer declined",
    "slot.created": "Slot created",
    "slot.changed": "Slot changed",
    "slot.cancelled": "Slot cancelled",
    "series.created": "Series created",
    "series.edit.this": "Series edited (this slot)",
    "series.edit.following": "Series edited (this and following)",
    "series.edit.all": "Series edited (all slots)",
    "series.split": "Series split",
    "series.occurrence_skipped": "Series occurrence skipped",
    "type.created": "Appointment type created",
    "type.updated": "Appointment type changed",
    "conflict.overridden": "Conflict kept with a reason",
    "grant.given": "Right granted",
    "grant.revoked": "Right revoked",
    "setting.changed": "Setting changed",
    "student.changed": "Student record changed",
    "token.created": "API token created",
    "token.revoked": "API token revoked",
    "feed_token.issued": "Calendar feed address created",
    "feed_token.revoked": "Calendar feed address turned off",
    "preferences.changed": "Notification preferences changed",
    "notification.read": "Notifications marked read",
    "notification.retried": "Notification sent again",
    "notifications.pruned": "Old notifications removed",
}

ENTITY_WORDS: dict[str, str] = {
    "booking": "Booking", "slot": "Slot", "series": "Series", "type": "Appointment type",
    "waitlist_entry": "Waitlist place", "grant": "Right", "setting": "Setting",
    "student": "Student", "user": "User", "token": "API token", "feed_token": "Feed address",
    "notification": "Notification", "inapp_notification": "In-app notification",
    "conflict": "Conflict",
}


def action_words(action: str) -> str:
    """``action`` in words: from ``ACTION_WORDS``, else its code made readable."""
    if action in ACTION_WORDS:
        return ACTION_WORDS[action]
    text = action.replace(".", " ").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def entity_words(entity_type: str) -> str:
    return ENTITY_WORDS.get(entity_type, entity_type.replace("_", " ").capitalize())


@dataclass(frozen=True)
class Field:
    """One field of a change: its value before and after (text; None: absent)."""

    name: str
    before: str | None
    after: str | None
    changed: bool
    before_name: str | None = None  # the person a ``*_key`` value names
    after_name: str | None = None


@dataclass(frozen=True)
class Row:
    """An audit entry ready to show."""

    id: int
    at: datetime
    actor_key: str | None
    actor_name: str | None  # None: the system (no actor), or a key the SIS does not know
    action: str
    action_words: str
    entity_type: str
    entity_words: str
    entity_id: str | None
    fields: tuple[Field, ...]
    has_before: bool
    has_after: bool
    reason: str | None
    request_id: str | None

    @property
    def changed_count(self) -> int:
        return sum(f.changed for f in self.fields)


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _is_person(name: str) -> bool:
    return name.endswith("_key") or name in ("by", "booked_by", "cancelled_by", "user")


def diff(before: dict | None, after: dict | None) -> list[tuple[str, object, object, bool]]:
    """Every field of ``before`` and ``after`` by name (the databases keep no key order) as
    (name, before value, after value, changed); a field absent on one side is None there."""
    before, after = before or {}, after or {}
    names = sorted({*before, *after})
    missing = object()
    return [(n, before.get(n), after.get(n),
             before.get(n, missing) != after.get(n, missing)) for n in names]


def _people(entries: list[AuditEntry]) -> set[str]:
    keys = {e.actor_key for e in entries if e.actor_key}
    for entry in entries:
        for side in (entry.before, entry.after):
            if isinstance(side, dict):
                keys |= {v for k, v in side.items() if _is_person(k) and isinstance(v, str)}
    return keys


def rows(session: Session, entries: list[AuditEntry]) -> list[Row]:
    """``entries`` ready to show, with every person they name looked up in one batch."""
    found = sis.users(session, sorted(_people(entries)))

    def name(key) -> str | None:
        user = found.get(key) if isinstance(key, str) else None
        return user.name if user else None

    out = []
    for e in entries:
        fields = tuple(
            Field(n, _text(b), _text(a), changed,
                  name(b) if _is_person(n) else None, name(a) if _is_person(n) else None)
            for n, b, a, changed in diff(e.before if isinstance(e.before, dict) else None,
                                         e.after if isinstance(e.after, dict) else None))
        out.append(Row(e.id, e.at, e.actor_key, name(e.actor_key), e.action,
                       action_words(e.action), e.entity_type, entity_words(e.entity_type),
                       e.entity_id, fields, e.before is not None, e.after is not None,
                       e.reason, e.request_id))
    return out


def page(session: Session, *, actor: SisUser, limit: int = 50, **filters
         ) -> tuple[list[Row], tuple[datetime, int] | None]:
    """A page of the audit log ``actor`` may read (``audit.page`` decides what) ready to
    show, and the cursor of the next page (None: the last page)."""
    found = audit.page(session, actor=actor, limit=limit + 1, **filters)
    more = len(found) > limit
    found = found[:limit]
    return rows(session, found), (found[-1].at, found[-1].id) if more and found else None

"""The transactional outbox: an event's notifications, written in the event's transaction.

``write(session, event)`` decides who hears of ``event`` (the student, the staff member who
hosts the slot, the students of a changed slot), on which channels (their preferences), and
which configured webhooks want it, and adds one ``appt_notification`` row for each. The
delivery job sends them after commit. Every row has a unique dedupe key that receivers
see, so a notification delivered twice (after a crash between sending and marking it sent)
can be recognised.
"""

from __future__ import annotations

import json
import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sis_appointments.contract import AppointmentEvent, SisUser
from sis_appointments.models import ACTIVE_BOOKING_STATUSES, Booking, Notification, Slot, utcnow
from sis_appointments.services.accounts import access
from sis_appointments.services.notifications import preferences
from sis_appointments.services.platform import sis

BOOKING_EVENTS = ("booking_created", "booking_cancelled", "booking_rescheduled",
                  "waitlist_promoted", "reminder")
STUDENT_ONLY = ("waitlist_joined", "waitlist_offered")


def webhooks(session: Session, event_name: str) -> list[dict]:
    """The configured webhook endpoints that want ``event_name``."""
    hooks = session.context.settings.get("SIS_APPOINTMENTS_WEBHOOKS") or []
    return [h for h in hooks if {"*", event_name} & set(h.get("events", ["*"]))]


def _recipients(session: Session, event: AppointmentEvent) -> list[tuple[str, str]]:
    data = event.data
    if "slot_id" not in data and event.name != "digest":
        return []  # nothing names the people concerned (webhooks still hear of it)
    if event.name in BOOKING_EVENTS:
        host_key = session.get(Slot, data["slot_id"]).host_key  # loaded by the change
        return [(data["student_key"], "student"), (host_key, "staff")]
    if event.name in STUDENT_ONLY:
        return [(data["student_key"], "student")]
    if event.name == "slot_changed" and data.get("waiting"):  # cancelled: their places end
        return [(key, "student") for key in data["waiting"]]
    if event.name == "slot_changed" and _moved(data):
        keys = session.scalars(select(Booking.student_key).where(
            Booking.slot_id == data["slot_id"], Booking.status.in_(ACTIVE_BOOKING_STATUSES)))
        return [(key, "student") for key in sorted(set(keys))]
    if event.name == "digest":
        return [(data["host_key"], "staff")]
    return []


def _moved(data: dict) -> bool:
    """A slot change students hear of: its time, place or host changed (not its creation,
    and not its cancellation, which reaches them as booking_cancelled)."""
    before, after = data.get("before"), data.get("after")
    if not before or not after or after.get("status") == "cancelled":
        return False
    return any(before.get(k) != after.get(k) for k in ("start", "end", "location", "host_key"))


def write(session: Session, event: AppointmentEvent, occurrence: str | None = None) -> int:
    """Add the notifications of ``event`` to the session; returns how many. ``occurrence``
    names this happening of the event in the dedupe keys (random unless given, as
    reminders and digests do to stay idempotent)."""
    occurrence = occurrence or uuid.uuid4().hex[:16]
    base = f"{event.name}:{event.entity}:{event.entity_id}:{occurrence}"
    payload = json.loads(json.dumps(
        {"entity": event.entity, "entity_id": event.entity_id, "actor_key": event.actor_key,
         **event.data}, default=str))
    rows, data = [], event.data
    recipients = [(k, role) for k, role in _recipients(session, event) if k]
    if recipients:
        forced = frozenset()
        if event.name == preferences.MANDATORY_EVENT and event.actor_key != data.get(
                "student_key"):
            forced = frozenset({(data["student_key"], preferences.mandatory_channel(session))})
        for key, chans in preferences.channels_for(session, recipients, event.name,
                                                   forced).items():
            rows += [(key, channel) for channel in sorted(chans)]
    for hook in webhooks(session, event.name):
        rows.append((f"webhook:{hook['name']}", "webhook"))
    now = utcnow()
    for key, channel in rows:
        session.add(Notification(event=event.name, recipient_key=key, channel=channel,
                                 payload=payload, dedupe_key=f"{base}:{key}:{channel}",
                                 status="pending", attempts=0, next_attempt_at=now))
    return len(rows)


def listed(session: Session, *, actor: SisUser, status: str = "dead",
           limit: int = 100) -> list[Notification]:
    """Notifications by delivery status, newest first (for admins)."""
    access.require_admin(actor, "see the notification outbox")
    found = list(session.scalars(select(Notification).where(Notification.status == status)
                                 .order_by(Notification.id.desc()).limit(limit)))
    sis.users(session, {n.recipient_key for n in found})  # the page names them: ask once
    return found


def counts(session: Session, *, actor: SisUser) -> dict[str, int]:
    """How many notifications are in each delivery status (for admins)."""
    access.require_admin(actor, "see the notification outbox")
    return dict(session.execute(select(Notification.status, func.count())
                                .group_by(Notification.status)).all())

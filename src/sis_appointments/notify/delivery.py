"""The delivery job: send due notifications, retry failures with backoff, never twice.

A run claims due rows in one short transaction: it pushes their next attempt a lease
ahead and counts the attempt (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's writer
lock serialises claims), so two runners never hold the same row. It then sends outside
any transaction and records the outcomes. A runner that dies after sending but before
recording leaves the row to be claimed again when the lease ends: delivery is at least
once, and receivers recognise a repeat by its dedupe key (the ``X-Appointments-Delivery``
header, the ``X-Appointments-Dedupe-Key`` email header, the in-app row's unique link).
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from sis_appointments.contract import SisUser
from sis_appointments.domain.errors import Conflict
from sis_appointments.models import InAppNotification, Notification, utcnow
from sis_appointments.notify import render
from sis_appointments.notify.channels import Undeliverable
from sis_appointments.services.accounts import access
from sis_appointments.services.platform import audit, sis, tx

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)
BATCH = 200  # notifications claimed at a time
MAX_BACKOFF = timedelta(hours=6)


@dataclass
class Delivery:
    """One notification being sent: what channels need, looked up when first asked."""

    notification: Notification
    session: Session
    settings: dict
    emit: object = None  # emit(event, payload, room) pushes to open pages, if sockets run
    now: datetime | None = None  # when it is sent (texts such as "starts in 5 minutes")

    @property
    def domain(self) -> str:
        return calendar_domain(self.settings)

    @cached_property
    def recipient(self) -> sis.Person | None:
        return sis.person(self.session, self.notification.recipient_key,
                             self.settings.get("SIS_APPOINTMENTS_DEFAULT_TIMEZONE", "UTC"))

    @cached_property
    def message(self) -> render.Message:
        to = self.recipient or sis.Person(self.notification.recipient_key,
                                             self.notification.recipient_key, None, "UTC")
        site = (self.settings.get("SIS_APPOINTMENTS_PUBLIC_URL") or "").rstrip("/")
        pages = (self.settings.get("SIS_APPOINTMENTS_ADMIN_URL_PREFIX", "/admin/appointments")
                 if to.staff else
                 self.settings.get("SIS_APPOINTMENTS_URL_PREFIX", "/appointments"))
        # A student's link leads to the appointment's details page when there is one; staff
        # (whose details pages are elsewhere) to their pages.
        booking_id = None if to.staff else render.booking_id_of(self.notification)
        link = f"{site}{pages}/bookings/{booking_id}" if booking_id else f"{site}{pages}/"
        return render.render(self.session, self.notification, to, domain=self.domain,
                             link=link, now=self.now,
                             sender=self.settings.get("SIS_APPOINTMENTS_MAIL_FROM"))


def calendar_domain(settings: dict) -> str:
    """The right-hand side of UIDs and Message-IDs: the sender address's domain."""
    sender = settings.get("SIS_APPOINTMENTS_MAIL_FROM") or "appointments@localhost"
    return sender.rpartition("@")[2].strip(">") or "localhost"


def backoff(settings: dict, attempts: int) -> timedelta:
    """Exponential: the base delay doubled per failed attempt, capped, with 10% jitter."""
    base = settings.get("SIS_APPOINTMENTS_OUTBOX_BACKOFF", 30)
    delay = min(timedelta(seconds=base * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)
    return delay * random.uniform(0.9, 1.1)


def claim(session: Session, now: datetime, limit: int) -> list[Notification]:
    """Take up to ``limit`` due notifications for this runner (one short transaction)."""
    with tx.transaction(session):
        rows = list(session.scalars(
            select(Notification).where(Notification.status == "pending",
                                       Notification.next_attempt_at <= now)
            .order_by(Notification.next_attempt_at, Notification.id).limit(limit)
            .with_for_update(skip_locked=True)))
        if rows:
            session.execute(
                update(Notification).where(Notification.id.in_([r.id for r in rows]))
                .values(next_attempt_at=now + LEASE, attempts=Notification.attempts + 1)
                .execution_options(synchronize_session=False))
            for row in rows:
                row.attempts += 1
    return rows


def deliver_due(session: Session, channels: dict, settings: dict, *,
                now: datetime | None = None, limit: int = BATCH, emit=None) -> Counter:
    """Send what is due; returns counts of sent, retry, dead and skipped."""
    now = now or utcnow()
    counts: Counter = Counter()
    rows = claim(session, now, limit)
    outcomes = []
    try:
        for note in rows:
            outcome = _send(Delivery(note, session, settings, emit, now), channels, settings)
            counts[outcome[0]] += 1
            outcomes.append((note, *outcome))
    finally:
        for channel in channels.values():
            getattr(channel, "close", lambda: None)()
        _record(session, outcomes, settings)
    return counts


def _send(delivery: Delivery, channels: dict, settings: dict) -> tuple[str, str | None]:
    note = delivery.notification
    channel = channels.get(note.channel)
    try:
        if channel is None:
            raise Undeliverable(f"no channel {note.channel!r} is configured")
        channel.send(delivery)
        return "sent", None
    except render.Skip as exc:
        return "skipped", str(exc)
    except Undeliverable as exc:
        return "dead", str(exc)
    except Exception as exc:  # any failure of a channel is retried
        log.warning("notification %s via %s failed: %s", note.id, note.channel, exc)
        error = f"{type(exc).__name__}: {exc}"
        if note.attempts >= settings.get("SIS_APPOINTMENTS_OUTBOX_MAX_ATTEMPTS", 8):
            return "dead", f"gave up after {note.attempts} attempts; last: {error}"
        return "retry", error


def _record(session: Session, outcomes, settings: dict) -> None:
    if not outcomes:
        return
    with tx.transaction(session):
        for note, outcome, error in outcomes:
            values = {"last_error": error[:2000] if error else None}
            if outcome == "retry":
                values["next_attempt_at"] = utcnow() + backoff(settings, note.attempts)
            else:
                values["status"] = outcome
                values["sent_at"] = utcnow() if outcome == "sent" else None
            session.execute(update(Notification).where(
                Notification.id == note.id, Notification.status == "pending").values(**values)
                .execution_options(synchronize_session=False))


def retry_dead(session: Session, *, actor: SisUser, notification_id: int) -> Notification:
    """An admin sends a dead letter again: it is pending now, with its attempts reset."""
    access.require_admin(actor, "retry notifications")

    def work() -> Notification:
        note = tx.get(session, Notification, notification_id, "notification")
        if note.status != "dead":
            raise Conflict("only a dead notification can be retried", code="not_dead",
                           status=note.status)
        before = {"status": note.status, "attempts": note.attempts, "error": note.last_error}
        note.status, note.attempts, note.next_attempt_at = "pending", 0, utcnow()
        audit.record(session, actor_key=actor.key, action="notification.retried",
                     entity_type="notification", entity_id=note.id, before=before,
                     after={"status": "pending"})
        return note

    return tx.run(session, work)


KEEP_SENT = timedelta(days=90)
KEEP_READ = timedelta(days=365)


def prune(session: Session, now: datetime | None = None) -> int:
    """Housekeeping: forget notifications delivered (or skipped) over 90 days ago and in-app
    notifications read over a year ago; dead letters stay until an admin acts. Returns how
    many outbox rows went."""
    now = now or utcnow()

    def work() -> int:
        old = select(Notification.id).where(Notification.status.in_(("sent", "skipped")),
                                            Notification.updated_at < now - KEEP_SENT)
        session.execute(update(InAppNotification).where(
            InAppNotification.notification_id.in_(old)).values(notification_id=None)
            .execution_options(synchronize_session=False))
        gone = session.execute(delete(Notification).where(Notification.id.in_(old))
                               .execution_options(synchronize_session=False)).rowcount
        read = session.execute(delete(InAppNotification).where(
            InAppNotification.read_at < now - KEEP_READ)
            .execution_options(synchronize_session=False)).rowcount
        if gone or read:
            audit.record(session, actor_key=None, action="notifications.pruned",
                         entity_type="notification", entity_id="outbox",
                         after={"outbox_rows": gone, "read_in_app": read})
        return gone

    return tx.run(session, work)

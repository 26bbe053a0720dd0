"""Reminders and the staff digest, found by query rather than one timer per booking.

Each run looks for confirmed bookings whose start is within a lead time from now (and not
more than the grace period past the moment the reminder was due), and writes a reminder
whose dedupe key names the booking, its start and the lead time: running again, on any
worker, after any downtime, writes nothing twice. A booking cancelled before its reminder
went out gets none (the delivery skips it), nor does one booked after the reminder was due
(its confirmation says when), nor one whose appointment started before it was sent. The
text says the time left when it is sent ("in 5 minutes", "tomorrow at 09:00").
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sis_appointments.contract import AppointmentEvent
from sis_appointments.domain.timezones import zone
from sis_appointments.models import Booking, Notification, Slot, utcnow
from sis_appointments.services.notifications import outbox, preferences
from sis_appointments.services.platform import settings, sis, tx


def _written(session: Session, prefix: str) -> bool:
    return session.scalar(select(Notification.id).where(
        Notification.dedupe_key.startswith(prefix, autoescape=True)).limit(1)) is not None


def queue_reminders(session: Session, now: datetime | None = None) -> int:
    """Write the reminders that are due; returns how many bookings were reminded."""
    now = now or utcnow()

    def work() -> int:
        grace = timedelta(minutes=settings.get(session, "reminder_grace_minutes"))
        default = settings.get(session, "reminder_lead_minutes")
        own = preferences.own_leads(session)
        count = 0
        for lead in sorted(set(default).union(*own.values()), reverse=True):
            ahead = timedelta(minutes=lead)
            due = session.execute(select(Booking, Slot).join(Booking.slot).where(
                Booking.status == "confirmed", Slot.status == "open", Slot.start_utc > now,
                Slot.start_utc <= now + ahead, Slot.start_utc >= now + ahead - grace)
                .order_by(Slot.start_utc, Booking.id)).all()
            for booking, slot in due:
                if lead not in own.get(booking.student_key, default):
                    continue
                if booking.created_at > slot.start_utc - ahead:
                    continue  # booked after this reminder was due: the confirmation covers it
                occurrence = f"{slot.start_utc:%Y%m%dT%H%M}Z-{lead}m"
                if _written(session, f"reminder:booking:{booking.id}:{occurrence}:"):
                    continue
                outbox.write(session, AppointmentEvent(
                    "reminder", "booking", booking.id, None,
                    {"slot_id": slot.id, "student_key": booking.student_key,
                     "lead_minutes": lead}), occurrence=occurrence)
                count += 1
        return count

    return tx.run(session, work)


def queue_digests(session: Session, now: datetime | None = None,
                  default_zone: str = "UTC") -> int:
    """Write each staff member's digest of tomorrow's appointments, in their own zone (the
    host's directory; ``default_zone`` if it names none), once a day from the
    ``digest_hour`` setting (16:00 unless changed) their time; returns how many digests
    were written."""
    now = now or utcnow()

    def work() -> int:
        digest_hour = settings.get(session, "digest_hour")
        rows = session.execute(select(Slot.host_key, Slot.start_utc, Booking.id)
                               .join(Booking.slot).where(
            Slot.start_utc >= now, Slot.start_utc < now + timedelta(days=3),
            Booking.status == "confirmed").order_by(Slot.host_key, Slot.start_utc)).all()
        by_host: dict[str, list[tuple[datetime, int]]] = {}
        for host_key, start, booking_id in rows:
            by_host.setdefault(host_key, []).append((start, booking_id))
        written = 0
        for host_key, held in by_host.items():
            found = sis.person(session, host_key, default_zone)
            tz = zone(found.timezone if found else default_zone)
            local = now.astimezone(tz)
            if local.hour < digest_hour:
                continue
            tomorrow: date = local.date() + timedelta(days=1)
            ids = [b for start, b in held if start.astimezone(tz).date() == tomorrow]
            occurrence = tomorrow.isoformat()
            if not ids or _written(session, f"digest:staff:None:{occurrence}:{host_key}:"):
                continue
            outbox.write(session, AppointmentEvent(
                "digest", "staff", None, None,
                {"host_key": host_key, "date": occurrence, "booking_ids": ids}),
                occurrence=occurrence)
            written += 1
        return written

    return tx.run(session, work)

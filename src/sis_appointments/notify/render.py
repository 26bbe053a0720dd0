"""What a notification says: subject, plain text and HTML from templates, and the .ics.

Rendered when it is delivered, not when it is written, so the recipient's current name,
address and time zone are used (the host's directory is asked then), and the calendar file
shows the appointment as it stands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from sis_appointments import ical
from sis_appointments.domain.timezones import format_local, zone
from sis_appointments.models import Booking, Notification, Slot
from sis_appointments.resources import package_path
from sis_appointments.services.platform.sis import Person, name

_env = Environment(loader=FileSystemLoader(package_path("templates")),
                   autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


class Skip(Exception):
    """The notification no longer applies (e.g. a reminder of a cancelled booking)."""


@dataclass
class Message:
    subject: str
    text: str
    html: str
    link: str | None = None
    ics: bytes | None = None
    ics_method: str | None = None
    facts: list[tuple[str, str]] = field(default_factory=list)


HEADLINES = {
    "booking_created": "Appointment booked",
    "booking_cancelled": "Appointment cancelled",
    "booking_rescheduled": "Appointment moved",
    "slot_changed": "Your appointment changed",
    "waitlist_joined": "You are on the waitlist",
    "waitlist_offered": "A place is held for you",
    "waitlist_promoted": "You have a place from the waitlist",
    "reminder": "Reminder",
    "digest": "Tomorrow's appointments",
}


def render(session: Session, note: Notification, to: Person, *, domain: str,
           link: str | None = None) -> Message:
    """The message of ``note`` for ``to``, in their zone; raises Skip if it lapsed.
    ``link`` leads to the user's appointments (emails show it only if it is absolute)."""
    tz = zone(to.timezone)
    data = note.payload
    when = lambda instant: format_local(instant, tz)  # noqa: E731
    facts: list[tuple[str, str]] = []
    booking = _booking(session, note)
    slot = booking.slot if booking else _slot(session, data.get("slot_id"))
    if note.event == "reminder" and (booking is None or not booking.active
                                     or booking.slot.status != "open"):
        raise Skip("the booking is no longer active")
    what = slot.type.name if slot else "Appointment"
    subject = f"{HEADLINES.get(note.event, note.event)}: {what}"
    lines = []
    if slot:
        facts.append(("When", when(slot.start_utc)))
        where = slot.place
        if where:
            facts.append(("Where", where))
        subject += f", {when(slot.start_utc)}"
    if booking and to.key != booking.student_key:
        facts.append(("Student", name(session, booking.student_key)))
    if booking and booking.slot.host_key != to.key:
        facts.append(("With", name(session, booking.slot.host_key)))
    if note.event == "booking_cancelled":
        lines.append(f"Cancelled by {_who(session, data.get('actor_key'), to)}.")
        if data.get("reason"):
            facts.append(("Reason", data["reason"]))
    if note.event == "booking_rescheduled" and data.get("old_slot_id"):
        old = session.get(Slot, data["old_slot_id"])
        if old:
            facts.insert(0, ("Was", when(old.start_utc)))
    if note.event == "slot_changed" and data.get("before"):
        facts.insert(0, ("Was", when(datetime.fromisoformat(data["before"]["start"]))))
    if note.event == "waitlist_joined" and data.get("position"):
        lines.append(f"You are number {data['position']} on the waitlist. If a place frees "
                     "up it is given to you automatically and you will hear from us.")
    if note.event == "waitlist_offered" and data.get("offer_expires_at"):
        lines.append("Accept it before "
                     f"{when(datetime.fromisoformat(data['offer_expires_at']))}, or it passes "
                     "to the next student waiting.")
    if note.event == "reminder":
        hours = data.get("lead_minutes", 0) / 60
        lines.append(f"Your appointment starts in about {hours:g} hour"
                     f"{'' if hours == 1 else 's'}.")
    digest = _digest(session, data, when) if note.event == "digest" else []
    if note.event == "digest":
        subject = f"{HEADLINES['digest']} ({len(digest)})"
    context = {"headline": HEADLINES.get(note.event, note.event), "lines": lines,
               "facts": facts, "name": to.name, "digest": digest, "link": link,
               "zone": tz.key, "dedupe_key": note.dedupe_key}
    message = Message(subject=subject,
                      text=_env.get_template("appointments/email/notification.txt").render(
                          context),
                      html=_env.get_template("appointments/email/notification.html").render(
                          context),
                      link=link, facts=facts)
    if booking is not None and note.event != "waitlist_joined":
        message.ics, message.ics_method = ical.booking_file(
            booking, domain, summary=what, description="\n".join(
                f"{k}: {v}" for k, v in facts if k in ("Student", "With", "Where")))
    return message


def _who(session: Session, key: str | None, to: Person) -> str:
    if key == to.key:
        return "you"
    if not key:
        return "the system (a change in the student record)"
    return name(session, key)


def _booking(session: Session, note: Notification) -> Booking | None:
    data = note.payload
    if data.get("entity") == "booking":
        return session.get(Booking, data["entity_id"])
    if data.get("booking_id"):
        return session.get(Booking, data["booking_id"])
    return None


def _slot(session: Session, slot_id) -> Slot | None:
    return session.get(Slot, slot_id) if slot_id else None


def _digest(session: Session, data: dict, when) -> list[dict]:
    rows = session.execute(select(Booking, Slot).join(Booking.slot).where(
        Booking.id.in_(data.get("booking_ids", []))).order_by(Slot.start_utc)).all()
    return [{"when": when(slot.start_utc), "what": slot.type.name,
             "who": name(session, b.student_key),
             "status": b.status} for b, slot in rows]

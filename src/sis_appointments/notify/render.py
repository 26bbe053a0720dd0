"""What a notification says: subject, plain text and HTML from templates, and the .ics.

Rendered when it is delivered, not when it is written, so the recipient's current name,
address and time zone are used (the host's directory is asked then), and the calendar file
shows the appointment as it stands.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from sis_appointments import ical
from sis_appointments.domain.timezones import format_local, zone
from sis_appointments.models import ACTIVE_BOOKING_STATUSES, Booking, Notification, Slot, utcnow
from sis_appointments.resources import package_path
from sis_appointments.services.platform.sis import Person, name, person

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


@dataclass
class _Draft:
    """A message being written: what is known, and the facts and lines so far."""

    session: Session
    data: dict
    to: Person
    when: Callable[[datetime], str]
    now: datetime
    slot: Slot | None = None
    facts: list[tuple[str, str]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def render(session: Session, note: Notification, to: Person, *, domain: str,
           link: str | None = None, now: datetime | None = None,
           sender: str | None = None) -> Message:
    """The message of ``note`` for ``to``, in their zone, written at ``now`` (default: the
    clock's); raises Skip if it lapsed. ``link`` leads to the user's appointments (emails
    show it only if it is absolute). ``sender``: the From address, the organizer of an
    invitation when the staff member has none."""
    tz = zone(to.timezone)
    draft = _Draft(session, note.payload, to, lambda instant: format_local(instant, tz),
                   now=now or utcnow())
    booking = _booking(session, note)
    slot = booking.slot if booking else _slot(session, draft.data.get("slot_id"))
    if booking is None and note.event == "slot_changed" and slot is not None:
        booking = _held(session, slot, to.key)  # the student's calendar holds it: update it
    draft.slot = slot
    if note.event == "reminder" and (booking is None or not booking.active
                                     or booking.slot.status != "open"):
        raise Skip("the booking is no longer active")
    if note.event == "reminder" and booking.slot.start_utc <= draft.now:
        raise Skip("the appointment has started")
    what = slot.type.name if slot else "Appointment"
    headline = HEADLINES.get(note.event, note.event)
    if note.event == "slot_changed" and (draft.data.get("after") or {}).get(
            "status") == "cancelled":
        headline = "Cancelled: a slot you were waiting for"
    subject = f"{headline}: {what}"
    if slot:
        subject += f", {draft.when(slot.start_utc)}"
    _basics(draft, slot, booking)
    DETAILS.get(note.event, lambda _draft: None)(draft)
    digest = _digest(session, draft.data, draft.when) if note.event == "digest" else []
    if note.event == "digest":
        subject = f"{HEADLINES['digest']} ({len(digest)})"
    context = {"headline": headline, "lines": draft.lines,
               "facts": draft.facts, "name": to.name, "digest": digest, "link": link,
               "zone": tz.key, "dedupe_key": note.dedupe_key}
    message = Message(subject=subject,
                      text=_env.get_template("appointments/email/notification.txt").render(
                          context),
                      html=_env.get_template("appointments/email/notification.html").render(
                          context),
                      link=link, facts=draft.facts)
    if booking is not None and note.event != "waitlist_joined":
        message.ics, message.ics_method = ical.booking_file(
            booking, domain, summary=what, description="\n".join(
                f"{k}: {v}" for k, v in draft.facts if k in ("Student", "With", "Where")),
            **_parties(session, booking, sender))
    return message


def _held(session: Session, slot: Slot, student_key: str) -> Booking | None:
    return session.scalars(select(Booking).where(
        Booking.slot_id == slot.id, Booking.student_key == student_key,
        Booking.status.in_(ACTIVE_BOOKING_STATUSES))).first()


def _parties(session: Session, booking: Booking, sender: str | None) -> dict:
    """The invitation's organizer (the staff member, else the sender) and attendee (the
    student), each (name, address) where an address is known."""
    host = person(session, booking.slot.host_key, "UTC")
    student = person(session, booking.student_key, "UTC")
    sender_name, sender_address = parseaddr(sender or "")
    organizer = (host.name, host.email) if host and host.email else (
        (sender_name or "Appointments", sender_address) if sender_address else None)
    attendee = (student.name, student.email) if student and student.email else None
    return {"organizer": organizer, "attendee": attendee}


def _basics(draft: _Draft, slot: Slot | None, booking: Booking | None) -> None:
    """When and where, and the other person: the student for staff, the host for students."""
    if slot:
        draft.facts.append(("When", draft.when(slot.start_utc)))
        if slot.place:
            draft.facts.append(("Where", slot.place))
    if booking and draft.to.key != booking.student_key:
        draft.facts.append(("Student", name(draft.session, booking.student_key)))
    host_key = booking.slot.host_key if booking else slot.host_key if slot else None
    if host_key and host_key != draft.to.key:  # a waiting student has no booking, yet a host
        draft.facts.append(("With", name(draft.session, host_key)))


def _cancelled(draft: _Draft) -> None:
    who = _who(draft.session, draft.data.get("actor_key"), draft.to)
    draft.lines.append(f"Cancelled by {who}.")
    if draft.data.get("reason"):
        draft.facts.insert(0, ("Reason", draft.data["reason"]))  # first: lists show 3 lines


def _rescheduled(draft: _Draft) -> None:
    old = _slot(draft.session, draft.data.get("old_slot_id"))
    if old:
        draft.facts.insert(0, ("Was", draft.when(old.start_utc)))


def _slot_changed(draft: _Draft) -> None:
    before, after = draft.data.get("before"), draft.data.get("after") or {}
    if after.get("status") == "cancelled":  # told only to those who waited for it
        draft.lines.append("The slot you were waiting for is cancelled: your place on its "
                           "waitlist has ended. You can book another time.")
        if draft.data.get("reason"):
            draft.facts.insert(0, ("Reason", draft.data["reason"]))
        return
    if before and before.get("start") != after.get("start", before.get("start")):
        was = datetime.fromisoformat(before["start"])
        draft.facts.insert(0, ("Was", draft.when(was)))
    if before and after.get("host_key") and before.get("host_key") != after["host_key"]:
        draft.facts.insert(0, ("Was with", name(draft.session, before["host_key"])))


def _joined(draft: _Draft) -> None:
    if not draft.data.get("position"):
        return
    minutes = draft.slot.type.offer_minutes if draft.slot else None
    if minutes:
        draft.lines.append(f"You are number {draft.data['position']} on the waitlist. If a "
                           f"place frees up it is held for you for {minutes} minutes and we "
                           "will tell you: accept it before then, or it passes to the next "
                           "student waiting.")
    else:
        draft.lines.append(f"You are number {draft.data['position']} on the waitlist. If a "
                           "place frees up it is given to you automatically and you will hear "
                           "from us.")


def _offered(draft: _Draft) -> None:
    if draft.data.get("offer_expires_at"):
        until = draft.when(datetime.fromisoformat(draft.data["offer_expires_at"]))
        draft.lines.append(f"Accept it before {until}, or it passes to the next student "
                           "waiting.")


def _reminder(draft: _Draft) -> None:
    left = time_left(draft.slot.start_utc, draft.now, zone(draft.to.timezone))
    draft.lines.append(f"Your appointment starts {left}.")


def time_left(start: datetime, now: datetime, tz) -> str:
    """When ``start`` is, from ``now``, in words a person reads at a glance in zone ``tz``:
    "in 5 minutes", "in about 2 hours (15:00)", "tomorrow at 09:00", "on Mon 7 Dec at
    09:00"."""
    minutes = max(1, round((start - now).total_seconds() / 60))
    if minutes < 60:
        return f"in {minutes} minute{'' if minutes == 1 else 's'}"
    local, today = start.astimezone(tz), now.astimezone(tz).date()
    clock = f"{local:%H:%M}"
    if local.date() == today:
        hours = round(minutes / 60)
        return f"in about {hours} hour{'' if hours == 1 else 's'} ({clock})"
    if local.date() == today + timedelta(days=1):
        return f"tomorrow at {clock}"
    return f"on {local:%a} {local.day} {local:%b} at {clock}"


# What each event adds to the basics.
DETAILS: dict[str, Callable[[_Draft], None]] = {
    "booking_cancelled": _cancelled, "booking_rescheduled": _rescheduled,
    "slot_changed": _slot_changed, "waitlist_joined": _joined, "waitlist_offered": _offered,
    "reminder": _reminder,
}


def _who(session: Session, key: str | None, to: Person) -> str:
    if key == to.key:
        return "you"
    if not key:
        return "the system (a change in the student record)"
    return name(session, key)


def booking_id_of(note: Notification) -> int | None:
    """The booking a notification is about, if any (its id, from the payload)."""
    data = note.payload or {}
    if data.get("entity") == "booking" and data.get("entity_id"):
        return int(data["entity_id"])
    return int(data["booking_id"]) if data.get("booking_id") else None


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

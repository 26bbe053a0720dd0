"""Calendar files for people: one booking, a student's appointments, a staff calendar."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from sis_appointments import ical
from sis_appointments.contract import SisUser
from sis_appointments.domain.errors import NotFound
from sis_appointments.domain.timezones import to_utc, zone
from sis_appointments.models import Booking, Series, Slot, utcnow
from sis_appointments.services.accounts import access
from sis_appointments.services.platform import sis
from sis_appointments.services.scheduling import series

PAST = timedelta(days=60)  # how far back feeds reach


def _booking_summary(session: Session, booking: Booking) -> str:
    return f"{booking.slot.type.name} with {sis.user_name(session, booking.slot.host_key)}"


def booking_file(session: Session, *, actor: SisUser, booking_id: int, domain: str) -> bytes:
    """The .ics of one booking, for its student or whoever manages the calendar."""
    booking = access.visible_booking(session, actor, booking_id)
    return ical.booking_file(booking, domain, _booking_summary(session, booking),
                             invitation=False)[0]


def _within(since: datetime, until: datetime | None) -> list:
    return [Slot.start_utc >= since] + ([Slot.start_utc < until] if until else [])


def student_events(session: Session, student_key: str, domain: str, since: datetime,
                   until: datetime | None = None) -> list:
    rows = session.scalars(select(Booking).join(Booking.slot).options(
        joinedload(Booking.slot).joinedload(Slot.type)).where(
        Booking.student_key == student_key, *_within(since, until))
        .order_by(Slot.start_utc, Booking.id))
    return [ical.booking_event(b, domain, _booking_summary(session, b)) for b in rows]


def host_events(session: Session, host_key: str, domain: str, since: datetime,
                until: datetime | None = None) -> list:
    """A staff calendar: each series once with its RRULE, other slots one by one."""
    slots = list(session.scalars(select(Slot).options(joinedload(Slot.type)).where(
        Slot.host_key == host_key, *_within(since, until)).order_by(Slot.start_utc)))
    events, by_series = [], {}
    for slot in slots:
        if slot.series_id:
            by_series.setdefault(slot.series_id, []).append(slot)
            continue
        events.append(ical.slot_event(
            slot, uid_=ical.uid("slot", slot.id, domain),
            summary=f"{slot.type.name} ({slot.booked}/{slot.capacity} booked)",
            sequence_=ical.sequence(slot), cancelled=slot.status == "cancelled"))
    for row in session.scalars(select(Series).where(Series.id.in_(by_series))):
        events += series_export(session, row, by_series[row.id], domain)
    return events


def series_export(session: Session, row: Series, slots: list[Slot], domain: str) -> list:
    slot_type = slots[0].type
    rule = series.recurrence(row, slot_type.duration_minutes)
    first = to_utc(row.start_local, zone(row.timezone))
    occurrences = [o.local_start for o in rule.between(first, row.materialised_until or utcnow())]
    return ical.series_events(row, slots, occurrences, rule, domain, slot_type.name)


def host_calendar(session: Session, *, actor: SisUser, host_key: str, domain: str,
                  now: datetime | None = None, start: datetime | None = None,
                  end: datetime | None = None) -> bytes:
    """A staff member's slots from ``start`` (default 60 days ago) to ``end`` (default
    open), for whoever manages that calendar."""
    if "\x00" in host_key:  # no key has one, and PostgreSQL cannot even compare it
        raise NotFound("no such calendar")
    access.require_manage_host(session, actor, host_key)
    cal = ical.calendar(name=f"Appointments of {sis.user_name(session, host_key)}")
    for event in host_events(session, host_key, domain, start or (now or utcnow()) - PAST, end):
        cal.add_component(event)
    return ical.finish(cal)


def user_calendar(session: Session, user: SisUser, domain: str,
                  now: datetime | None = None, start: datetime | None = None,
                  end: datetime | None = None) -> bytes:
    """Everything of ``user``'s from ``start`` (default 60 days ago) to ``end`` (default
    open): their bookings, and the slots they host if they are staff. Cancelled ones stay,
    marked cancelled, so subscribed calendar programs remove them."""
    since = start or (now or utcnow()) - PAST
    cal = ical.calendar(name="Appointments")
    events = student_events(session, user.key, domain, since, end)
    if user.has_role("staff", "admin"):
        events += host_events(session, user.key, domain, since, end)
    for event in events:
        cal.add_component(event)
    return ical.finish(cal)

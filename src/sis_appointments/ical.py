"""iCalendar (RFC 5545) files: one booking for an email, and feeds of many.

Every event carries TZID and the VTIMEZONE of its zone, so calendar programs show the right
local time across DST. A booking's UID is stable and its SEQUENCE grows with every change,
so a program updates the same event instead of adding another. A staff feed exports a
recurring series as one event with its RRULE; occurrences that moved are overrides
(RECURRENCE-ID) and those that were cancelled or skipped are EXDATEs.

Written so that every reader expands a series alike (RFC 5545 read strictly, or not): the
master's DTSTART is the series' first occurrence (RFC 5545 counts DTSTART as one, dateutil
only when the rule makes it), its UNTIL is in UTC, and VTIMEZONE transitions are one RDATE
per line (vobject keeps only the first date of a comma-separated list).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vCalAddress, vRecur

from sis_appointments.domain.recurrence import Recurrence
from sis_appointments.models import Booking, Series, Slot, utcnow

PRODID = "-//sis-appointments//EN"


def uid(kind: str, row_id: int, domain: str) -> str:
    return f"{kind}-{row_id}@{domain}"


def sequence(row, slot=None) -> int:
    """Grows with every change: the row's version, and for a booking its slot's version
    beneath it (a reschedule raises the booking's version, outweighing the new slot's)."""
    if slot is None:
        return row.version
    return row.version * 1000 + min(slot.version, 999)


def calendar(method: str | None = None, name: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    if method:
        cal.add("method", method)
    if name:  # not a TEXT property to icalendar, so it is not escaped: one plain line
        cal.add("x-wr-calname", " ".join(name.split()))
    return cal


@lru_cache(maxsize=512)
def _vtimezone(zone: str, year: int) -> bytes:
    """A zone's VTIMEZONE, transitions from 3 years back to 12 ahead (enough for
    appointments, small enough for a mail attachment), built once per zone and year. Each
    transition is an RDATE line of its own."""
    timezone = Timezone.from_tzid(zone, first_date=date(year - 3, 1, 1),
                                  last_date=date(year + 12, 1, 1))
    for part in timezone.subcomponents:
        listed = part.pop("RDATE", [])
        for rdates in listed if isinstance(listed, list) else [listed]:
            for rdate in rdates.dts:
                part.add("rdate", rdate.dt)
    return timezone.to_ical()


def finish(cal: Calendar) -> bytes:
    """The file, with a VTIMEZONE for every zone its events use, before the first event."""
    body = cal.to_ical()
    zones = sorted(cal.get_used_tzids())
    if not zones:
        return body
    at = body.index(b"BEGIN:VEVENT\r\n")
    year = utcnow().year
    return body[:at] + b"".join(_vtimezone(z, year) for z in zones) + body[at:]


def _local(instant: datetime, zone: str) -> datetime:
    """``instant`` on ``zone``'s wall clock (DTSTART;TZID=...), or in UTC where that wall
    clock reads it wrongly: the second pass of an hour repeated when clocks go back (readers
    take a TZID time as its first pass)."""
    local = instant.astimezone(ZoneInfo(zone))
    if local.replace(fold=0).astimezone(UTC) != instant.astimezone(UTC):
        return instant.astimezone(UTC)
    return local


def slot_event(slot: Slot, *, uid_: str, summary: str, description: str = "",
               sequence_: int = 0, cancelled: bool = False) -> Event:
    event = Event()
    event.add("uid", uid_)
    event.add("dtstamp", utcnow())
    event.add("dtstart", _local(slot.start_utc, slot.timezone))
    event.add("dtend", _local(slot.end_utc, slot.timezone))
    event.add("summary", summary)
    event.add("sequence", sequence_)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    where = slot.place
    if where:
        event.add("location", where)
    if slot.type.online_url:
        event.add("url", slot.type.online_url)
    if description:
        event.add("description", description)
    return event


def booking_event(booking: Booking, domain: str, summary: str, description: str = "") -> Event:
    return slot_event(booking.slot, uid_=uid("booking", booking.id, domain), summary=summary,
                      description=description, sequence_=sequence(booking, booking.slot),
                      cancelled=not booking.active or booking.slot.status == "cancelled")


def booking_file(booking: Booking, domain: str, summary: str, description: str = "", *,
                 organizer: tuple[str, str] | None = None,
                 attendee: tuple[str, str] | None = None,
                 invitation: bool = True) -> tuple[bytes, str]:
    """The .ics of one booking and its METHOD. As an ``invitation`` (the one an email
    carries): REQUEST while it stands, CANCEL once not, with the ``organizer`` and
    ``attendee`` (name, address) it names (RFC 5546): the staff member (or the sender) and
    the student, who has accepted by booking. Otherwise (a file the student downloads to add
    to their calendar): PUBLISH, an event to keep, which programs import without asking who
    invited them."""
    event = booking_event(booking, domain, summary, description)
    method = "PUBLISH" if not invitation else (
        "CANCEL" if event["status"] == "CANCELLED" else "REQUEST")
    if organizer:
        event.add("organizer", vCalAddress(f"mailto:{organizer[1]}"),
                  parameters={"CN": organizer[0]})
    if attendee:
        parameters = {"CN": attendee[0], "ROLE": "REQ-PARTICIPANT", "RSVP": "FALSE"}
        if method == "REQUEST":
            parameters["PARTSTAT"] = "ACCEPTED"
        event.add("attendee", vCalAddress(f"mailto:{attendee[1]}"), parameters=parameters)
    cal = calendar(method)
    cal.add_component(event)
    return finish(cal), method


def series_events(series: Series, slots: list[Slot], occurrences: list[datetime],
                  rule: Recurrence, domain: str, summary: str) -> list[Event]:
    """A series as one recurring event plus overrides. ``occurrences`` are the rule's
    wall-clock starts up to the materialised horizon: those without a live slot become
    EXDATEs; slots whose time differs from their occurrence, and those over a DST change
    (their length is elapsed time, not the wall clock's), become overrides."""
    zone = ZoneInfo(series.timezone)
    duration = rule.duration
    series_uid = uid("series", series.id, domain)
    master = Event()
    master.add("uid", series_uid)
    master.add("dtstamp", utcnow())
    first = rule.first_start().replace(tzinfo=zone)
    master.add("dtstart", first)
    master.add("duration", duration)  # exact time (RFC 5545): the same length across DST
    master.add("summary", summary)
    master.add("rrule", vRecur.from_ical(rule.rfc_rule()))
    master.add("sequence", sequence(series))
    if series.location:
        master.add("location", series.location)
    live = {s.occurrence_local: s for s in slots
            if s.occurrence_local and s.status != "cancelled"}
    exdates = {datetime.fromisoformat(d) for d in series.exdates or ()}
    exdates.update(local for local in occurrences if local not in live)
    overrides = []
    for local, slot in live.items():
        start = local.replace(tzinfo=zone)
        # An occurrence over a DST change is written out too: DURATION is exact time, but
        # some readers add it on the wall clock.
        wall_end = (local + duration).replace(tzinfo=zone).astimezone(UTC)
        if slot.start_utc != start.astimezone(UTC) or slot.end_utc - slot.start_utc != duration \
                or wall_end != slot.end_utc:
            event = slot_event(slot, uid_=series_uid, summary=summary, sequence_=sequence(slot))
            event.add("recurrence-id", start)
            overrides.append(event)
    for local in sorted(exdates):
        master.add("exdate", local.replace(tzinfo=zone))
    return [master, *overrides]


"""Calendar files read the way calendar programs read them, by independent parsers.

Each reader gives the events a file holds that start in [start, end), expanded (RRULE with
RFC 5545's DTSTART rule, EXDATE, RECURRENCE-ID overrides) and without cancelled ones, as a
sorted list of (start, end) in UTC: a list, not a set, so an occurrence shown twice counts.

- ``recurring-ical-events`` (on icalendar, which reads TZIDs from the tz database);
- ``vobject`` (dateutil), which builds each zone from the file's own VTIMEZONE, as a
  calendar program without a tz database does.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import recurring_ical_events
import vobject
import vobject.icalendar
from icalendar import Calendar


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def by_recurring_ical_events(ics: bytes, start: datetime, end: datetime) -> list:
    found = recurring_ical_events.of(Calendar.from_ical(ics)).between(start, end)
    return sorted((_utc(e["DTSTART"].dt), _utc(e["DTEND"].dt)) for e in found
                  if str(e.get("STATUS", "")) != "CANCELLED"
                  and start <= _utc(e["DTSTART"].dt) < end)


def _forget_vobject_zones() -> None:
    """vobject keeps the first VTIMEZONE it met for a TZID for the whole process: forget
    them, so this file's own VTIMEZONEs are read (as by a program opening it afresh)."""
    zones = vars(vobject.icalendar)["__tzidMap"]
    for tzid in [t for t in zones if t != "UTC"]:
        del zones[tzid]


def by_vobject(ics: bytes, start: datetime, end: datetime) -> list:
    _forget_vobject_zones()
    calendar = vobject.readOne(ics.decode())
    masters, overrides, found = [], {}, []
    for event in calendar.vevent_list:
        if "recurrence-id" in event.contents:
            overrides[event.uid.value, _utc(event.recurrence_id.value)] = event
        elif "rrule" in event.contents:
            masters.append(event)
        else:
            found.append(event)
    times = [(_utc(e.dtstart.value), _utc(e.dtend.value)) for e in found
             if not _cancelled(e)]
    for master in masters:
        length = master.duration.value if "duration" in master.contents else (
            _utc(master.dtend.value) - _utc(master.dtstart.value))  # DURATION: exact time
        # addRDate: DTSTART is an occurrence even where the rule does not make it (RFC 5545)
        for when in master.getrruleset(addRDate=True).between(
                start - timedelta(days=1), end, inc=True):
            override = overrides.pop((master.uid.value, _utc(when)), None)
            if override is None:
                times.append((_utc(when), _utc(when) + length))
            elif not _cancelled(override):
                times.append((_utc(override.dtstart.value), _utc(override.dtend.value)))
    times += [(_utc(e.dtstart.value), _utc(e.dtend.value)) for e in overrides.values()
              if not _cancelled(e)]  # overrides of no occurrence the rule makes
    return sorted(t for t in times if start <= t[0] < end)


def _cancelled(event) -> bool:
    return "status" in event.contents and event.status.value.upper() == "CANCELLED"


READERS = {"recurring-ical-events": by_recurring_ical_events, "vobject": by_vobject}


def every_reader(ics: bytes, start: datetime, end: datetime) -> dict[str, list]:
    """What each reader finds in ``ics`` from ``start`` to ``end``, by reader's name."""
    return {name: read(ics, start, end) for name, read in READERS.items()}

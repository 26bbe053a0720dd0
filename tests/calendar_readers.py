"""Calendar files read the way calendar programs read them, by independent parsers.

Each reader gives the events a file holds that start in [start, end), expanded (RRULE with
RFC 5545's DTSTART rule, EXDATE, RECURRENCE-ID overrides) and without cancelled ones, as a
sorted list of (start, end) in UTC: a list, not a set, so an occurrence shown twice counts.

- ``recurring-ical-events`` (on icalendar, which reads TZIDs from the tz database);
- ``vobject`` (dateutil), which builds each zone from the file's own VTIMEZONE, as a
  calendar program without a tz database does;
- ``radicale``: a real CalDAV server (one per test process, started on first use) that
  stores the file's events and expands them itself (a calendar-query REPORT with
  ``expand``), as a phone or a desktop calendar syncing from it sees them.
"""

from __future__ import annotations

import atexit
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import recurring_ical_events
import requests
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


class _Radicale:
    """A Radicale server of this process's own (no authentication: any user name is let in
    and owns its collections; the storage is a temporary folder)."""

    def __init__(self):
        self.folder = tempfile.TemporaryDirectory()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{port}",
             "--auth-type", "none", "--storage-filesystem-folder", self.folder.name,
             "--logging-level", "warning"], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        atexit.register(self.stop)
        self.url = f"http://127.0.0.1:{port}/reader/"
        self.http = requests.Session()
        self.http.auth = ("reader", "")
        deadline = time.monotonic() + 20
        while True:
            try:
                self.http.request("PROPFIND", self.url, headers={"Depth": "0"}, timeout=2)
                return
            except requests.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("Radicale did not start") from None
                time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        self.folder.cleanup()

    def expand(self, ics: bytes, start: datetime, end: datetime) -> list[Calendar]:
        """Store ``ics`` in a new calendar, an object per UID (as CalDAV requires, without
        METHOD), and ask the server for its events in [start, end), expanded."""
        collection = f"{self.url}{uuid.uuid4().hex}/"
        self._ok(self.http.request("MKCALENDAR", collection), 201)
        parsed = Calendar.from_ical(ics)
        zones = [c for c in parsed.subcomponents if c.name == "VTIMEZONE"]
        by_uid: dict[str, list] = {}
        for event in parsed.walk("VEVENT"):
            by_uid.setdefault(str(event["UID"]), []).append(event)
        for number, events in enumerate(by_uid.values()):
            item = Calendar()
            item.add("VERSION", "2.0")
            item.add("PRODID", str(parsed.get("PRODID", "-//tests//EN")))
            for component in zones + events:
                item.add_component(component)
            self._ok(self.http.put(f"{collection}{number}.ics", data=item.to_ical(),
                                   headers={"Content-Type": "text/calendar"}), 201)
        stamp = "%Y%m%dT%H%M%SZ"
        query = f"""<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><C:calendar-data><C:expand start="{start:{stamp}}" end="{end:{stamp}}"/>
  </C:calendar-data></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="{start:{stamp}}" end="{end:{stamp}}"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""
        answer = self.http.request("REPORT", collection, data=query.encode(), headers={
            "Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
        self._ok(answer, 207)
        found = ET.fromstring(answer.content).iter("{urn:ietf:params:xml:ns:caldav}calendar-data")
        return [Calendar.from_ical(data.text) for data in found if data.text]

    @staticmethod
    def _ok(answer: requests.Response, status: int) -> None:
        if answer.status_code != status:
            raise AssertionError(f"Radicale answered {answer.status_code}: {answer.text[:500]}")


_radicale: list[_Radicale] = []


def by_radicale(ics: bytes, start: datetime, end: datetime) -> list:
    if not _radicale:
        _radicale.append(_Radicale())
    times = []
    for calendar in _radicale[0].expand(ics, start, end):
        for event in calendar.walk("VEVENT"):
            if str(event.get("STATUS", "")).upper() == "CANCELLED":
                continue
            begins = _utc(event["DTSTART"].dt)
            ends = _utc(event["DTEND"].dt) if "DTEND" in event else (
                begins + event["DURATION"].dt)
            times.append((begins, ends))
    return sorted(t for t in times if start <= t[0] < end)


READERS = {"recurring-ical-events": by_recurring_ical_events, "vobject": by_vobject,
           "radicale": by_radicale}


def every_reader(ics: bytes, start: datetime, end: datetime) -> dict[str, list]:
    """What each reader finds in ``ics`` from ``start`` to ``end``, by reader's name."""
    return {name: read(ics, start, end) for name, read in READERS.items()}

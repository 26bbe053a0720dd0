"""Calendar files read alike by independent readers: the occurrences that recurring-ical-events,
vobject and a Radicale CalDAV server find in a staff calendar (series with RRULE, EXDATE,
overrides, VTIMEZONEs) and in a booking's file are exactly the slots the API lists, in New York,
Berlin, Lord Howe (30-minute DST), Kolkata (none) and UTC, across DST changes, for daily, weekly
and monthly rules ended by COUNT, by a local or UTC UNTIL, or not at all, and after a "this and
following" edit.

The app's clock is stopped at NOW; series are materialised a year ahead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from calendar_readers import by_vobject, every_reader
from icalendar import Calendar

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
HORIZON = timedelta(days=366)  # the longest range /slots answers
ZONES = ["America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]


@pytest.fixture
def app(make_app):
    """The reference SIS with its clock stopped at NOW."""
    return make_app(SIS_APPOINTMENTS_FIXED_NOW=NOW.isoformat())


@pytest.fixture
def host(make_caller):
    """A staff member whose series are materialised a year ahead."""
    admin = make_caller(role="admin")
    assert admin.put("/system/settings/horizon_days", json={"value": HORIZON.days}
                     ).status_code == 200
    return make_caller(role="staff")


def make_type(caller, zone: str, minutes: int = 30) -> int:
    made = caller.post("/appointment-types", json={
        "name": f"Office hours {zone}", "duration_minutes": minutes, "timezone": zone,
        "hosts": [caller.key]})
    assert made.status_code == 201, made.get_json()
    return made.get_json()["id"]


def make_series(caller, type_id: int, start_local: str, rrule: str, **fields) -> int:
    made = caller.post("/series", json={"type_id": type_id, "host": caller.key,
                                        "start_local": start_local, "rrule": rrule, **fields})
    assert made.status_code == 201, (rrule, made.get_json())
    return made.get_json()["id"]


def api_slots(caller, start=NOW, end=NOW + HORIZON, tz="UTC") -> list[dict]:
    """Every live slot the API lists for the caller's calendar in [start, end)."""
    query = {"start": start.isoformat(), "end": end.isoformat(), "host": caller.key,
             "tz": tz, "limit": 500}
    found = []
    while True:
        page = caller.get("/slots", query_string=query).get_json()
        found += [s for s in page["items"] if s["status"] != "cancelled"]
        if not page["next"]:
            return found
        query["cursor"] = page["next"].split("cursor=")[1].split("&")[0]


def instants(slots: list[dict]) -> list[tuple[datetime, datetime]]:
    return sorted((datetime.fromisoformat(s["start"]).astimezone(UTC),
                   datetime.fromisoformat(s["end"]).astimezone(UTC)) for s in slots)


def host_file(caller) -> bytes:
    answer = caller.get(f"/calendar/hosts/{caller.key}")
    assert answer.status_code == 200
    return answer.data


def _shown(times) -> list[str]:
    return [f"{a:%Y-%m-%d %H:%M}-{b:%H:%M}Z" for a, b in sorted(times)[:4]]


def assert_every_reader_sees_the_api(caller, start=NOW, end=NOW + HORIZON):
    expected = instants(api_slots(caller, start, end))
    assert expected, "the API lists no slot: nothing is compared"
    wrong = {}
    for reader, found in every_reader(host_file(caller), start, end).items():
        if found != expected:
            wrong[reader] = {"extra": _shown(set(found) - set(expected)),
                             "missing": _shown(set(expected) - set(found)),
                             "found": len(found), "expected": len(expected)}
    assert wrong == {}


def occurrence(caller, series_id: int, local_start: str, tz: str) -> dict:
    [slot] = [s for s in api_slots(caller, tz=tz)
              if s["series_id"] == series_id and s["start"].startswith(local_start)]
    return slot


def masters(ics: bytes) -> list:
    return [e for e in Calendar.from_ical(ics).walk("VEVENT") if "RRULE" in e]


# -- 1. UNTIL ---------------------------------------------------------------------------------

def test_a_local_until_ends_a_series_in_every_reader_where_the_api_does(host):
    """The issue's New York daily 20:00 series typed with UNTIL=20271130T235959 (local) lost
    its last occurrence in recurring-ical-events; in Lord Howe and Kolkata it gained one on
    1 December. Exported, UNTIL is in UTC."""
    for zone in ("America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"):
        make_series(host, make_type(host, zone), "2027-11-01T20:00",
                    "FREQ=DAILY;UNTIL=20271130T235959")
    assert_every_reader_sees_the_api(host)
    assert len(api_slots(host)) == 3 * 30
    for master in masters(host_file(host)):
        assert master["RRULE"]["UNTIL"][0].tzinfo is not None  # UTC, "Z"


def test_after_a_this_and_following_edit_the_split_day_shows_once(host):
    """Splitting wrote the head's UNTIL as local wall-clock time, which readers take as UTC:
    in Lord Howe (UTC+10:30/+11) the head then also held the split day's occurrence."""
    kind = make_type(host, "Australia/Lord_Howe")
    daily = make_series(host, kind, "2027-03-25T09:00", "FREQ=DAILY;UNTIL=20270420T235959")
    counted = make_series(host, kind, "2027-03-28T15:00", "FREQ=DAILY;COUNT=10",
                          exdates=["2027-03-29T15:00:00"])
    zone = "Australia/Lord_Howe"
    for series_id, at in ((daily, "2027-04-10T09:00"), (counted, "2027-04-02T15:00")):
        anchor = occurrence(host, series_id, at, zone)
        edited = host.patch(f"/series/occurrences/{anchor['id']}",
                            json={"scope": "following", "location": "Room 9"})
        assert edited.status_code == 200, edited.get_json()
    assert_every_reader_sees_the_api(host)
    starts = [s["start"][:16] for s in api_slots(host, tz=zone)]
    assert starts.count("2027-04-10T09:00") == 1
    # COUNT=10 less the exception date: 9, the last on 6 April (the split counts the
    # excluded occurrence among those before it, as RFC 5545 does)
    assert [s for s in starts if s.endswith("T15:00")][-1] == "2027-04-06T15:00"
    assert len([s for s in starts if s.endswith("T15:00")]) == 9
    untils = [str(m["RRULE"].to_ical(), "ascii") for m in masters(host_file(host))]
    assert "FREQ=DAILY;UNTIL=20270409T222959Z" in untils  # 09:00 +10:30 less a second


# -- 2. A start that is not an occurrence -----------------------------------------------------

def test_a_start_that_is_not_an_occurrence_is_not_exported_as_one(host):
    """start_local Monday 1 March 2027 09:00 with FREQ=WEEKLY;BYDAY=SU;COUNT=3: the API has
    3 occurrences; RFC 5545 counts DTSTART as one, so the file's DTSTART is the first
    Sunday (readers found 4 when it was the Monday)."""
    series_id = make_series(host, make_type(host, "Europe/Berlin"), "2027-03-01T09:00",
                            "FREQ=WEEKLY;BYDAY=SU;COUNT=3")
    assert [s["start"][:16] for s in api_slots(host, tz="Europe/Berlin")] == [
        "2027-03-07T09:00", "2027-03-14T09:00", "2027-03-21T09:00"]
    assert_every_reader_sees_the_api(host)
    [master] = masters(host_file(host))
    assert master["DTSTART"].dt.isoformat() == "2027-03-07T09:00:00+01:00"
    # "this and following" from the first real occurrence edits the series, splits nothing
    first = occurrence(host, series_id, "2027-03-07T09:00", "Europe/Berlin")
    assert host.patch(f"/series/occurrences/{first['id']}",
                      json={"scope": "following", "location": "Room 2"}).status_code == 200
    assert len(masters(host_file(host))) == 1
    assert_every_reader_sees_the_api(host)


# -- 3. VTIMEZONE -----------------------------------------------------------------------------

@pytest.mark.parametrize("zone", ["America/New_York", "Europe/Berlin", "Australia/Lord_Howe"])
def test_a_booking_file_gives_vobject_the_right_time_in_summer_and_winter(host, make_caller,
                                                                          zone):
    """vobject builds the zone from the file's VTIMEZONE and kept only the first date of a
    comma-separated RDATE list: its zones stopped changing, so times were an hour (Lord Howe:
    30 minutes) off. One RDATE per line reads right."""
    kind = make_type(host, zone)
    student = make_caller()
    read, files = [], []
    for month in (1, 7):  # one of them is in summer time
        start = datetime(2027, month, 14, 9, tzinfo=UTC)
        made = host.post("/slots", json={"type_id": kind, "host": host.key,
                                         "start": start.isoformat(),
                                         "end": (start + timedelta(minutes=30)).isoformat(),
                                         "split": False})
        assert made.status_code == 201, made.get_json()
        booked = student.post(f"/slots/{made.get_json()[0]['id']}/bookings")
        assert booked.status_code == 201, booked.get_json()
        files.append(student.get(f"/calendar/bookings/{booked.get_json()['id']}").data)
        read.append((by_vobject(files[-1], NOW, NOW + HORIZON),
                     [(start, start + timedelta(minutes=30))]))
    assert [found == expected for found, expected in read] == [True, True], read
    for ics in files:
        assert b"RDATE:" in ics and not any(
            line.startswith(b"RDATE:") and b"," in line for line in ics.split(b"\r\n"))


# -- every shape in every zone ----------------------------------------------------------------

SHAPES = [  # local start, rule; times of day apart, so no two series collide
    ("2027-03-01T20:00", "FREQ=DAILY;UNTIL=20270405T235959"),  # spring changes, local UNTIL
    ("2027-09-28T09:00", "FREQ=DAILY;COUNT=42"),  # autumn changes (Lord Howe's spring)
    ("2026-12-03T11:00", "FREQ=WEEKLY;BYDAY=TU,TH"),  # open, the whole year
    ("2027-01-04T07:00", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR;UNTIL=20270628T070000"),  # ends ON
    ("2027-03-01T16:00", "FREQ=WEEKLY;BYDAY=SU;COUNT=3"),  # a Monday start, not an occurrence
    ("2026-12-09T14:00", "FREQ=MONTHLY;BYDAY=2WE;UNTIL=20271013T120000Z"),  # UTC UNTIL
    ("2027-01-31T13:00", "FREQ=MONTHLY;BYMONTHDAY=15,31;COUNT=12"),
]


@pytest.mark.parametrize("zone", ZONES)
def test_every_series_shape_reads_alike_in_every_reader(host, zone):
    kind = make_type(host, zone)
    for start_local, rule in SHAPES:
        make_series(host, kind, start_local, rule)
    split = make_series(host, kind, "2027-03-20T18:00", "FREQ=DAILY;UNTIL=20270415T235959")
    anchor = occurrence(host, split, "2027-04-06T18:00", zone)
    assert host.patch(f"/series/occurrences/{anchor['id']}", json={
        "scope": "following", "new_local_start": "2027-04-06T18:30"}).status_code == 200
    one = occurrence(host, split, "2027-03-25T18:00", zone)  # and one occurrence moved
    assert host.patch(f"/series/occurrences/{one['id']}", json={
        "scope": "this", "new_local_start": "2027-03-25T19:00"}).status_code == 200
    assert_every_reader_sees_the_api(host)


# -- 4. lengths across a DST change ------------------------------------------------------------

@pytest.mark.parametrize(("zone", "start_local"), [
    ("America/New_York", "2027-03-12T01:30"),  # spring forward on the 14th, back on 7 Nov
    ("Europe/Berlin", "2027-03-26T01:30"),
    ("Australia/Lord_Howe", "2027-04-01T01:15"),  # half an hour back on 4 April
])
def test_an_hour_long_slot_over_a_dst_change_lasts_an_hour_everywhere(host, zone, start_local):
    """A slot's length is elapsed time: 60 minutes from 01:30 over New York's spring-forward
    night ends at 03:30 EDT (it used to be 02:30 on the wall clock, 0 minutes, or 120)."""
    make_series(host, make_type(host, zone, minutes=60), start_local, "FREQ=DAILY;COUNT=6")
    slots = instants(api_slots(host))
    assert len(slots) == 6 and {end - start for start, end in slots} == {timedelta(hours=1)}
    assert_every_reader_sees_the_api(host)

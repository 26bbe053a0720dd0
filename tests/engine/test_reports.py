"""Reports (services/reports): the figures of a small known world, worked out by hand, on
SQLite and PostgreSQL, including the week New York falls back from EDT to EST; and who may
see which calendars' figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from engine.actors import ADMIN, FakeHost, staff, student

from sis_appointments.contract import SisUser
from sis_appointments.domain.errors import Forbidden, InvalidInput, NotFound
from sis_appointments.models import (
    AppointmentType,
    AuditEntry,
    Booking,
    RoleGrant,
    Slot,
    WaitlistEntry,
)
from sis_appointments.services.reports import catalogue
from sis_appointments.services.reports.scope import Filters, default_range

NEW_YORK = ZoneInfo("America/New_York")
# Monday 26 October to Sunday 8 November 2026 in New York: EDT (UTC-4) until 06:00 UTC on
# Sunday 1 November, EST (UTC-5) after.
RANGE = Filters(date(2026, 10, 26), date(2026, 11, 8))
WEEK1, WEEK2 = date(2026, 10, 26), date(2026, 11, 2)
OFFICES = {"h1": "Advising", "h2": "Writing Centre"}


class Directory(FakeHost):
    """The fake host, also naming staff with their office as their group."""

    def appointments_get_users(self, user_keys):
        return {k: SisUser(key=k, name=f"Host {k}", roles=frozenset({"staff"}),
                           groups=frozenset({OFFICES[k]})) for k in user_keys if k in OFFICES}


@pytest.fixture
def fake_host():
    return Directory()


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def world(session):
    """Two hosts (h1 advising, h2 writing), eight slots, twelve bookings, five waitlist
    places and two moves; see each figure's test for its working."""
    advising = AppointmentType(name="Advising", duration_minutes=30, timezone="America/New_York")
    writing = AppointmentType(name="Writing", duration_minutes=30, timezone="America/New_York")
    session.add_all([advising, writing])
    slots = {}

    def slot(name, kind, host, start, capacity, booked, status="open"):
        slots[name] = Slot(type=kind, host_key=host, start_utc=start,
                           end_utc=start + timedelta(minutes=30), timezone="America/New_York",
                           capacity=capacity, booked=booked, status=status)
        session.add(slots[name])

    slot("S1", advising, "h1", utc(2026, 10, 26, 13), 2, 2)  # Mon 09:00 EDT
    slot("S2", advising, "h1", utc(2026, 11, 2, 14), 2, 1)  # Mon 09:00 EST
    slot("S3", writing, "h2", utc(2026, 11, 1, 6, 30), 1, 1)  # Sun 01:30 EST (the 2nd 01:30)
    slot("S4", writing, "h2", utc(2026, 11, 1, 5, 30), 1, 0)  # Sun 01:30 EDT (the 1st)
    slot("S5", writing, "h2", utc(2026, 11, 1, 3, 30), 1, 1)  # Sat 31 Oct 23:30 EDT
    slot("S6", advising, "h1", utc(2026, 11, 3, 15), 3, 0, "cancelled")  # Tue 10:00 EST
    slot("S7", advising, "h1", utc(2026, 11, 9, 14), 1, 1)  # Mon 9 Nov: after the range
    slot("S8", advising, "h1", utc(2026, 10, 26, 3, 30), 1, 1)  # Sun 25 Oct 23:30: before
    session.flush()
    bookings = {}

    def book(name, where, who, status, ahead, cancelled_by=None):
        at = slots[where].start_utc
        bookings[name] = Booking(slot_id=slots[where].id, student_key=who, status=status,
                                 created_at=at - ahead, cancelled_by=cancelled_by)
        session.add(bookings[name])

    hours, days = (lambda n: timedelta(hours=n)), (lambda n: timedelta(days=n))
    book("b1", "S1", "st1", "attended", hours(2))
    book("b2", "S1", "st2", "no_show", days(2))
    book("b3", "S1", "st3", "late_cancelled", days(10), "st3")
    book("b4", "S2", "st1", "confirmed", timedelta(minutes=30))
    book("b5", "S2", "st4", "cancelled", days(5), "st4")
    book("b6", "S3", "st2", "attended", days(20))
    book("b7", "S4", "st5", "cancelled", days(40), "h2")
    book("b8", "S5", "st6", "excused", hours(2))
    book("b9", "S5", "st7", "cancelled", hours(2))  # by the system (student left the SIS)
    book("b10", "S6", "st8", "cancelled", hours(2), "h1")
    book("b11", "S7", "st1", "confirmed", hours(2))
    book("b12", "S8", "st2", "confirmed", hours(2))
    session.flush()
    for name, action in (("b4", "booking.rescheduled"), ("b11", "booking.moved"),
                         ("b6", "booking.created")):
        session.add(AuditEntry(action=action, entity_type="booking",
                               entity_id=str(bookings[name].id), at=utc(2026, 10, 1)))
    for where, who, status in (("S3", "st9", "expired"), ("S3", "st1", "promoted"),
                               ("S1", "st9", "removed"), ("S1", "st2", "left"),
                               ("S2", "st9", "waiting")):
        session.add(WaitlistEntry(slot_id=slots[where].id, student_key=who, status=status))
    session.commit()
    return slots


def tables(session, actor=ADMIN, filters=RANGE, name=None):
    page = catalogue.report(session, actor=actor, filters=filters, zone=NEW_YORK, name=name)
    return {t.name: t for t in page.tables}


def column(table, key):
    i = table.column(key)
    return [row[i] for row in table.rows]


def test_the_heatmap_puts_bookings_at_their_local_weekday_and_hour_across_dst(session, world):
    heatmap = tables(session, name="usage")["heatmap"]
    cells = {(row[0], day): n for row in heatmap.rows
             for day, n in zip(range(7), row[1:], strict=True) if n}
    # Monday 09:00 in both weeks (13:00 UTC in EDT, 14:00 UTC in EST): S1's two active
    # bookings and S2's one; both 01:30s of the fall-back Sunday in the 01 hour (only S3's
    # booking is active); S5 is Saturday 23:30 local though Sunday in UTC.
    assert cells == {(9, 0): 3, (1, 6): 1, (23, 5): 1}
    assert column(heatmap, "hour") == list(range(1, 24))
    assert heatmap.extra["max"] == 3


def test_weekly_seats_and_utilisation(session, world):
    weekly = tables(session, name="usage")["weekly"]
    assert weekly.rows == [
        (WEEK1, 4, 5, 4, 80.0),  # S1, S3, S4, S5: 5 seats; b1 b2 b6 b8 hold 4
        (WEEK2, 1, 2, 1, 50.0),  # S2 (S6 is cancelled: no seats offered); b4
    ]


def test_summary(session, world):
    summary = {row[0]: row[2] for row in tables(session)["summary"].rows}
    assert summary == {"slots": 5, "offered": 7, "booked": 5, "utilisation": 71.4,
                       "bookings": 5, "cancelled": 4, "late_cancelled": 1, "attended": 2,
                       "no_show": 1, "no_show_rate": 33.3}


def test_no_show_and_late_cancellation_rates_by_type_host_and_month(session, world):
    found = tables(session, name="attendance")
    by_type = {row[1]: row[2:] for row in found["attendance_by_type"].rows}
    # bookings, attended, no-shows, excused, late, no-show rate, late rate
    assert by_type == {"Advising": (6, 1, 1, 0, 1, 50.0, 16.7),
                       "Writing": (4, 1, 0, 1, 0, 0.0, 0.0)}
    by_host = {row[0]: row[2:] for row in found["attendance_by_host"].rows}
    assert by_host == {"h1": (6, 1, 1, 0, 1, 50.0, 16.7), "h2": (4, 1, 0, 1, 0, 0.0, 0.0)}
    assert [row[1] for row in found["attendance_by_host"].rows] == ["Host h1", "Host h2"]
    # S5 is 31 October in New York (1 November in UTC)
    assert found["attendance_by_month"].rows == [
        ("2026-10", 5, 1, 1, 1, 1, 50.0, 20.0), ("2026-11", 5, 1, 0, 0, 0, 0.0, 0.0)]


def test_lead_time_buckets(session, world):
    lead = tables(session, name="lead-time")["lead_time"]
    assert [row[1:] for row in lead.rows] == [
        (1, 0, 10.0), (4, 2, 40.0), (1, 0, 10.0), (1, 1, 10.0), (1, 1, 10.0), (1, 0, 10.0),
        (1, 1, 10.0)]


def test_cancellations_by_whom_and_reschedules_per_week(session, world):
    rows = tables(session, name="cancellations")["cancellations"].rows
    # bookings, by the student in time, late, by staff, by the system, rescheduled
    assert rows == [(WEEK1, 7, 0, 1, 1, 1, 0), (WEEK2, 3, 1, 0, 1, 0, 1)]


def test_waitlist_demand_and_students_who_never_got_a_seat(session, world):
    waitlist = tables(session, name="waitlist")["waitlist"]
    # week 1: st9 twice without a seat, st2 (holds a booking in S1), st1 (promoted)
    assert waitlist.rows == [(WEEK1, 5, 4, 80.0, 4, 3, 1, 1), (WEEK2, 2, 1, 50.0, 1, 1, 0, 1)]
    assert waitlist.extra["unmet"] == 1


def test_busiest_hosts_and_types(session, world):
    found = tables(session, name="busiest")
    assert found["busiest_hosts"].rows == [("h1", "Host h1", 2, 4, 3, 75.0, 1),
                                           ("h2", "Host h2", 3, 3, 2, 66.7, 0)]
    assert [row[1:] for row in found["busiest_types"].rows] == [
        ("Advising", 2, 4, 3, 75.0, 1), ("Writing", 3, 3, 2, 66.7, 0)]


def test_filters_narrow_to_a_host_an_office_or_a_type(session, world):
    def figures(**narrow):
        summary = tables(session, filters=Filters(RANGE.start, RANGE.end, **narrow))["summary"]
        return {row[0]: row[2] for row in summary.rows}

    assert figures(host="h1")["offered"] == 4
    assert figures(office="Writing Centre")["offered"] == 3
    assert figures(office="Nowhere")["offered"] == 0
    writing = session.query(AppointmentType.id).filter_by(name="Writing").scalar()
    assert figures(type_id=writing)["booked"] == 2
    page = catalogue.report(session, actor=ADMIN, filters=RANGE, zone=NEW_YORK)
    assert page.scope.offices == ["Advising", "Writing Centre"]
    assert page.scope.host_names == {"h1": "Host h1", "h2": "Host h2"}


def test_staff_see_only_the_calendars_they_manage(session, world):
    own = {row[0]: row[2] for row in tables(session, actor=staff("h1"))["summary"].rows}
    assert own["offered"] == 4 and own["attended"] == 1
    with pytest.raises(Forbidden):
        tables(session, actor=staff("h1"), filters=Filters(RANGE.start, RANGE.end, host="h2"))
    with pytest.raises(Forbidden):
        tables(session, actor=student("st1"))
    with pytest.raises(Forbidden):
        catalogue.table_rows(session, actor=student("st1"), filters=RANGE, zone=NEW_YORK,
                             table="weekly")
    session.add(RoleGrant(user_key="h1", grant="manage_calendar", target_key="h2"))
    session.commit()
    granted = {row[0]: row[2] for row in tables(session, actor=staff("h1"))["summary"].rows}
    assert granted["offered"] == 7
    hosts = tables(session, actor=staff("h1"), filters=Filters(RANGE.start, RANGE.end,
                                                               host="h2"))
    assert hosts["summary"].rows[1][2] == 3


def test_csv_rows_have_every_row_with_keys_and_names(session, world):
    rows = catalogue.table_rows(session, actor=ADMIN, filters=RANGE, zone=NEW_YORK,
                                table="attendance_by_host")
    assert rows[0][:3] == ["Host key", "Host", "Bookings"]
    assert rows[1][:3] == ["h1", "Host h1", 6]
    weekly = catalogue.table_rows(session, actor=ADMIN, filters=RANGE, zone=NEW_YORK,
                                  table="weekly")
    assert weekly[1][0] == "2026-10-26"


def test_bad_ranges_and_unknown_reports_are_refused(session, world):
    with pytest.raises(InvalidInput):
        tables(session, filters=Filters(date(2026, 11, 8), date(2026, 11, 1)))
    with pytest.raises(InvalidInput):
        tables(session, filters=Filters(date(2020, 1, 1), date(2026, 1, 1)))
    with pytest.raises(NotFound):
        tables(session, name="nothing")
    with pytest.raises(NotFound):
        catalogue.table_rows(session, actor=ADMIN, filters=RANGE, zone=NEW_YORK, table="x")


def test_the_default_range_is_this_week_and_the_seven_before():
    assert default_range(date(2026, 12, 1)) == (date(2026, 10, 12), date(2026, 12, 6))

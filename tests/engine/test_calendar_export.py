"""Calendar files read back by independent readers (recurring-ical-events, vobject, Radicale): a
staff calendar's series, expanded, gives exactly the slots, across DST and after edits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import vobject
from calendar_readers import READERS, every_reader
from engine.actors import ADMIN, staff, student
from icalendar import Calendar
from sqlalchemy import select

from sis_appointments.models import Slot
from sis_appointments.services.platform import settings
from sis_appointments.services.reports import calendars
from sis_appointments.services.scheduling import appointment_types, booking, series, slots

NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)
ZONES = ["America/New_York", "Europe/Berlin", "Australia/Sydney"]


def live_slots(session, series_id):
    return sorted((s.start_utc, s.end_utc) for s in session.scalars(select(Slot).where(
        Slot.series_id == series_id, Slot.status != "cancelled")))


@pytest.mark.parametrize("zone", ZONES)
def test_a_series_exported_with_rrule_expands_to_exactly_its_slots(session, zone):
    settings.put(session, actor=ADMIN, key="horizon_days", value=300)
    kind = appointment_types.create(session, actor=ADMIN, name="Office hours", duration_minutes=45,
                        timezone=zone, hosts=["host1"])
    made = series.create(session, actor=ADMIN, type_id=kind.id, host_key="host1",
                         start_local=datetime(2026, 1, 6, 9), timezone=zone,
                         rrule="FREQ=WEEKLY;BYDAY=TU,TH", exdates=["2026-01-13T09:00:00"],
                         now=NOW)
    found = session.scalars(select(Slot).where(Slot.series_id == made.id)
                            .order_by(Slot.start_utc)).all()
    # one occurrence moved an hour later, one cancelled, one dropped by an exception date
    series.edit(session, actor=ADMIN, slot_id=found[3].id, scope="this",
                new_local_start=found[3].occurrence_local + timedelta(hours=1), now=NOW)
    slots.cancel(session, actor=ADMIN, slot_id=found[5].id, reason="holiday")
    session.expire_all()

    ics = calendars.user_calendar(session, staff("host1"), "uni.example", now=NOW)
    horizon = session.get(type(made), made.id).materialised_until
    assert every_reader(ics, NOW, horizon) == dict.fromkeys(
        READERS, live_slots(session, made.id))
    parsed = Calendar.from_ical(ics)
    [master] = [e for e in parsed.walk("VEVENT") if "RRULE" in e]
    assert master["DTSTART"].params["TZID"] == zone
    assert [tz["TZID"] for tz in parsed.walk("VTIMEZONE")] == [zone]
    assert len([e for e in parsed.walk("VEVENT") if "RECURRENCE-ID" in e]) == 1


def test_a_students_feed_holds_their_bookings_in_the_slot_zone_and_marks_cancellations(
        session, create_slot):
    kept = create_slot(start=NOW + timedelta(days=2), host_key="host1",
                       timezone="Europe/Berlin")
    dropped = create_slot(start=NOW + timedelta(days=3), host_key="host1")
    other = create_slot(start=NOW + timedelta(days=4), host_key="host1")
    booking.book(session, actor=student("s1"), slot_id=kept.id, now=NOW)
    gone = booking.book(session, actor=student("s1"), slot_id=dropped.id, now=NOW)
    booking.book(session, actor=student("s2"), slot_id=other.id, now=NOW)
    booking.cancel(session, actor=student("s1"), booking_id=gone.id, now=NOW)

    feed = vobject.readOne(calendars.user_calendar(session, student("s1"), "uni.example",
                                                   now=NOW).decode())
    events = {e.uid.value: e for e in feed.vevent_list}
    assert set(events) == {f"booking-{b}@uni.example" for b in (1, 2)}, "not s2's booking"
    first = events["booking-1@uni.example"]
    assert first.dtstart.value == kept.start_utc
    assert first.dtstart.params["X-VOBJ-ORIGINAL-TZID"] == ["Europe/Berlin"]
    assert events["booking-2@uni.example"].status.value == "CANCELLED"


def test_names_with_line_breaks_make_valid_files(session, create_slot):
    slot = create_slot(start=NOW + timedelta(days=2), host_key="host\nx")
    booking.book(session, actor=student("s1"), slot_id=slot.id, now=NOW)
    made = calendars.host_calendar(session, actor=ADMIN, host_key="host\nx", domain="u.example",
                                   now=NOW)
    assert "X-WR-CALNAME:Appointments of host x" in made.decode()
    assert len(vobject.readOne(made.decode()).vevent_list) == 1

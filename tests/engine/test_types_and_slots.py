"""Appointment types, custom slots, capacity and slot changes, cancelling slots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from engine.actors import ADMIN, NOW, at, staff, student
from sqlalchemy import select

from sis_appointments.domain.errors import Conflict, Forbidden, InvalidInput
from sis_appointments.models import AuditEntry, Booking, Slot, WaitlistEntry
from sis_appointments.services.scheduling import appointment_types, booking, slots, waitlist


def make_type(session, actor=ADMIN, **fields):
    base = {"name": "Advising", "duration_minutes": 20, "timezone": "America/New_York",
            "hosts": ["host1"]}
    return appointment_types.create(session, actor=actor, **{**base, **fields})


@pytest.mark.parametrize("fields,message", [
    ({"duration_minutes": 0}, "duration_minutes must be a whole number of at least 1"),
    ({"capacity": 0}, "capacity must be a whole number of at least 1"),
    ({"buffer_after_minutes": -5}, "buffer_after_minutes must be a whole number of at least 0"),
    ({"timezone": "Moon/Base"}, "'Moon/Base' is not an IANA time zone"),
    ({"name": "  "}, "a name is required"),
    ({"hosts": []}, "name at least one host"),
    ({"colour": "red"}, "colour must look like #1a2b3c"),
    ({"eligibility": {"years": [1]}}, "eligibility takes 'programs' and 'cohorts' lists"),
    ({"capacity": True}, "capacity must be a whole number"),
    ({"status": "x"}, "unknown fields: status"),
])
def test_impossible_types_are_refused_precisely(session, fields, message):
    with pytest.raises(InvalidInput) as error:
        make_type(session, **fields)
    assert message in error.value.message


def test_staff_create_types_for_their_own_calendar(session):
    assert make_type(session, actor=staff("host1")).hosts[0].host_key == "host1"
    with pytest.raises(Forbidden):
        make_type(session, actor=staff("host1"), hosts=["host2"])
    with pytest.raises(Forbidden):
        make_type(session, actor=student("s1"))


def test_update_type_with_version_check_and_audit(session):
    made = make_type(session)
    changed = appointment_types.update(session, actor=ADMIN, type_id=made.id, expected_version=1,
                           capacity=4, description="Group session")
    assert (changed.capacity, changed.version) == (4, 2)
    with pytest.raises(Conflict, match="changed since you read it"):
        appointment_types.update(session, actor=ADMIN, type_id=made.id, expected_version=1,
                                 capacity=5)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "type.updated")).one()
    assert (entry.before["capacity"], entry.after["capacity"]) == (1, 4)


def test_splitting_an_afternoon_into_slots(session):
    with_buffer = make_type(session, buffer_after_minutes=5)
    made = slots.create_custom(session, actor=staff("host1"), type_id=with_buffer.id,
                               host_key="host1", start=datetime(2030, 5, 6, 17, tzinfo=UTC),
                               end=datetime(2030, 5, 6, 21, tzinfo=UTC))
    assert len(made) == 9
    assert [s.start_utc.strftime("%H:%M") for s in made][:3] == ["17:00", "17:25", "17:50"]
    assert made[-1].end_utc.strftime("%H:%M") == "20:40"


def test_a_range_over_the_spring_forward_night_makes_slots_of_their_length(session):
    """Given in New York's wall clock, 01:00 EST to 04:00 EDT on 12 March 2034 is two hours:
    two 60-minute slots (it used to fail with the database's end-after-start check)."""
    hour = make_type(session, duration_minutes=60)
    new_york = ZoneInfo("America/New_York")
    made = slots.create_custom(session, actor=ADMIN, type_id=hour.id, host_key="host1",
                               start=datetime(2034, 3, 12, 1, tzinfo=new_york),
                               end=datetime(2034, 3, 12, 4, tzinfo=new_york))
    assert [(s.start_utc.astimezone(UTC).hour, s.end_utc.astimezone(UTC).hour)
            for s in made] == [(6, 7), (7, 8)]


def test_custom_ranges_validate(session):
    made = make_type(session)
    start = datetime(2030, 5, 6, 17, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="end must be after the start"):
        slots.create_custom(session, actor=ADMIN, type_id=made.id, host_key="host1",
                            start=start, end=start)
    with pytest.raises(InvalidInput, match="shorter than one slot"):
        slots.create_custom(session, actor=ADMIN, type_id=made.id, host_key="host1",
                            start=start, end=start + timedelta(minutes=10))
    with pytest.raises(InvalidInput, match="not a host"):
        slots.create_custom(session, actor=ADMIN, type_id=made.id, host_key="someone",
                            start=start, end=start + timedelta(hours=1))


def test_a_hosts_slots_may_not_overlap_buffers_included(session):
    buffered = make_type(session, buffer_before_minutes=10, duration_minutes=30)
    start = datetime(2030, 5, 6, 15, tzinfo=UTC)
    slots.create_custom(session, actor=ADMIN, type_id=buffered.id, host_key="host1",
                        start=start, end=start + timedelta(minutes=30), split=False)
    with pytest.raises(Conflict) as error:  # starts when the first ends: its buffer overlaps
        slots.create_custom(session, actor=ADMIN, type_id=buffered.id, host_key="host1",
                            start=start + timedelta(minutes=30),
                            end=start + timedelta(minutes=60), split=False)
    assert error.value.details["clashes"][0]["kind"] == "host_overlap"
    assert slots.create_custom(session, actor=ADMIN, type_id=buffered.id, host_key="host1",
                               start=start + timedelta(minutes=40),
                               end=start + timedelta(minutes=70), split=False)


def test_a_location_may_not_be_double_used(session):
    room = make_type(session, hosts=["host1", "host2"], location="Room 5")
    start = datetime(2030, 5, 6, 15, tzinfo=UTC)
    slots.create_custom(session, actor=ADMIN, type_id=room.id, host_key="host1", start=start,
                        end=start + timedelta(minutes=20))
    with pytest.raises(Conflict) as error:
        slots.create_custom(session, actor=ADMIN, type_id=room.id, host_key="host2",
                            start=start + timedelta(minutes=10), end=start + timedelta(minutes=30))
    assert error.value.details["clashes"][0]["kind"] == "location_overlap"
    assert slots.create_custom(session, actor=ADMIN, type_id=room.id, host_key="host2",
                               start=start, end=start + timedelta(minutes=20), location="Room 6")


def test_capacity_cannot_drop_below_bookings_and_raising_it_promotes(session, create_slot):
    slot = create_slot(start=at(2), capacity=1, host_key="host1")
    booking.book(session, actor=student("s1"), slot_id=slot.id, now=NOW)
    entry = waitlist.join(session, actor=student("s2"), slot_id=slot.id, now=NOW)
    booking.book(session, actor=ADMIN, slot_id=create_slot(start=at(3), capacity=2).id,
                 student_key="s9", now=NOW)
    slots.update(session, actor=staff("host1"), slot_id=slot.id, capacity=2)
    session.expire_all()
    assert session.get(WaitlistEntry, entry.id).status == "promoted"
    assert session.get(Slot, slot.id).booked == 2


def test_lowering_capacity_below_bookings_is_refused(session, create_slot):
    slot = create_slot(start=at(2), capacity=3, host_key="host1")
    for key in ("s1", "s2"):
        booking.book(session, actor=student(key), slot_id=slot.id, now=NOW)
    with pytest.raises(Conflict) as error:
        slots.update(session, actor=staff("host1"), slot_id=slot.id, capacity=1)
    assert (error.value.code, error.value.details) == ("capacity_below_bookings", {"booked": 2})


def test_moving_a_slot_keeps_its_bookings_and_reports_student_conflicts(
    session, create_slot, fake_host
):
    slot = create_slot(start=at(2), minutes=60, host_key="host1")
    other = create_slot(start=at(3), minutes=60, host_key="host2", location="Room 2")
    made = booking.book(session, actor=student("s1"), slot_id=slot.id, now=NOW)
    other_booking = booking.book(session, actor=student("s1"), slot_id=other.id, now=NOW)
    found = slots.update(session, actor=staff("host1"), slot_id=slot.id,
                         start=at(3, 0.5), end=at(3, 1.5))
    assert found == [{"kind": "student_overlap", "booking_ids": sorted([made.id,
                      other_booking.id]), "student_key": "s1"}]
    session.expire_all()
    assert session.get(Booking, made.id).slot_id == slot.id
    assert session.get(Slot, slot.id).start_utc == at(3, 0.5)


def test_cancelling_a_slot_cancels_bookings_and_closes_its_waitlist(session, create_slot):
    slot = create_slot(start=at(2), capacity=1, host_key="host1")
    made = booking.book(session, actor=student("s1"), slot_id=slot.id, now=NOW)
    entry = waitlist.join(session, actor=student("s2"), slot_id=slot.id, now=NOW)
    with pytest.raises(Forbidden):
        slots.cancel(session, actor=staff("host2"), slot_id=slot.id)
    slots.cancel(session, actor=staff("host1"), slot_id=slot.id, reason="advisor ill")
    session.expire_all()
    assert session.get(Booking, made.id).status == "cancelled"
    assert session.get(Booking, made.id).cancel_reason == "advisor ill"
    assert session.get(WaitlistEntry, entry.id).status == "removed"
    assert (session.get(Slot, slot.id).status, session.get(Slot, slot.id).booked) == (
        "cancelled", 0)
    with pytest.raises(Conflict, match="not open"):
        booking.book(session, actor=student("s3"), slot_id=slot.id, now=NOW)

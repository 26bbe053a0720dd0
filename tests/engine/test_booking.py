"""Booking, cancelling, rescheduling and attendance through the service layer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from engine.actors import ADMIN, NOW, at, staff, student
from sqlalchemy import select

from sis_appointments.contract import BusyTime
from sis_appointments.domain.errors import Conflict, Forbidden, NotFound, RuleViolation
from sis_appointments.models import AuditEntry, Booking, Slot
from sis_appointments.services.scheduling import booking


def seats(session, slot):
    session.expire_all()
    return session.get(Slot, slot.id).booked


def test_student_books_a_seat(session, create_slot):
    slot = create_slot(start=at(2), capacity=2)
    made = booking.book(session, actor=student("s1"), slot_id=slot.id, now=NOW)
    assert (made.student_key, made.status, made.booked_by) == ("s1", "confirmed", "s1")
    assert seats(session, slot) == 1
    entry = session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.actor_key, entry.entity_id) == ("booking.created", "s1",
                                                                str(made.id))


def test_full_slot_is_a_conflict_with_the_current_state(session, create_slot):
    slot = create_slot(start=at(2), capacity=1)
    booking.book(session, actor=student("s1"), slot_id=slot.id, now=NOW)
    with pytest.raises(Conflict) as error:
        booking.book(session, actor=student("s2"), slot_id=slot.id, now=NOW)
    assert error.value.code == "slot_full"
    assert error.value.details == {"slot_id": slot.id, "capacity": 1, "booked": 1,
                                   "remaining": 0, "waitlist_length": 0, "status": "open"}
    assert seats(session, slot) == 1


def test_booking_twice_is_refused_and_changes_nothing(session, create_slot):
    slot = create_slot(start=at(2), capacity=3)
    booking.book(session, actor=student("s1"), slot_id=slot.id, now=NOW)
    with pytest.raises(Conflict, match="already holds this slot"):
        booking.book(session, actor=student("s1"), slot_id=slot.id, now=NOW)
    assert seats(session, slot) == 1


def test_a_student_cannot_book_for_someone_else(session, create_slot):
    slot = create_slot(start=at(2))
    with pytest.raises(Forbidden):
        booking.book(session, actor=student("s1"), slot_id=slot.id, student_key="s2", now=NOW)


def test_staff_book_for_a_student_on_their_own_calendar_only(session, create_slot):
    mine = create_slot(start=at(2), host_key="host1")
    theirs = create_slot(start=at(3), host_key="host2")
    made = booking.book(session, actor=staff("host1"), slot_id=mine.id, student_key="s1",
                        now=NOW)
    assert made.booked_by == "host1"
    with pytest.raises(Forbidden):
        booking.book(session, actor=staff("host1"), slot_id=theirs.id, student_key="s1", now=NOW)
    assert booking.book(session, actor=ADMIN, slot_id=theirs.id, student_key="s1", now=NOW)


@pytest.mark.parametrize("fields,start,code", [
    ({"min_notice_minutes": 120}, NOW + timedelta(minutes=90), "too_late_to_book"),
    ({"max_advance_days": 30}, NOW + timedelta(days=31), "too_early_to_book"),
    ({}, NOW - timedelta(minutes=5), "slot_in_past"),
])
def test_booking_window(session, create_type, create_slot, fields, start, code):
    slot = create_slot(start=start, type=create_type(hosts=("1",), **fields))
    with pytest.raises(RuleViolation) as error:
        booking.book(session, actor=student("s1"), slot_id=slot.id, now=NOW)
    assert error.value.code == code
    assert seats(session, slot) == 0


def test_eligibility_by_program_and_cohort(session, create_type, create_slot, fake_host):
    nursing = create_type(eligibility={"programs": ["BN Nursing"]})
    slot = create_slot(start=at(2), type=nursing)
    with pytest.raises(RuleViolation, match="other programs"):
        booking.book(session, actor=student("s1"), slot_id=slot.id, now=NOW)
    cohort = create_slot(start=at(3), type=create_type(eligibility={"cohorts": ["2025"]}))
    assert booking.book(session, actor=student("s1"), slot_id=cohort.id, now=NOW)


def test_inactive_students_cannot_book_even_with_override(session, create_slot, fake_host):
    fake_host.inactive.add("gone")
    slot = create_slot(start=at(2))
    with pytest.raises(RuleViolation, match="not an active student"):
        booking.book(session, actor=ADMIN, slot_id=slot.id, student_key="gone",
                     override_reason="they asked", now=NOW)


def test_limits_active_per_day_and_per_week(session, create_type, create_slot):
    limited = create_type(max_active_per_student=2, max_per_student_per_day=1,
                          max_per_student_per_week=2)
    monday = create_slot(start=at(7), type=limited)
    monday_later = create_slot(start=at(7, 3), type=limited)
    tuesday = create_slot(start=at(8), type=limited)
    thursday = create_slot(start=at(10), type=limited)
    booking.book(session, actor=student("s1"), slot_id=monday.id, now=NOW)
    with pytest.raises(RuleViolation) as day:
        booking.book(session, actor=student("s1"), slot_id=monday_later.id, now=NOW)
    assert day.value.code == "limit_day"
    booking.book(session, actor=student("s1"), slot_id=tuesday.id, now=NOW)
    with pytest.raises(RuleViolation) as active:
        booking.book(session, actor=student("s1"), slot_id=thursday.id, now=NOW)
    assert active.value.code == "limit_active"


def test_weekly_limit(session, create_type, create_slot):
    weekly = create_type(max_per_student_per_week=1)
    booking.book(session, actor=student("s1"), slot_id=create_slot(start=at(7), type=weekly).id,
                 now=NOW)
    with pytest.raises(RuleViolation) as error:
        booking.book(session, actor=student("s1"),
                     slot_id=create_slot(start=at(9), type=weekly).id, now=NOW)
    assert error.value.code == "limit_week"
    assert booking.book(session, actor=student("s1"),
                        slot_id=create_slot(start=at(14), type=weekly).id, now=NOW)


def test_busy_times_block_booking_unless_staff_override(session, create_slot, fake_host):
    slot = create_slot(start=at(2), minutes=30)
    fake_host.busy["s1"] = [BusyTime(at(2) - timedelta(minutes=10), at(2, 1), "CHEM 101")]
    with pytest.raises(RuleViolation, match="busy then \\(CHEM 101\\)"):
        booking.book(session, actor=student("s1"), slot_id=slot.id, now=NOW)
    with pytest.raises(RuleViolation, match="needs a reason"):
        booking.book(session, actor=staff("1"), slot_id=slot.id, student_key="s1",
                     override_reason=" ", now=NOW)
    made = booking.book(session, actor=staff("1"), slot_id=slot.id, student_key="s1",
                        override_reason="class cancelled this week", now=NOW)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.entity_id == str(made.id))).one()
    assert entry.reason == "class cancelled this week"


def test_students_cannot_override(session, create_slot):
    with pytest.raises(Forbidden):
        booking.book(session, actor=student("s1"), slot_id=create_slot(start=at(2)).id,
                     override_reason="please", now=NOW)


def test_overlapping_bookings_are_refused_even_with_override(session, create_slot):
    first = create_slot(start=at(2), minutes=60, host_key="a")
    overlapping = create_slot(start=at(2, 0.5), minutes=60, host_key="b")
    adjacent = create_slot(start=at(2, 1), minutes=60, host_key="c")
    booking.book(session, actor=student("s1"), slot_id=first.id, now=NOW)
    with pytest.raises(Conflict) as error:
        booking.book(session, actor=ADMIN, slot_id=overlapping.id, student_key="s1",
                     override_reason="x", now=NOW)
    assert error.value.code == "student_overlap"
    assert seats(session, overlapping) == 0
    assert booking.book(session, actor=student("s1"), slot_id=adjacent.id, now=NOW)


def test_cancel_frees_the_seat_and_late_cancel_is_recorded(session, create_type, create_slot):
    strict = create_type(cancel_cutoff_minutes=24 * 60)
    early = create_slot(start=at(3), type=strict)
    soon = create_slot(start=at(0, 2), type=strict)
    a = booking.book(session, actor=student("s1"), slot_id=early.id, now=NOW)
    b = booking.book(session, actor=student("s1"), slot_id=soon.id, now=NOW)
    assert booking.cancel(session, actor=student("s1"), booking_id=a.id, now=NOW).status == \
        "cancelled"
    assert booking.cancel(session, actor=student("s1"), booking_id=b.id, reason="ill",
                          now=NOW).status == "late_cancelled"
    assert seats(session, early) == 0 and seats(session, soon) == 0
    with pytest.raises(Conflict, match="not active"):
        booking.cancel(session, actor=student("s1"), booking_id=a.id, now=NOW)


def test_staff_cancelling_late_is_not_the_students_late_cancellation(
    session, create_type, create_slot
):
    soon = create_slot(start=at(0, 2), type=create_type(cancel_cutoff_minutes=24 * 60),
                       host_key="host1")
    made = booking.book(session, actor=student("s1"), slot_id=soon.id, now=NOW)
    done = booking.cancel(session, actor=staff("host1"), booking_id=made.id, reason="ill",
                          now=NOW)
    assert (done.status, done.cancelled_by, done.cancel_reason) == ("cancelled", "host1", "ill")


def test_others_cannot_cancel_a_students_booking_nor_learn_it_exists(session, create_slot):
    made = booking.book(session, actor=student("s1"), slot_id=create_slot(start=at(2)).id,
                        now=NOW)
    for intruder in (student("s2"), staff("not-the-host")):
        with pytest.raises(NotFound):
            booking.cancel(session, actor=intruder, booking_id=made.id, now=NOW)


def test_reschedule_moves_atomically(session, create_slot):
    old = create_slot(start=at(2), host_key="h")
    new = create_slot(start=at(3), host_key="h")
    full = create_slot(start=at(4), host_key="h")
    made = booking.book(session, actor=student("s1"), slot_id=old.id, now=NOW)
    booking.book(session, actor=student("s2"), slot_id=full.id, now=NOW)
    with pytest.raises(Conflict, match="new slot is full"):
        booking.reschedule(session, actor=student("s1"), booking_id=made.id,
                           target_slot_id=full.id, now=NOW)
    assert (seats(session, old), seats(session, full)) == (1, 1)
    moved = booking.reschedule(session, actor=student("s1"), booking_id=made.id,
                               target_slot_id=new.id, now=NOW)
    assert (moved.id, moved.slot_id) == (made.id, new.id)
    assert (seats(session, old), seats(session, new)) == (0, 1)


def test_reschedule_into_an_overlapping_slot_of_ones_own_booking_is_fine(
    session, create_slot
):
    old = create_slot(start=at(2), minutes=60, host_key="a")
    later_half = create_slot(start=at(2, 0.5), minutes=60, host_key="b")
    made = booking.book(session, actor=student("s1"), slot_id=old.id, now=NOW)
    assert booking.reschedule(session, actor=student("s1"), booking_id=made.id,
                              target_slot_id=later_half.id, now=NOW).slot_id == later_half.id


def test_attendance_marks_are_reversible_and_audited(session, create_slot):
    slot = create_slot(start=at(1), host_key="host1")
    made = booking.book(session, actor=student("s1"), slot_id=slot.id, now=NOW)
    with pytest.raises(RuleViolation, match="once the appointment has started"):
        booking.mark_attendance(session, actor=staff("host1"), booking_id=made.id,
                                status="attended", now=NOW)
    later = at(1, 1)
    with pytest.raises(Forbidden):
        booking.mark_attendance(session, actor=student("s1"), booking_id=made.id,
                                status="attended", now=later)
    for status in ("no_show", "confirmed", "attended", "excused"):
        assert booking.mark_attendance(session, actor=staff("host1"), booking_id=made.id,
                                       status=status, now=later).status == status
    with pytest.raises(RuleViolation):
        booking.mark_attendance(session, actor=staff("host1"), booking_id=made.id,
                                status="present", now=later)
    actions = session.scalars(select(AuditEntry.action).where(
        AuditEntry.entity_id == str(made.id)).order_by(AuditEntry.id)).all()
    assert actions[1:] == ["booking.attendance.no_show", "booking.attendance.confirmed",
                           "booking.attendance.attended", "booking.attendance.excused"]
    assert seats(session, slot) == 1


def test_booking_events_reach_the_host_after_commit(sessions, session, create_slot):
    seen = []

    class Listener:
        def appointments_booking_created(self, event):
            seen.append(event)

    from pluggy import HookimplMarker

    hookimpl = HookimplMarker("sis")
    Listener.appointments_booking_created = hookimpl(Listener.appointments_booking_created)
    session.context.pm.register(Listener())
    made = booking.book(session, actor=student("s1"), slot_id=create_slot(start=at(2)).id,
                        now=NOW)
    with pytest.raises(Conflict):
        booking.book(session, actor=student("s1"), slot_id=made.slot_id, now=NOW)
    assert [(e.name, e.entity_id, e.data["student_key"]) for e in seen] == [
        ("booking_created", made.id, "s1")]


def test_no_booking_rows_are_left_by_refusals(session, create_slot):
    slot = create_slot(start=at(2))
    booking.book(session, actor=student("s1"), slot_id=slot.id, now=NOW)
    for attempt in range(3):
        with pytest.raises(Conflict):
            booking.book(session, actor=student(f"x{attempt}"), slot_id=slot.id, now=NOW)
    assert len(session.scalars(select(Booking)).all()) == 1

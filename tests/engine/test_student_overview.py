"""What "My appointments" shows: upcoming versus history, the attendance summary, whether a
cancellation now is late, and the slots a booking may move to."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from engine.actors import NOW, at, staff, student

from sis_appointments.services.scheduling import booking, my_appointments

ZONE = ZoneInfo("America/New_York")


def test_cancelled_bookings_leave_upcoming_for_the_history(session, create_type, create_slot):
    kind = create_type(hosts=("host1",))
    slots = [create_slot(start=at(d), type=kind, host_key="host1") for d in (1, 2, 3)]
    past = create_slot(start=NOW - timedelta(days=2), type=kind, host_key="host1")
    kept, cancelled, late = (booking.book(session, actor=student("s1"), slot_id=s.id, now=NOW)
                             for s in slots)
    attended = booking.book(session, actor=student("s1"), slot_id=past.id,
                            now=NOW - timedelta(days=3))
    booking.mark_attendance(session, actor=staff(), booking_id=attended.id, status="attended",
                            now=NOW)
    booking.cancel(session, actor=student("s1"), booking_id=cancelled.id, now=NOW)
    booking.cancel(session, actor=staff(), booking_id=late.id, now=NOW)
    booking.book(session, actor=student("other"), slot_id=create_slot(
        start=at(4), type=kind, host_key="host1").id, now=NOW)

    mine = my_appointments.overview(session, "s1", now=NOW)
    assert [b.id for b in mine.upcoming] == [kept.id]
    assert [b.id for b in mine.history] == [late.id, cancelled.id, attended.id]  # latest first
    assert mine.attendance == {"attended": 1, "no_show": 0, "excused": 0, "cancelled": 2,
                               "late_cancelled": 0, "total": 3}
    assert mine.waiting == []


def test_a_cancellation_after_the_cutoff_is_late(session, create_type, create_slot):
    kind = create_type(cancel_cutoff_minutes=24 * 60, hosts=("host1",))
    soon = create_slot(start=NOW + timedelta(hours=3), type=kind, host_key="host1")
    later = create_slot(start=at(3), type=kind, host_key="host1")
    near = booking.book(session, actor=student("s1"), slot_id=soon.id, now=NOW)
    far = booking.book(session, actor=student("s1"), slot_id=later.id, now=NOW)
    terms = my_appointments.cancel_terms(near, now=NOW)
    assert terms.late and terms.cutoff_words == "24 hours"  # as the book page says it
    assert terms.free_until == soon.start_utc - timedelta(days=1)
    terms = my_appointments.cancel_terms(far, now=NOW)
    assert not terms.late and terms.free_until == later.start_utc - timedelta(days=1)


def test_reschedule_options_are_open_slots_of_the_same_type_grouped_by_day(
        session, create_type, create_slot):
    kind = create_type(hosts=("host1",))
    other_kind = create_type(name="Writing centre", hosts=("host1",))
    current = create_slot(start=at(1), type=kind, host_key="host1")
    same_day = [create_slot(start=at(2, h), type=kind, host_key="host1") for h in (0, 1)]
    next_day = create_slot(start=at(3), type=kind, host_key="host1")
    full = create_slot(start=at(3, 2), type=kind, host_key="host1")
    booking.book(session, actor=student("s2"), slot_id=full.id, now=NOW)
    create_slot(start=at(2, 3), type=other_kind, host_key="host1")
    create_slot(start=at(40), type=kind, host_key="host1")  # beyond the horizon
    mine = booking.book(session, actor=student("s1"), slot_id=current.id, now=NOW)

    days, cut = my_appointments.reschedule_options(session, mine, ZONE, now=NOW)
    assert not cut
    assert [[s.id for s in slots] for _, slots in days] == [[s.id for s in same_day],
                                                            [next_day.id]]
    assert [day for day, _ in days] == [at(2).astimezone(ZONE).date(),
                                        at(3).astimezone(ZONE).date()]

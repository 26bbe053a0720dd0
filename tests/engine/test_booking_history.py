"""A booking's change history: exactly its own events, worded for who asks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from engine.actors import ADMIN, NOW, FakeHost, at, staff, student
from sqlalchemy import event

from sis_appointments.contract import SisUser
from sis_appointments.domain.errors import NotFound
from sis_appointments.models import WaitlistEntry
from sis_appointments.services.accounts import grants
from sis_appointments.services.scheduling import booking, conflicts, history, slots, waitlist

LEE = SisUser(key="lee", name="Dr Lee", roles=frozenset({"staff"}))


class Directory(FakeHost):
    """The fake SIS, also answering user look-ups (in one batch, counted)."""

    def __init__(self):
        super().__init__()
        self.batches = 0

    def appointments_get_users(self, user_keys):
        self.batches += 1
        people = {"lee": LEE, "admin": ADMIN}
        return {k: people.get(k) or student(k) for k in user_keys if k in people
                or k.startswith("s")}


@pytest.fixture
def fake_host():
    return Directory()


@pytest.fixture
def calendar(create_type, create_slot):
    kind = create_type(hosts=("lee",))
    return [create_slot(start=at(day), capacity=2, type=kind, host_key="lee")
            for day in (2, 3, 4)]


def kinds(changes) -> list[tuple[str, str]]:
    return [(c.kind, c.summary) for c in changes]


def test_the_history_shows_exactly_the_events_of_the_students_own_booking(session, calendar):
    first, second, third = calendar
    mine = booking.book(session, actor=student("s1"), slot_id=first.id, now=NOW)
    theirs = booking.book(session, actor=student("s2"), slot_id=first.id, now=NOW)
    booking.reschedule(session, actor=student("s1"), booking_id=mine.id,
                       target_slot_id=second.id, now=NOW)
    booking.cancel(session, actor=student("s2"), booking_id=theirs.id, reason="mine only",
                   now=NOW)
    new_start = at(3, 2)
    slots.update(session, actor=LEE, slot_id=second.id, start=new_start,
                 end=new_start + timedelta(minutes=30))
    conflicts.move_bookings(session, actor=LEE, from_slot_id=second.id,
                            to_slot_id=third.id, now=NOW)
    booking.cancel(session, actor=LEE, booking_id=mine.id, reason="Dr Lee is ill", now=NOW)

    seen = history.booking_history(session, student("s1"), mine.id)
    assert kinds(seen) == [("booked", "Booked by you"), ("moved", "Moved by you"),
                           ("moved", "Moved by Dr Lee's office"),
                           ("moved", "Moved by Dr Lee's office"),
                           ("cancelled", "Cancelled by Dr Lee's office")]
    booked, rescheduled, slot_moved, moved, cancelled = seen
    assert booked.moved_to.start == first.start_utc and booked.by_you
    assert (rescheduled.moved_from.slot_id, rescheduled.moved_to.slot_id) == (first.id,
                                                                             second.id)
    assert (slot_moved.moved_from.start, slot_moved.moved_to.start) == (at(3), new_start)
    assert (moved.moved_from.slot_id, moved.moved_to.slot_id) == (second.id, third.id)
    assert (cancelled.reason, cancelled.late, cancelled.status) == ("Dr Lee is ill", False,
                                                                    "cancelled")
    assert all(c.actor_key is None and c.action is None for c in seen), "no keys for students"
    assert "mine only" not in repr(seen) and "s2" not in repr(seen)


def test_another_student_or_other_staff_get_not_found(session, calendar):
    mine = booking.book(session, actor=student("s1"), slot_id=calendar[0].id, now=NOW)
    for outsider in (student("s2"), staff("other")):
        with pytest.raises(NotFound):
            history.booking_history(session, outsider, mine.id)
    with pytest.raises(NotFound):
        history.booking_history(session, student("s1"), 99999)


def test_staff_see_who_and_why_students_do_not_see_staff_notes(session, calendar):
    made = booking.book(session, actor=LEE, slot_id=calendar[0].id, student_key="s1",
                        override_reason="exception agreed with the dean", now=NOW)
    grants.give(session, actor=ADMIN, user_key="helper", grant="manage_calendar",
                target_key="lee")
    for viewer in (LEE, staff("helper"), ADMIN):
        (seen,) = history.booking_history(session, viewer, made.id)
        assert (seen.action, seen.actor_key, seen.reason) == (
            "booking.created", "lee", "exception agreed with the dean")
        assert seen.by == ("you" if viewer is LEE else "Dr Lee")
    (seen,) = history.booking_history(session, student("s1"), made.id)
    assert (seen.summary, seen.reason, seen.actor_key) == ("Booked by Dr Lee's office", None,
                                                            None)


def test_late_cancellation_and_attendance(session, calendar, create_slot, create_type):
    offer_free = create_type(hosts=("lee",), cancel_cutoff_minutes=48 * 60)
    soon = create_slot(start=at(1), capacity=1, type=offer_free, host_key="lee")
    late = booking.book(session, actor=student("s1"), slot_id=soon.id, now=NOW)
    booking.cancel(session, actor=student("s1"), booking_id=late.id, now=NOW)
    (_, cancelled) = history.booking_history(session, student("s1"), late.id)
    assert (cancelled.summary, cancelled.late, cancelled.status) == (
        "Cancelled by you (late cancellation)", True, "late_cancelled")

    came = booking.book(session, actor=student("s1"), slot_id=calendar[0].id, now=NOW)
    booking.mark_attendance(session, actor=LEE, booking_id=came.id, status="no_show",
                            now=at(2, 1))
    booking.mark_attendance(session, actor=LEE, booking_id=came.id, status="attended",
                            now=at(2, 1))
    assert kinds(history.booking_history(session, student("s1"), came.id))[1:] == [
        ("attendance", "Marked as a no-show by Dr Lee's office"),
        ("attendance", "Marked attended by Dr Lee's office")]


def test_a_seat_from_the_waitlist_has_the_waiting_in_its_history(
        session, create_type, create_slot):
    automatic = create_slot(start=at(2), capacity=1, type=create_type(hosts=("lee",)),
                            host_key="lee")
    offering = create_slot(start=at(3), capacity=1, host_key="lee",
                           type=create_type(hosts=("lee",), offer_minutes=30))
    made = {}
    for slot in (automatic, offering):
        held = booking.book(session, actor=student("holder"), slot_id=slot.id, now=NOW)
        entry = waitlist.join(session, actor=student("s1"), slot_id=slot.id, now=NOW)
        booking.cancel(session, actor=student("holder"), booking_id=held.id, now=NOW)
        if slot is offering:
            waitlist.accept_offer(session, actor=student("s1"), entry_id=entry.id, now=NOW)
        session.expire_all()
        made[slot.id] = session.get(WaitlistEntry, entry.id).booking_id
    assert kinds(history.booking_history(session, student("s1"), made[automatic.id])) == [
        ("waitlist_joined", "Joined the waitlist"),
        ("promoted", "Given a seat from the waitlist")]
    seen = history.booking_history(session, student("s1"), made[offering.id])
    assert kinds(seen) == [("waitlist_joined", "Joined the waitlist"),
                           ("offered", "A seat was held from the waitlist"),
                           ("promoted", "Offered seat accepted by you")]
    assert seen[1].offer_expires_at is not None and seen[2].moved_to.slot_id == offering.id
    assert all(c.status is None for c in seen), "waitlist statuses are not booking statuses"


def test_reading_a_history_costs_the_same_whatever_its_length(session, calendar, fake_host):
    first, second, third = calendar
    short = booking.book(session, actor=student("s1"), slot_id=first.id, now=NOW)
    booking.reschedule(session, actor=student("s1"), booking_id=short.id,
                       target_slot_id=third.id, now=NOW)
    long = booking.book(session, actor=student("s2"), slot_id=first.id, now=NOW)
    for target in (second, third, first, second):
        booking.reschedule(session, actor=LEE, booking_id=long.id, target_slot_id=target.id,
                           now=NOW)
    booking.cancel(session, actor=ADMIN, booking_id=long.id, now=NOW)
    short_id, long_id = short.id, long.id

    def cost(viewer, booking_id):
        session.expire_all()
        session.close()
        seen, batches = [], fake_host.batches
        engine = session.get_bind()
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            changes = history.booking_history(session, viewer, booking_id)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen), fake_host.batches - batches, len(changes)

    short_cost, long_cost = cost(LEE, short_id), cost(LEE, long_id)
    assert (short_cost[2], long_cost[2]) == (2, 6)
    assert short_cost[0] == long_cost[0] <= 5, (short_cost, long_cost)
    assert long_cost[1] <= 1, "one batched user look-up"

"""Answering a seat held for a waitlist place (offer mode): accept or decline, in time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from engine.actors import NOW, at, staff, student
from engine.invariants import violations
from sqlalchemy import func, select

from sis_appointments.domain.errors import Conflict, NotFound
from sis_appointments.models import AuditEntry, Booking, Slot, WaitlistEntry
from sis_appointments.services.scheduling import booking, waitlist


@pytest.fixture
def offered(session, create_type, create_slot):
    """A one-seat slot in offer mode (30 minutes): s1 holds the offer, s2 and s3 wait."""
    offering = create_type(offer_minutes=30, hosts=("host1",))
    slot = create_slot(start=at(2), capacity=1, type=offering, host_key="host1")
    held = booking.book(session, actor=student("holder"), slot_id=slot.id, now=NOW)
    entries = [waitlist.join(session, actor=student(key), slot_id=slot.id,
                             now=NOW + timedelta(minutes=n))
               for n, key in enumerate(("s1", "s2", "s3"), start=1)]
    booking.cancel(session, actor=student("holder"), booking_id=held.id, now=NOW)
    session.expire_all()
    assert session.get(WaitlistEntry, entries[0].id).status == "offered"
    return slot, entries


def statuses(session, entries) -> list[str]:
    session.expire_all()
    return [session.get(WaitlistEntry, e.id).status for e in entries]


def what_is_stored(session) -> tuple:
    session.expire_all()
    return (sorted((e.id, e.status, e.booking_id) for e in session.scalars(
                select(WaitlistEntry))),
            sorted((b.id, b.student_key, b.status) for b in session.scalars(select(Booking))),
            sorted((s.id, s.booked) for s in session.scalars(select(Slot))),
            session.scalar(select(func.count()).select_from(AuditEntry)))


def test_declining_passes_the_seat_to_the_next_in_line(session, offered):
    slot, (first, second, third) = offered
    left = waitlist.decline_offer(session, actor=student("s1"), entry_id=first.id, now=NOW)
    assert left.status == "left"
    assert statuses(session, (first, second, third)) == ["left", "offered", "waiting"]
    assert session.get(Slot, slot.id).booked == 1, "the seat is held again, for s2"
    declined = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "waitlist.offer_declined")).one()
    assert (declined.entity_type, declined.entity_id, declined.actor_key) == (
        "waitlist_entry", str(first.id), "s1")
    assert violations(session) == []
    # staff managing the calendar may decline for the student too; the last seat passes on
    waitlist.decline_offer(session, actor=staff("host1"), entry_id=second.id, now=NOW)
    assert statuses(session, (first, second, third)) == ["left", "left", "offered"]
    made = waitlist.accept_offer(session, actor=student("s3"), entry_id=third.id, now=NOW)
    assert made.student_key == "s3" and made.status == "confirmed"
    assert violations(session) == []


def test_declining_the_last_offer_frees_the_seat(session, create_type, create_slot):
    slot = create_slot(start=at(2), capacity=1, type=create_type(offer_minutes=30))
    held = booking.book(session, actor=student("holder"), slot_id=slot.id, now=NOW)
    only = waitlist.join(session, actor=student("s1"), slot_id=slot.id, now=NOW)
    booking.cancel(session, actor=student("holder"), booking_id=held.id, now=NOW)
    waitlist.decline_offer(session, actor=student("s1"), entry_id=only.id, now=NOW)
    session.expire_all()
    assert session.get(Slot, slot.id).booked == 0
    assert violations(session) == []


def test_accepting_or_declining_after_expiry_is_refused_and_changes_nothing(session, offered):
    _, (first, _, _) = offered
    stored = what_is_stored(session)
    late = NOW + timedelta(minutes=31)  # the expiry job has not run yet
    for answer in (waitlist.accept_offer, waitlist.decline_offer):
        with pytest.raises(Conflict) as error:
            answer(session, actor=student("s1"), entry_id=first.id, now=late)
        assert error.value.code == "offer_expired"
        assert error.value.details["status"] == "offered"
        assert what_is_stored(session) == stored
    assert waitlist.expire_offers(session, now=late) == 1  # now the job has run
    with pytest.raises(Conflict) as error:
        waitlist.accept_offer(session, actor=student("s1"), entry_id=first.id, now=late)
    assert (error.value.code, error.value.details["status"]) == ("offer_expired", "expired")


def test_a_place_without_an_offer_cannot_be_answered(session, offered):
    _, (_, second, _) = offered
    stored = what_is_stored(session)
    for answer in (waitlist.accept_offer, waitlist.decline_offer):
        with pytest.raises(Conflict) as error:
            answer(session, actor=student("s2"), entry_id=second.id, now=NOW)
        assert (error.value.code, error.value.details["status"]) == ("no_offer", "waiting")
    assert what_is_stored(session) == stored


def test_only_the_student_or_their_calendars_staff_may_answer(session, offered):
    _, (first, _, _) = offered
    stored = what_is_stored(session)
    for outsider in (student("s2"), staff("someone_else")):
        for answer in (waitlist.accept_offer, waitlist.decline_offer):
            with pytest.raises(NotFound):
                answer(session, actor=outsider, entry_id=first.id, now=NOW)
    with pytest.raises(NotFound):
        waitlist.accept_offer(session, actor=student("s1"), entry_id=99999, now=NOW)
    assert what_is_stored(session) == stored
    made = waitlist.accept_offer(session, actor=staff("host1"), entry_id=first.id, now=NOW)
    assert (made.student_key, made.booked_by) == ("s1", "host1")


def test_the_join_message_promises_a_held_seat_in_offer_mode(session, create_type,
                                                             create_slot):
    from sis_appointments.models import Notification
    from sis_appointments.notify.render import render
    from sis_appointments.services.platform.sis import Person

    plain = create_slot(start=at(2), capacity=1, type=create_type())
    offering = create_slot(start=at(3), capacity=1, type=create_type(offer_minutes=45))
    to = Person("s1", "Student s1", "s1@example.edu", "UTC")
    texts = {}
    for slot in (plain, offering):
        note = Notification(event="waitlist_joined", recipient_key="s1", channel="email",
                            payload={"entity": "waitlist_entry", "entity_id": 1,
                                     "slot_id": slot.id, "student_key": "s1", "position": 2},
                            dedupe_key="x")
        texts[slot.id] = render(session, note, to, domain="example.edu").text
    assert "given to you automatically" in texts[plain.id]
    assert "held for you for 45 minutes" in texts[offering.id]
    assert "automatically" not in texts[offering.id]

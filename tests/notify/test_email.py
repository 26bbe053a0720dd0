"""Email notifications reach a real SMTP server, in each recipient's zone, with a calendar
file that calendar programs update in place; a server that is down delays them, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import vobject
from conftest_helpers import ics_of
from sqlalchemy import select

from sis_appointments.models import Notification, utcnow
from sis_appointments.services.scheduling import booking, slots

pytestmark = pytest.mark.usefixtures("in_app_context")


def book(session, people, create_slot):
    slot = create_slot(host_key=people.advisor.key, timezone="America/New_York",
                       start=(utcnow() + timedelta(days=2)).replace(microsecond=0))
    made = booking.book(session, actor=people.as_student, slot_id=slot.id)
    return slot, made


def test_booking_mails_the_student_and_the_advisor_each_in_their_zone(
        session, people, create_slot, smtp, deliver):
    slot, made = book(session, people, create_slot)
    counts = deliver()
    assert counts["sent"] >= 4  # email + in-app for both, and the webhook
    [to_student] = smtp.inbox.to(f"{people.student.username}@example.edu")
    [to_advisor] = smtp.inbox.to(f"{people.advisor.username}@example.edu")
    assert "Appointment booked" in to_student["Subject"]
    assert "(America/New_York)" in to_student["Subject"]
    assert "(Europe/London)" in to_advisor["Subject"]
    text = to_student.get_body(("plain",)).get_content()
    html = to_student.get_body(("html",)).get_content()
    assert "Grace Advisor" in text and "America/New_York" in text
    assert (f"See this appointment: https://sis.example.edu/appointments/bookings/{made.id}"
            in text)
    assert "<table" in html and "Grace Advisor" in html
    assert "Ada Student" in to_advisor.get_body(("plain",)).get_content()
    assert to_student["X-Appointments-Dedupe-Key"].startswith("booking_created:booking:")

    calendar = vobject.readOne(ics_of(to_student))
    assert calendar.method.value == "REQUEST"
    event = calendar.vevent
    assert event.uid.value == f"booking-{made.id}@sis.example.edu"
    assert event.dtstart.params["X-VOBJ-ORIGINAL-TZID"] == ["America/New_York"]
    assert event.dtstart.value == slot.start_utc
    assert calendar.vtimezone.tzid.value == "America/New_York"


def test_cancelling_sends_a_cancel_for_the_same_event_with_a_higher_sequence(
        session, people, create_slot, smtp, deliver):
    _, made = book(session, people, create_slot)
    deliver()
    booking.cancel(session, actor=people.as_advisor, booking_id=made.id, reason="ill today")
    deliver()
    first, second = smtp.inbox.to(f"{people.student.username}@example.edu")
    request, cancel = vobject.readOne(ics_of(first)), vobject.readOne(ics_of(second))
    assert cancel.method.value == "CANCEL"
    assert cancel.vevent.status.value == "CANCELLED"
    assert cancel.vevent.uid.value == request.vevent.uid.value
    assert int(cancel.vevent.sequence.value) > int(request.vevent.sequence.value)
    assert cancel.vevent.attendee.value == f"mailto:{people.student.username}@example.edu"
    assert cancel.vevent.organizer.value == f"mailto:{people.advisor.username}@example.edu"
    body = second.get_body(("plain",)).get_content()
    assert "Cancelled by Grace Advisor" in body and "ill today" in body


def test_a_staff_move_updates_the_event_in_the_students_calendar(session, people,
                                                                create_slot, smtp, deliver):
    """Issue #13 items 6 and 7: the "changed" email carries the same event, later and with
    a higher SEQUENCE; invitations name their ORGANIZER (the advisor) and ATTENDEE (the
    student, who accepted by booking)."""
    slot, made = book(session, people, create_slot)
    deliver()
    later = slot.start_utc + timedelta(hours=3)
    slots.update(session, actor=people.as_advisor, slot_id=slot.id, start=later,
                 end=later + timedelta(minutes=30))
    deliver()
    booked, changed = smtp.inbox.to(f"{people.student.username}@example.edu")
    assert "Your appointment changed" in changed["Subject"]
    before, after = vobject.readOne(ics_of(booked)), vobject.readOne(ics_of(changed))
    assert after.method.value == "REQUEST"
    assert after.vevent.uid.value == before.vevent.uid.value == \
        f"booking-{made.id}@sis.example.edu"
    assert int(after.vevent.sequence.value) > int(before.vevent.sequence.value)
    assert after.vevent.dtstart.value == later
    for invitation in (before, after):
        event = invitation.vevent
        assert event.organizer.value == f"mailto:{people.advisor.username}@example.edu"
        assert event.organizer.params["CN"] == ["Grace Advisor"]
        assert event.attendee.value == f"mailto:{people.student.username}@example.edu"
        assert event.attendee.params["PARTSTAT"] == ["ACCEPTED"]


def test_students_waiting_for_a_cancelled_slot_are_told_their_place_ended(
        session, people, create_user, create_slot, smtp, deliver):
    from sis_appointments.contract import SisUser
    from sis_appointments.services.scheduling import waitlist

    slot, made = book(session, people, create_slot)  # capacity 1: full
    waiting = create_user(role="student", name="Wes Waiting", timezone="America/New_York")
    waitlist.join(session, actor=SisUser(key=waiting.key, name=waiting.name,
                                         roles=frozenset({"student"})), slot_id=slot.id)
    deliver()
    slots.cancel(session, actor=people.as_advisor, slot_id=slot.id, reason="Advisor ill")
    deliver()
    told = smtp.inbox.to(f"{waiting.username}@example.edu")[-1]
    assert told["Subject"].startswith("Cancelled: a slot you were waiting for")
    text = told.get_body(("plain",)).get_content()
    assert "your place on its waitlist has ended" in text and "Advisor ill" in text
    assert f"With: {people.advisor.name}" in text  # whose slot it was
    booked = smtp.inbox.to(f"{people.student.username}@example.edu")
    assert [m["Subject"].split(":")[0] for m in booked] == [
        "Appointment booked", "Appointment cancelled"]  # told once, as a booking


def test_with_the_smtp_server_down_mail_waits_and_goes_out_once_when_it_is_back(
        session, people, create_slot, smtp, deliver):
    smtp.stop()
    book(session, people, create_slot)
    counts = deliver()
    assert counts["retry"] == 2 and counts["sent"] >= 2  # the emails wait; in-app goes
    waiting = session.scalars(select(Notification).where(
        Notification.channel == "email")).all()
    assert {n.status for n in waiting} == {"pending"}
    assert all(n.attempts == 1 and "Connection" in n.last_error for n in waiting)
    assert all(n.next_attempt_at > utcnow() + timedelta(seconds=45) for n in waiting)
    assert deliver()["retry"] == 0, "nothing is retried before its backoff ends"

    smtp.start()
    later = utcnow() + timedelta(minutes=5)
    assert deliver(now=later)["sent"] == 2
    assert deliver(now=later + timedelta(hours=1)) == {}
    assert len(smtp.inbox.to(f"{people.student.username}@example.edu")) == 1
    assert len(smtp.inbox.to(f"{people.advisor.username}@example.edu")) == 1
    session.rollback()  # end the read transaction: see what the job committed
    assert {n.status for n in session.scalars(select(Notification))} == {"sent"}


def test_a_changed_email_address_and_zone_are_used_when_the_mail_goes_out(
        mail_app, session, people, create_slot, smtp, deliver):
    from demo_sis.extensions import db
    from demo_sis.models import User

    book(session, people, create_slot)
    with mail_app.app_context():
        user = db.session.get(User, people.student.id)
        user.email, user.timezone = "ada@new.example.edu", "Asia/Tokyo"
        db.session.commit()
    deliver()
    [mail] = smtp.inbox.to("ada@new.example.edu")
    assert "(Asia/Tokyo)" in mail["Subject"]
    assert smtp.inbox.to(f"{people.student.username}@example.edu") == []

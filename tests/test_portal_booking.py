"""A student books, cancels and waits for appointments from the portal tab, end to end."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from sis_appointments.models import Booking, WaitlistEntry, utcnow


def token(client, path="/appointments/book"):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_student_books_then_cancels(client, auth, session, create_user, create_slot):
    ana = create_user(username="ana")
    slot = create_slot(location="Advising office 2")
    auth.login("ana")
    page = client.get("/appointments/book").get_data(as_text=True)
    assert "Advising office 2" in page and "1 of 1 free" in page
    response = client.post(f"/appointments/slots/{slot.id}/book",
                           data={"csrf_token": token(client)}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Booked. It is listed under your upcoming appointments." in html
    session.rollback()
    made = session.scalars(select(Booking).where(Booking.student_key == ana.key)).one()
    assert f"/appointments/bookings/{made.id}/cancel" in html

    response = client.post(f"/appointments/bookings/{made.id}/cancel",
                           data={"csrf_token": token(client, "/appointments/"),
                                 "reason": "feeling better"}, follow_redirects=True)
    assert "Cancelled." in response.get_data(as_text=True)
    session.rollback()  # end the test's read snapshot (SQLite WAL keeps it otherwise)
    assert (session.get(Booking, made.id).status,
            session.get(Booking, made.id).cancel_reason) == ("cancelled", "feeling better")


def test_refusals_are_messages_and_change_nothing(client, auth, session, create_user,
                                                  create_slot, create_booking):
    ana = create_user(username="ana")
    slot = create_slot(capacity=2)
    create_booking(ana.key, slot)
    auth.login("ana")
    response = client.post(f"/appointments/slots/{slot.id}/book",
                           data={"csrf_token": token(client)}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert 'role="alert">the student already holds this slot' in html
    session.rollback()
    assert len(session.scalars(select(Booking)).all()) == 1


def test_posts_need_a_csrf_token(client, auth, session, create_user, create_slot):
    create_user(username="ana")
    slot = create_slot()
    auth.login("ana")
    assert client.post(f"/appointments/slots/{slot.id}/book").status_code == 400
    session.rollback()
    assert session.scalars(select(Booking)).all() == []


def test_a_student_cannot_cancel_someone_elses_booking(client, auth, session, create_user,
                                                       create_booking):
    create_user(username="ana")
    ben = create_user(username="ben")
    theirs = create_booking(ben.key)
    auth.login("ana")
    response = client.post(f"/appointments/bookings/{theirs.id}/cancel",
                           data={"csrf_token": token(client, "/appointments/")})
    assert response.status_code == 404  # as in the API: others' bookings do not exist
    session.rollback()  # end the test's read snapshot (SQLite WAL keeps it otherwise)
    assert session.get(Booking, theirs.id).status == "confirmed"


def test_full_slot_offers_the_waitlist_and_shows_the_place(client, auth, session, create_user,
                                                           create_slot, create_booking):
    ana = create_user(username="ana")
    slot = create_slot(capacity=1)
    create_booking("someone", slot)
    auth.login("ana")
    assert f"/appointments/slots/{slot.id}/waitlist" in client.get(
        "/appointments/book").get_data(as_text=True)
    response = client.post(f"/appointments/slots/{slot.id}/waitlist",
                           data={"csrf_token": token(client)}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "You are on the waitlist" in html and "number 1" in html
    session.rollback()
    entry = session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.student_key == ana.key)).one()
    client.post(f"/appointments/waitlist/{entry.id}/leave",
                data={"csrf_token": token(client, "/appointments/")})
    session.rollback()  # end the test's read snapshot (SQLite WAL keeps it otherwise)
    assert session.get(WaitlistEntry, entry.id).status == "left"


def test_joining_in_offer_mode_says_the_seat_is_held_not_booked(
        client, auth, create_user, create_type, create_slot, create_booking):
    create_user(username="ana")
    slot = create_slot(capacity=1, type=create_type(offer_minutes=30))
    create_booking("someone", slot)
    auth.login("ana")
    response = client.post(f"/appointments/slots/{slot.id}/waitlist",
                           data={"csrf_token": token(client)}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "held for you for 30 minutes" in html and "booked for you automatically" not in html


def test_slots_during_a_students_classes_are_not_offered(client, auth, app, create_user,
                                                         create_slot):
    from zoneinfo import ZoneInfo

    from demo_sis.extensions import db
    from demo_sis.models import TimetableEntry

    ana = create_user(username="ana")
    campus = ZoneInfo("America/New_York")
    day = (utcnow() + timedelta(days=2)).astimezone(campus).date()
    local = datetime.combine(day, time(10), campus)  # a class from 10:00 to 11:00 local
    start = local.astimezone(UTC)
    with app.app_context():
        db.session.add(TimetableEntry(student_id=ana.id, course="CHEM 101",
                                      weekday=local.weekday(), start=local.time(),
                                      end=(local + timedelta(hours=1)).time()))
        db.session.commit()
    create_slot(start=start, location="During class")
    create_slot(start=start + timedelta(hours=3), location="After class")
    auth.login("ana")
    html = client.get("/appointments/book").get_data(as_text=True)
    assert "After class" in html and "During class" not in html


def test_the_book_page_filters_by_type(client, auth, create_user, create_slot, create_type):
    create_user(username="ana")
    writing = create_type(name="Writing centre")
    create_slot(location="Writing desk", type=writing)
    create_slot(location="Advising desk", start=utcnow() + timedelta(days=3))
    auth.login("ana")
    html = client.get(f"/appointments/book?type={writing.id}").get_data(as_text=True)
    assert "Writing desk" in html and "Advising desk" not in html
    everything = client.get("/appointments/book?type=nonsense").get_data(as_text=True)
    assert "Writing desk" in everything and "Advising desk" in everything

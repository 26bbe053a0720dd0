"""A student finds, books and waits for appointments from the portal's book page, end to end
through the Flask client: the week's list and its filters, the confirmation (a page, or a
fragment for the dialog), the refusals in plain words, and who may see what."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from helpers import count_statements
from sqlalchemy import select

from sis_appointments.models import Booking, WaitlistEntry, utcnow

CAMPUS = ZoneInfo("America/New_York")
BOOKED = "Booked. It is listed under your upcoming appointments."


def token(client, path="/appointments/book"):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def next_monday():
    """The Monday of next week on campus: a week wholly in the future."""
    today = utcnow().astimezone(CAMPUS).date()
    return today - timedelta(days=today.weekday()) + timedelta(days=7)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """Next week's ``day`` (0 = Monday) at ``hour`` on campus, in UTC."""
    return datetime.combine(next_monday() + timedelta(days=day), time(hour, minute),
                            CAMPUS).astimezone(UTC)


def week_page(client, **args) -> str:
    query = {"week": next_monday().isoformat(), **args}
    response = client.get("/appointments/book", query_string=query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def add_class(app, student, course: str, start: datetime, hours: int = 1) -> None:
    from demo_sis.extensions import db
    from demo_sis.models import TimetableEntry

    local = start.astimezone(CAMPUS)
    with app.app_context():
        db.session.add(TimetableEntry(student_id=student.id, course=course,
                                      weekday=local.weekday(), start=local.time(),
                                      end=(local + timedelta(hours=hours)).time()))
        db.session.commit()


# -- the week's list

def test_the_week_is_grouped_by_day_with_everything_a_student_needs(
        client, auth, create_user, create_type, create_slot, create_booking):
    create_user(username="ana")
    lee = create_user(username="lee", role="staff", name="Dr Lee")
    advising = create_type(name="Advising", hosts=[lee.key], capacity=3)
    online = create_type(name="Online check-in", hosts=[lee.key],
                         online_url="https://meet.example/lee")
    roomy = create_slot(start=at(1, 10), capacity=3, host_key=lee.key, type=advising,
                        location="Room 12")
    create_booking("someone", roomy)
    full = create_slot(start=at(3, 14), minutes=45, host_key=lee.key, type=advising)
    create_booking("someone", full)
    create_slot(start=at(3, 9), host_key=lee.key, type=online, location=None)
    auth.login("ana")
    html = week_page(client)
    assert html.count("Times are shown in America/New_York.") == 1  # the zone, named once
    days = re.findall(r'<h3 id="day-[^"]+">([^<]+)</h3>', html)
    assert days == [d.strftime("%A ") + str(d.day) + d.strftime(" %B") for d in (
        next_monday() + timedelta(days=1), next_monday() + timedelta(days=3))]
    assert "10:00</time> to 10:30" in html and "(30 min)" in html and "(45 min)" in html
    assert "with Dr Lee" in html and "Room 12" in html and ">Online<" in html
    assert "2 of 3 free" in html and ">Full<" in html
    assert f"/appointments/slots/{full.id}/book" in html  # the waitlist, through its confirmation
    assert re.search(r">Join waitlist<span class=\"appt-sr\"> Advising", html)
    assert re.search(r">Book<span class=\"appt-sr\"> Advising, \w+ \d+ \w+ at 10:00", html)


def test_a_full_slot_says_how_many_wait(client, auth, session, create_user, create_slot,
                                        create_booking):
    create_user(username="ana")
    slot = create_slot(start=at(2, 11))
    create_booking("someone", slot)
    for n in range(4):
        session.add(WaitlistEntry(slot_id=slot.id, student_key=f"w{n}", created_at=utcnow()))
    session.commit()
    auth.login("ana")
    assert "Full, 4 waiting" in week_page(client)


def test_weeks_are_paged_and_the_first_week_with_slots_opens(client, auth, create_user,
                                                            create_type, create_slot):
    create_user(username="ana")
    kind = create_type(name="Advising")
    create_slot(start=at(1, 10), type=kind, location="First week room")
    create_slot(start=at(8, 10), type=kind, location="Second week room")
    auth.login("ana")
    first = client.get("/appointments/book").get_data(as_text=True)
    assert "First week room" in first and "Second week room" not in first
    later = (next_monday() + timedelta(days=7)).isoformat()
    assert f"week={later}" in first
    html = week_page(client, week=later)
    assert "Second week room" in html and "First week room" not in html
    assert f"week={next_monday().isoformat()}" in html  # and back
    # out of range or nonsense weeks fall back to what the page may show
    assert client.get("/appointments/book?week=2999-01-01").status_code == 200
    assert client.get("/appointments/book?week=soon").status_code == 200


def test_filters_by_type_staff_member_and_time_of_day(client, auth, create_user, create_type,
                                                      create_slot):
    create_user(username="ana")
    lee = create_user(username="lee", role="staff", name="Dr Lee")
    kim = create_user(username="kim", role="staff", name="Ms Kim")
    writing = create_type(name="Writing centre", hosts=[kim.key])
    advising = create_type(name="Advising", hosts=[lee.key])
    create_slot(start=at(1, 9), type=advising, host_key=lee.key, location="Morning desk")
    create_slot(start=at(1, 13), type=writing, host_key=kim.key, location="Afternoon desk")
    create_slot(start=at(1, 18), type=advising, host_key=lee.key, location="Evening desk")
    auth.login("ana")
    everything = week_page(client)
    assert all(d in everything for d in ("Morning desk", "Afternoon desk", "Evening desk"))
    assert ">Dr Lee</option>" in everything and ">Ms Kim</option>" in everything
    by_type = week_page(client, type=writing.id)
    assert "Afternoon desk" in by_type and "Morning desk" not in by_type
    by_host = week_page(client, host=lee.key)
    assert "Morning desk" in by_host and "Evening desk" in by_host
    assert "Afternoon desk" not in by_host
    for part, shown in (("morning", "Morning desk"), ("afternoon", "Afternoon desk"),
                        ("evening", "Evening desk")):
        html = week_page(client, part=part)
        assert [d for d in ("Morning desk", "Afternoon desk", "Evening desk")
                if d in html] == [shown]
    assert "Writing desk" not in week_page(client, type="nonsense")


def test_timetable_clashes_are_hidden_unless_asked_for(client, auth, app, create_user,
                                                      create_slot):
    ana = create_user(username="ana")
    add_class(app, ana, "CHEM 101", at(2, 10))
    create_slot(start=at(2, 10), location="During class")
    create_slot(start=at(2, 13), location="After class")
    auth.login("ana")
    html = week_page(client)
    assert "After class" in html and "During class" not in html
    assert "1 slot that clashes with your timetable or appointments is hidden" in html
    shown = week_page(client, clashes="1")
    assert "During class" in shown and "Clashes with CHEM 101" in shown
    assert "appt-slot--clash" in shown


def test_a_clash_says_when_the_class_is_in_the_students_zone(client, auth, app, create_user,
                                                             create_slot):
    """A student in Kolkata, a class on campus (New York) from half an hour before a slot at
    00:00 on Thursday their time: the class is said as Wednesday 23:30 to 00:30."""
    ana = create_user(username="ana", timezone="Asia/Kolkata")
    midnight = datetime.combine(next_monday() + timedelta(days=3), time(),  # Thursday
                                ZoneInfo("Asia/Kolkata")).astimezone(UTC)
    add_class(app, ana, "CHEM 101", midnight - timedelta(minutes=30))
    create_slot(start=midnight, location="Late desk")
    auth.login("ana")
    assert "Clashes with CHEM 101 (Wed 23:30\u201300:30)." in week_page(client, clashes="1")


def test_an_overlap_with_an_own_booking_names_it(client, auth, create_user, create_type,
                                                 create_slot, create_booking):
    ana = create_user(username="ana")
    writing = create_type(name="Writing Centre")
    create_booking(ana.key, create_slot(start=at(1, 10), type=writing))
    create_slot(start=at(1, 10, 15), location="Overlapping")
    auth.login("ana")
    html = week_page(client, clashes="1")
    assert "You already have Writing Centre at 10:00." in html
    assert ">Booked</span>" in html  # the one they hold


def test_a_reached_limit_is_said_before_the_click(client, auth, create_user, create_type,
                                                  create_slot, create_booking):
    ana = create_user(username="ana")
    limited = create_type(name="Advising", max_active_per_student=1)
    create_booking(ana.key, create_slot(start=at(0, 9), type=limited))
    other = create_slot(start=at(2, 9), type=limited, location="Second advising")
    auth.login("ana")
    html = week_page(client)
    assert "You have reached the limit of 1 upcoming Advising appointments" in html
    assert f'href="/appointments/slots/{other.id}/book"' not in html
    # its slots are folded like clashes: said once, shown on request with two words each
    assert "Second advising" not in html
    assert "1 slot of Advising is hidden this week." in html
    assert "limited=1" in html
    shown = week_page(client, limited="1")
    assert "Second advising" in shown and f'href="/appointments/slots/{other.id}/book"' not in shown
    assert shown.count("You have reached the limit of 1 upcoming Advising") == 1
    assert '<p class="appt-slot-reason">Limit reached</p>' in shown


def test_a_reached_limit_folds_every_slot_of_the_type(client, auth, create_user, create_type,
                                                     create_slot, create_booking):
    ana = create_user(username="ana")
    limited = create_type(name="Advising", max_active_per_student=1)
    create_booking(ana.key, create_slot(start=at(0, 9), type=limited))
    for hour in range(10, 16):
        create_slot(start=at(1, hour), type=limited)
    create_slot(start=at(1, 9), location="Something else")
    auth.login("ana")
    html = week_page(client)
    assert "6 slots of Advising are hidden this week." in html
    assert "Limit reached" not in html and "Something else" in html


def test_an_empty_week_says_so_plainly(client, auth, create_user, create_slot):
    create_user(username="ana")
    create_slot(start=at(0, 9) + timedelta(days=14))  # a later week has one
    auth.login("ana")
    html = week_page(client)
    assert "No open slots this week." in html
    assert "fit your timetable" not in html


def test_an_empty_week_with_hidden_clashes_names_the_timetable(client, auth, app, create_user,
                                                              create_slot):
    ana = create_user(username="ana")
    add_class(app, ana, "CHEM 101", at(2, 10))
    create_slot(start=at(2, 10), location="During class")
    auth.login("ana")
    html = week_page(client)
    assert "No open slots fit your timetable this week." in html


def test_a_clash_is_worded_in_the_students_zone(client, auth, create_user, create_type,
                                                create_slot, create_booking):
    ana = create_user(username="ana", timezone="Asia/Kolkata")
    writing = create_type(name="Writing Centre")  # the type's zone: America/New_York
    create_booking(ana.key, create_slot(start=at(1, 10), type=writing))
    overlapping = create_slot(start=at(1, 10, 15), location="Overlapping")
    auth.login("ana")
    shown = at(1, 10).astimezone(ZoneInfo("Asia/Kolkata")).strftime("%H:%M")
    assert shown == "20:30"
    html = week_page(client, clashes="1")
    assert f"You already have Writing Centre at {shown}." in html
    confirmation = client.get(f"/appointments/slots/{overlapping.id}/book").get_data(as_text=True)
    assert f"You already have Writing Centre at {shown}." in confirmation


def test_another_students_bookings_are_never_shown(client, auth, create_user, create_slot,
                                                   create_booking):
    create_user(username="ana")
    ben = create_user(username="ben", name="Ben Secret")
    slot = create_slot(start=at(1, 10), capacity=2)
    create_booking(ben.key, slot, reason="private matter")
    auth.login("ana")
    html = week_page(client)
    assert "1 of 2 free" in html and ">Booked</span>" not in html
    confirm = client.get(f"/appointments/slots/{slot.id}/book").get_data(as_text=True)
    assert "Confirm booking" in confirm
    assert "Ben Secret" not in html + confirm and "private matter" not in html + confirm


@pytest.mark.parametrize("path", ["/appointments/book", "/appointments/slots/1/book"])
def test_only_students_see_the_book_pages(client, auth, create_user, create_slot, path):
    create_slot()
    assert client.get(path).status_code in (302, 401)  # anonymous: the host's log-in
    create_user(username="lee", role="staff")
    auth.login("lee")
    assert client.get(path).status_code == 403


def test_the_book_page_costs_the_same_whatever_it_lists(app, client, auth, session,
                                                        create_user, create_type,
                                                        create_slot, create_booking):
    ana = create_user(username="ana")
    add_class(app, ana, "MATH 101", at(1, 10))
    costs = []
    for day, count in ((0, 2), (7, 40)):
        monday = next_monday() + timedelta(days=day)
        staff = [create_user(role="staff") for _ in range(4)]
        kind = create_type(hosts=[s.key for s in staff], max_per_student_per_week=3)
        for n in range(count):
            slot = create_slot(start=at(day + n % 5, 8 + n % 10), type=kind,
                               host_key=staff[n % 4].key, capacity=1 + n % 2)
            if n % 3 == 0:
                create_booking(f"other-{day}-{n}", slot)
                if slot.capacity == 1:
                    session.add(WaitlistEntry(slot_id=slot.id, student_key=f"w{n}",
                                              created_at=utcnow()))
                    session.commit()
        auth.login("ana")
        with count_statements(app) as seen:
            response = client.get("/appointments/book",
                                  query_string={"week": monday.isoformat(), "clashes": "1"})
            assert response.status_code == 200
        costs.append(len(seen))
    assert costs[0] == costs[1], costs


# -- the confirmation and booking

def test_the_confirmation_says_when_with_whom_where_and_the_cancellation_rule(
        client, auth, create_user, create_type, create_slot):
    create_user(username="ana")
    lee = create_user(username="lee", role="staff", name="Dr Lee")
    kind = create_type(name="Advising", hosts=[lee.key], cancel_cutoff_minutes=24 * 60,
                       description="Bring your study plan.")
    slot = create_slot(start=at(1, 10), type=kind, host_key=lee.key, location="Room 12")
    auth.login("ana")
    html = client.get(f"/appointments/slots/{slot.id}/book").get_data(as_text=True)
    day = next_monday() + timedelta(days=1)
    assert f"{day:%A} {day.day} {day:%B %Y}, 10:00 to 10:30" in html
    assert "Dr Lee" in html and "Room 12" in html and "Bring your study plan." in html
    assert ("Free cancellation until 24 hours before; later counts as a late cancellation."
            in html)
    assert 'name="reason"' in html and "<h1" in html and "Confirm booking" in html
    fragment = client.get(f"/appointments/slots/{slot.id}/book?fragment=1")
    assert fragment.status_code == 200
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and 'id="appt-dialog-title"' in body and "Confirm booking" in body
    assert client.get("/appointments/slots/999999/book").status_code == 404


def test_student_books_with_a_reason_then_cancels(client, auth, session, create_user,
                                                  create_slot):
    ana = create_user(username="ana")
    slot = create_slot(location="Advising office 2")
    auth.login("ana")
    page = client.get("/appointments/book").get_data(as_text=True)
    assert "Advising office 2" in page and "1 of 1 free" in page
    path = f"/appointments/slots/{slot.id}/book"
    response = client.post(path, data={"csrf_token": token(client, path),
                                       "reason": "course choice"})
    assert response.status_code == 303 and response.location.endswith("/appointments/")
    html = client.get(response.location).get_data(as_text=True)
    assert BOOKED in html
    session.rollback()
    made = session.scalars(select(Booking).where(Booking.student_key == ana.key)).one()
    assert made.reason == "course choice"
    assert f"/appointments/bookings/{made.id}/cancel" in html

    response = client.post(f"/appointments/bookings/{made.id}/cancel",
                           data={"csrf_token": token(client, "/appointments/"),
                                 "reason": "feeling better"}, follow_redirects=True)
    assert "Cancelled: " in response.get_data(as_text=True)
    session.rollback()  # end the test's read snapshot (SQLite WAL keeps it otherwise)
    assert (session.get(Booking, made.id).status,
            session.get(Booking, made.id).cancel_reason) == ("cancelled", "feeling better")


def test_booking_from_the_dialog_answers_fragments(client, auth, session, create_user,
                                                   create_slot, create_booking):
    ana = create_user(username="ana")
    slot = create_slot()
    path = f"/appointments/slots/{slot.id}/book"
    auth.login("ana")
    done = client.post(path, data={"csrf_token": token(client, path), "fragment": "1"})
    assert done.status_code == 200
    body = done.get_data(as_text=True)
    assert BOOKED in body and "data-appt-done" in body and "<html" not in body
    session.rollback()
    assert session.scalars(select(Booking.student_key)).all() == [ana.key]
    again = client.post(path, data={"csrf_token": token(client, path), "fragment": "1"})
    assert again.status_code == 409
    assert "You have already booked this appointment" in again.get_data(as_text=True)


def test_losing_the_last_seat_offers_the_waitlist_with_the_place(
        client, auth, session, create_user, create_slot, create_booking):
    ana = create_user(username="ana")
    slot = create_slot(capacity=1)
    path = f"/appointments/slots/{slot.id}/book"
    auth.login("ana")
    csrf = token(client, path)  # the page was open with a seat free...
    create_booking("someone", slot)  # ...when someone took it
    session.add(WaitlistEntry(slot_id=slot.id, student_key="w1", created_at=utcnow()))
    session.commit()
    response = client.post(path, data={"csrf_token": csrf})
    assert response.status_code == 303 and response.location.endswith(path)
    html = client.get(response.location).get_data(as_text=True)
    assert ("Someone took the last seat a moment ago. Join the waitlist? You would be "
            "number 2.") in html
    assert f'action="/appointments/slots/{slot.id}/waitlist"' in html
    fragment = client.post(path, data={"csrf_token": csrf, "fragment": "1"})
    assert fragment.status_code == 409 and "You would be number 2." in fragment.get_data(
        as_text=True)
    joined = client.post(f"/appointments/slots/{slot.id}/waitlist",
                         data={"csrf_token": csrf}, follow_redirects=True)
    assert "You are number 2 on the waitlist." in joined.get_data(as_text=True)
    session.rollback()
    assert session.scalars(select(WaitlistEntry.student_key).where(
        WaitlistEntry.slot_id == slot.id).order_by(WaitlistEntry.id)).all() == ["w1", ana.key]


@pytest.mark.parametrize(("setup", "words"), [
    ("overlap", "You already have Writing Centre at 10:00."),
    ("clash", "Clashes with MATH 101 (10:00\u201311:00)."),
    ("limit", "You have reached the limit of 1 Advising a day."),
    ("window", "Bookings open 24 hours before the start."),
    ("eligibility", "This appointment is for students of other programs. Ask the office"),
])
def test_each_refusal_is_worded_with_the_next_step(app, client, auth, session, create_user,
                                                   create_type, create_slot, create_booking,
                                                   setup, words):
    ana = create_user(username="ana")
    fields = {"limit": {"max_per_student_per_day": 1}, "window": {"max_advance_days": 1},
              "eligibility": {"eligibility": {"programs": ["Medicine"]}}}.get(setup, {})
    kind = create_type(name="Advising", **fields)
    slot = create_slot(start=at(1, 10), type=kind)
    if setup == "overlap":
        create_booking(ana.key, create_slot(start=at(1, 10), type=create_type(
            name="Writing Centre")))
    elif setup == "clash":
        add_class(app, ana, "MATH 101", at(1, 10))
    elif setup == "limit":
        create_booking(ana.key, create_slot(start=at(1, 15), type=kind))
    path = f"/appointments/slots/{slot.id}/book"
    auth.login("ana")
    confirm = client.get(path).get_data(as_text=True)
    assert words.split(" Ask")[0] in confirm  # said before the click, too
    response = client.post(path, data={"csrf_token": token(client)}, follow_redirects=True)
    assert words in response.get_data(as_text=True)
    session.rollback()
    assert session.scalars(select(Booking).where(Booking.slot_id == slot.id)).all() == []


def test_posts_need_a_csrf_token(client, auth, session, create_user, create_slot):
    create_user(username="ana")
    slot = create_slot()
    auth.login("ana")
    assert client.post(f"/appointments/slots/{slot.id}/book").status_code == 400
    assert client.post(f"/appointments/slots/{slot.id}/waitlist").status_code == 400
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
    confirm = client.get(f"/appointments/slots/{slot.id}/book").get_data(as_text=True)
    assert f"/appointments/slots/{slot.id}/waitlist" in confirm
    assert "If you join the waitlist you will be number 1." in confirm
    response = client.post(f"/appointments/slots/{slot.id}/waitlist",
                           data={"csrf_token": token(client)}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "You are number 1 on the waitlist" in html and "number 1" in html
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
    confirm = client.get(f"/appointments/slots/{slot.id}/book").get_data(as_text=True)
    assert "held for you for 30 minutes" in confirm
    response = client.post(f"/appointments/slots/{slot.id}/waitlist",
                           data={"csrf_token": token(client)}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "held for you for 30 minutes" in html and "booked for you automatically" not in html


def test_the_list_fragment_is_the_week_alone(client, auth, create_user, create_slot):
    create_user(username="ana")
    create_slot(start=at(1, 10), location="Fragment room")
    auth.login("ana")
    response = client.get("/appointments/book", query_string={
        "week": next_monday().isoformat(), "fragment": "list"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith("<div id=\"appt-book-list\"") or 'id="appt-book-list"' in body
    assert "Fragment room" in body and 'id="appt-book-data"' in body


def test_a_type_that_asks_for_a_reason_gets_one(app, client, auth, session, create_user,
                                                 create_type, create_slot):
    """The field is required on the page; without a reason the booking is refused in plain
    words and nothing is booked (and staff booking for a student are not asked)."""
    from sis_appointments.contract import SisUser
    from sis_appointments.services.scheduling import booking

    lee = create_user(username="lee", role="staff")
    create_user(username="ana")
    asking = create_type(hosts=(lee.key,), reason_required=True)
    slot = create_slot(type=asking, host_key=lee.key, capacity=2)
    path = f"/appointments/slots/{slot.id}/book"
    auth.login("ana")
    page = client.get(path).get_data(as_text=True)
    assert re.search(r'What would you like to discuss\?</label>\s*<textarea[^>]* required', page)
    refused = client.post(path, data={"csrf_token": token(client, path), "reason": "  ",
                                      "fragment": "1"})
    assert refused.status_code == 422
    assert "Please say what you would like to discuss" in refused.get_data(as_text=True)
    session.rollback()
    assert session.scalars(select(Booking)).all() == []
    done = client.post(path, data={"csrf_token": token(client, path), "reason": "my minor",
                                   "fragment": "1"})
    assert done.status_code == 200 and BOOKED in done.get_data(as_text=True)
    ben = create_user(username="ben")
    with app.app_context():
        staff = SisUser(key=lee.key, name="Lee", roles=frozenset({"staff"}))
        made = booking.book(session, actor=staff, slot_id=slot.id, student_key=ben.key)
    assert made.reason == ""
    other = create_slot(host_key=lee.key, start=slot.start_utc + timedelta(days=1))
    page = client.get(f"/appointments/slots/{other.id}/book").get_data(as_text=True)
    assert "What would you like to discuss? (optional)" in page


# -- the review in Chromium: what the page said wrongly

def calendar_data(html: str) -> dict:
    import json
    return json.loads(re.search(r'<script type="application/json" id="appt-book-data">(.*?)'
                                r"</script>", html, re.S).group(1))


def test_the_calendar_keeps_slots_after_midnight_on_their_own_day(
        client, auth, create_user, create_type, create_slot):
    """FullCalendar draws hours past 24 in the previous day's column: the calendar's hours
    stay within the day, all of it when the week's slots go on past midnight."""
    kolkata = ZoneInfo("Asia/Kolkata")
    create_user(username="ana", timezone="Asia/Kolkata")
    kind = create_type(name="Writing centre")
    monday = next_monday()

    def local(day, hour, minute=0):
        return datetime.combine(monday + timedelta(days=day), time(hour, minute),
                                kolkata).astimezone(UTC)

    create_slot(start=local(1, 20, 30), minutes=45, type=kind)
    create_slot(start=local(3, 0, 30), minutes=45, type=kind)  # Thursday, after midnight
    auth.login("ana")
    html = week_page(client)
    assert calendar_data(html)["hours"] == [0, 22]  # 00:30 to 21:15, within the day
    create_slot(start=local(3, 23, 30), minutes=45, type=kind)  # on into Friday
    assert calendar_data(week_page(client))["hours"] == [0, 24]
    assert calendar_data(week_page(client))["scroll"] == 20  # where the evening's begin
    # the list agrees: the 00:30 slot is Thursday's
    thursday = monday + timedelta(days=3)
    section = html.split(f'id="day-{thursday.isoformat()}"')[1]
    assert "00:30</time> to 01:15" in section


def test_the_calendars_hours_are_those_of_the_weeks_slots(client, auth, create_user,
                                                          create_slot):
    create_user(username="ana")
    auth.login("ana")
    assert calendar_data(week_page(client))["hours"] == [8, 18]  # none: office hours
    create_slot(start=at(1, 9, 30))
    create_slot(start=at(2, 16), minutes=60)
    assert calendar_data(week_page(client))["hours"] == [9, 17]
    assert calendar_data(week_page(client))["scroll"] == 9
    create_slot(start=at(3, 21), minutes=60)  # a long day, not past midnight: from its start
    assert calendar_data(week_page(client))["hours"] == [9, 22]
    assert calendar_data(week_page(client))["scroll"] == 9


def test_the_page_knows_the_student_waits_for_a_slot(client, auth, session, create_user,
                                                    create_slot, create_booking):
    ana = create_user(username="ana")
    slot = create_slot(start=at(2, 11))
    create_booking("someone", slot)
    session.add(WaitlistEntry(slot_id=slot.id, student_key="first", created_at=utcnow()))
    session.commit()
    auth.login("ana")
    client.post(f"/appointments/slots/{slot.id}/waitlist", data={"csrf_token": token(client)})
    session.rollback()
    entry = session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.student_key == ana.key)).one()
    html = week_page(client)
    row = html.split(f'data-slot-id="{slot.id}"')[1].split("</li>")[0]
    assert 'data-action="waiting"' in html and "On the waitlist (#2)" in row
    assert "Join waitlist" not in row and "Full, 2 waiting" not in row
    assert f'action="/appointments/waitlist/{entry.id}/leave"' in row and "Leave waitlist" in row
    offer = calendar_data(html)["offers"][str(slot.id)]
    assert offer["action"] == "waiting" and offer["place"] == 2
    dialog = client.get(f"/appointments/slots/{slot.id}/book?fragment=1").get_data(as_text=True)
    assert "You are number 2 on the waitlist" in dialog and "Join the waitlist" not in dialog
    assert "would be number" not in dialog and "Leave the waitlist" in dialog
    assert f"/appointments/waitlist/{entry.id}/leave" in dialog
    assert "Leaving the waitlist is free" in dialog
    # leaving from the row: back to the same week (never to an address elsewhere), and the
    # seat line comes back
    back = re.search(r'name="back" value="([^"]+)"', row).group(1).replace("&amp;", "&")
    assert back.startswith("/appointments/book?week=")
    left = client.post(f"/appointments/waitlist/{entry.id}/leave",
                       data={"csrf_token": token(client), "back": back})
    assert left.status_code == 303 and left.location == back
    assert "Full, 1 waiting" in week_page(client)
    client.post(f"/appointments/slots/{slot.id}/waitlist", data={"csrf_token": token(client)})
    session.rollback()
    again = session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.student_key == ana.key, WaitlistEntry.status == "waiting")).one()
    elsewhere = client.post(f"/appointments/waitlist/{again.id}/leave", data={
        "csrf_token": token(client), "back": "https://elsewhere.example/appointments/book?x"})
    assert elsewhere.location == "/appointments/"


def test_inside_the_cutoff_the_confirmation_says_cancelling_would_be_late(
        client, auth, create_user, create_type, create_slot, create_booking):
    create_user(username="ana")
    kind = create_type(name="Advising", cancel_cutoff_minutes=24 * 60)
    soon = create_slot(start=utcnow().replace(microsecond=0) + timedelta(hours=13), type=kind)
    later = create_slot(start=utcnow().replace(microsecond=0) + timedelta(days=3), type=kind)
    auth.login("ana")
    html = client.get(f"/appointments/slots/{soon.id}/book").get_data(as_text=True)
    assert ("It is less than 24 hours before the start: cancelling this booking would count "
            "as a late cancellation.") in html
    assert "Free cancellation until" not in html
    html = client.get(f"/appointments/slots/{later.id}/book").get_data(as_text=True)
    assert "Free cancellation until 24 hours before" in html
    # the cancel page says the cutoff in the same words
    client.post(f"/appointments/slots/{later.id}/book", data={"csrf_token": token(client)})
    booking_id = re.search(r"/appointments/bookings/(\d+)/cancel",
                           client.get("/appointments/").get_data(as_text=True)).group(1)
    cancel = client.get(f"/appointments/bookings/{booking_id}/cancel").get_data(as_text=True)
    assert "(24 hours before it starts)" in cancel and "1 day" not in cancel


def test_joining_a_waitlist_says_leaving_it_is_free(client, auth, create_user, create_slot,
                                                    create_booking):
    create_user(username="ana")
    slot = create_slot(capacity=1)
    create_booking("someone", slot)
    auth.login("ana")
    html = client.get(f"/appointments/slots/{slot.id}/book").get_data(as_text=True)
    assert "Leaving the waitlist is free, at any time." in html
    assert "<dd>Free cancellation until the start.</dd>" not in html


def test_links_and_the_filters_keep_the_view_and_the_shown_slots(
        client, auth, create_user, create_type, create_slot, create_booking):
    ana = create_user(username="ana")
    kind = create_type(name="Advising", max_active_per_student=1)
    create_booking(ana.key, create_slot(start=at(0, 9), type=kind))
    create_slot(start=at(2, 10), type=kind)
    create_slot(start=at(9, 10), type=kind)  # a next week
    auth.login("ana")
    html = week_page(client, view="list", limited="1")
    links = re.findall(r'href="(/appointments/book\?[^"]+)"', html)
    assert links and all("view=list" in link for link in links)
    form = html.split('role="search"')[1].split("</form>")[0]
    assert '<input type="hidden" name="limited" value="1">' in form
    assert 'name="view" value="list"' in form
    assert 'data-appt-wanted="list"' in html
    plain = week_page(client)
    assert "view=" not in " ".join(re.findall(r'href="(/appointments/book\?[^"]+)"', plain))
    assert 'name="limited"' not in plain.split('role="search"')[1].split("</form>")[0]
    assert 'data-appt-wanted' not in week_page(client, view="nonsense")


def test_an_empty_result_is_said_before_the_calendar(client, auth, create_user, create_type,
                                                     create_slot):
    create_user(username="ana")
    create_slot(start=at(1, 10), type=create_type(name="Advising"))
    other = create_type(name="Tutoring")
    create_slot(start=at(9, 10), type=other)
    auth.login("ana")
    html = week_page(client, type=other.id)
    assert "No open slots match these filters this week." in html
    assert html.index("appt-empty") < html.index("data-appt-calendar-place")


def test_the_clash_checkbox_names_both_kinds_of_clash(client, auth, create_user, create_slot):
    create_user(username="ana")
    create_slot(start=at(1, 10))
    auth.login("ana")
    assert ">Show slots that clash with my timetable or appointments</label>" in week_page(client)

"""My appointments, page by page with the Flask client: upcoming and history, cancelling
with a confirmation (and the late-cancellation warning), rescheduling, held seats accepted
or declined, what happened to a booking, the profile section, and the portal tab."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from test_portal_booking import token

from sis_appointments.contract import SisUser
from sis_appointments.models import Booking, WaitlistEntry, utcnow
from sis_appointments.services.scheduling import booking, waitlist

HOME = "/appointments/"


def local(booking_or_slot, zone="America/New_York") -> str:
    """'Tue 8 Dec 10:00', as the pages' messages name a time."""
    from zoneinfo import ZoneInfo

    slot = getattr(booking_or_slot, "slot", booking_or_slot)
    at = slot.start_utc.astimezone(ZoneInfo(zone))
    return f"{at:%a} {at.day} {at:%b %H:%M}"


def as_user(person) -> SisUser:
    return SisUser(key=person.key, name=person.name, roles=frozenset({person.role}))


@pytest.fixture
def world(create_user, create_type, create_slot):
    """Dr Lee (staff) hosting advising; students ana and ben."""
    lee = create_user(username="lee", role="staff", name="Dr Lee")
    ana, ben = create_user(username="ana"), create_user(username="ben")
    advising = create_type(hosts=(lee.key,), cancel_cutoff_minutes=24 * 60)

    def slot(hours, **fields):
        return create_slot(start=utcnow().replace(microsecond=0) + timedelta(hours=hours),
                           type=fields.pop("type", advising), host_key=lee.key, **fields)

    return lee, ana, ben, advising, slot


def test_upcoming_and_history_are_split_with_outcomes(client, auth, world, create_booking):
    lee, ana, ben, advising, slot = world
    kept = create_booking(ana.key, slot(72, location="Advising office 2"))
    create_booking(ana.key, slot(96), status="cancelled")
    attended = create_booking(ana.key, slot(-48), status="attended")
    create_booking(ben.key, slot(120, location="Ben's room"))
    auth.login("ana")
    html = client.get(HOME).get_data(as_text=True)
    upcoming, history = html.split('id="upcoming"')[1].split('id="history"')
    assert "Advising office 2" in upcoming and "with Dr Lee" in upcoming
    assert f"/appointments/bookings/{kept.id}/cancel" in upcoming
    assert f"/appointments/bookings/{kept.id}/reschedule" in upcoming
    assert f"/api/appointments/v1/calendar/bookings/{kept.id}" in upcoming
    assert "cancelled" not in upcoming
    assert ">cancelled<" in history and ">attended<" in history
    assert f"/appointments/bookings/{attended.id}" in history
    assert "Attendance: 1 attended, 0 no-shows, 0 excused, 1 cancelled" in history
    assert "Ben&#39;s room" not in html and "Ben's room" not in html
    assert html.count("Times are shown in America/New_York") == 1


def test_cancelling_asks_first_and_warns_when_late(client, auth, session, world,
                                                    create_booking):
    lee, ana, ben, advising, slot = world
    late = create_booking(ana.key, slot(3))
    free = create_booking(ana.key, slot(72))
    auth.login("ana")
    page = client.get(f"/appointments/bookings/{late.id}/cancel").get_data(as_text=True)
    assert "This will count as a late cancellation" in page
    assert "without penalty until 24 hours before" in page  # as the book page says it
    page = client.get(f"/appointments/bookings/{free.id}/cancel").get_data(as_text=True)
    assert "late cancellation" in page and "This will count" not in page
    session.rollback()
    session.expire_all()
    assert session.get(Booking, late.id).status == "confirmed"  # a GET changes nothing

    response = client.post(f"/appointments/bookings/{late.id}/cancel", follow_redirects=True,
                           data={"csrf_token": token(client, HOME), "reason": "ill"})
    assert (f"Cancelled: {advising.name} with Dr Lee, {local(late)}. It counts as a late "
            "cancellation.") in response.get_data(as_text=True)
    session.rollback()
    session.expire_all()
    found = session.get(Booking, late.id)
    assert (found.status, found.cancel_reason) == ("late_cancelled", "ill")
    # Cancelled: its confirmation page sends the student back.
    response = client.get(f"/appointments/bookings/{late.id}/cancel", follow_redirects=True)
    assert "This booking is not active any more." in response.get_data(as_text=True)


def test_another_students_booking_does_not_exist_on_any_page(client, auth, session, world,
                                                              create_booking):
    lee, ana, ben, advising, slot = world
    theirs = create_booking(ben.key, slot(72))
    other = slot(96)
    auth.login("ana")
    csrf = token(client, HOME)
    for path in ("", "/cancel", "/reschedule"):
        assert client.get(f"/appointments/bookings/{theirs.id}{path}").status_code == 404
    assert client.post(f"/appointments/bookings/{theirs.id}/cancel",
                       data={"csrf_token": csrf}).status_code == 404
    assert client.post(f"/appointments/bookings/{theirs.id}/reschedule",
                       data={"csrf_token": csrf, "slot": other.id}).status_code == 404
    assert client.get("/appointments/bookings/999999").status_code == 404
    session.rollback()
    session.expire_all()
    assert (session.get(Booking, theirs.id).status, session.get(Booking, theirs.id).slot_id) \
        == ("confirmed", theirs.slot_id)


def test_rescheduling_lists_the_same_type_and_moves_the_booking(
        client, auth, session, world, create_booking, create_type):
    lee, ana, ben, advising, slot = world
    mine = create_booking(ana.key, slot(48))
    target, full = slot(72, location="Room 7"), slot(96)
    create_booking(ben.key, full)
    writing = create_type(name="Writing centre", hosts=(lee.key,))
    elsewhere = slot(120, type=writing)
    auth.login("ana")
    page = client.get(f"/appointments/bookings/{mine.id}/reschedule").get_data(as_text=True)
    assert f'value="{target.id}"' in page and "Room 7" in page
    assert f'value="{full.id}"' not in page and f'value="{elsewhere.id}"' not in page
    url = f"/appointments/bookings/{mine.id}/reschedule"
    response = client.post(url, data={"csrf_token": token(client, url)}, follow_redirects=True)
    assert "Pick a new time first." in response.get_data(as_text=True)

    response = client.post(url, data={"csrf_token": token(client, url), "slot": full.id},
                           follow_redirects=True)
    assert "Someone took the last seat of that time a moment ago" in \
        response.get_data(as_text=True)
    response = client.post(url, data={"csrf_token": token(client, url), "slot": target.id},
                           follow_redirects=True)
    assert f"Moved: {advising.name} is now {local(target)}." in response.get_data(as_text=True)
    session.rollback()
    session.expire_all()
    assert session.get(Booking, mine.id).slot_id == target.id
    assert client.post(url, data={"slot": target.id}).status_code == 400  # no CSRF token


def test_moving_closes_when_free_cancellation_ends_for_students_not_staff(
        app, client, auth, session, world, create_booking):
    """Moving frees the seat as late as cancelling: past the cutoff (24 hours here) the page
    says so and offers keeping or cancelling; the service refuses a student's move; staff
    may still move it."""
    lee, ana, ben, advising, slot = world
    soon, later = create_booking(ana.key, slot(13)), slot(72)
    url = f"/appointments/bookings/{soon.id}/reschedule"
    auth.login("ana")
    page = client.get(url).get_data(as_text=True)
    assert "It is too late to move this appointment" in page
    assert "moved or cancelled without penalty until 24 hours before they start" in page
    assert f'value="{later.id}"' not in page  # no times offered
    assert f'href="/appointments/bookings/{soon.id}/cancel">Cancel it</a>' in page
    refused = client.post(url, data={"csrf_token": token(client, url), "slot": later.id},
                          follow_redirects=True)
    assert "too late to move this appointment: changes close 24 hours before it starts" in \
        refused.get_data(as_text=True)
    session.rollback()
    assert session.get(Booking, soon.id).slot_id != later.id
    with app.app_context():
        moved = booking.reschedule(session, actor=as_user(lee), booking_id=soon.id,
                                   target_slot_id=later.id)
    assert moved.slot_id == later.id


@pytest.fixture
def offer(app, session, world, create_type, create_slot):
    """ana holds an offered seat (offer mode, 30 minutes) that ben's cancellation freed."""
    lee, ana, ben, advising, slot = world
    offering = create_type(name="Career talk", hosts=(lee.key,), offer_minutes=30)
    full = slot(72, type=offering)
    with app.app_context():  # services ask the host through the app's plugin manager
        held = booking.book(session, actor=as_user(ben), slot_id=full.id)
        entry = waitlist.join(session, actor=as_user(ana), slot_id=full.id)
        booking.cancel(session, actor=as_user(ben), booking_id=held.id)
    session.expire_all()
    assert session.get(WaitlistEntry, entry.id).status == "offered"
    return entry


def test_a_held_seat_is_accepted_from_the_page(client, auth, session, world, offer):
    auth.login("ana")
    html = client.get(HOME).get_data(as_text=True)
    assert "Seat held for you until" in html
    assert f"/appointments/waitlist/{offer.id}/accept" in html
    assert f"/appointments/waitlist/{offer.id}/decline" in html
    response = client.post(f"/appointments/waitlist/{offer.id}/accept",
                           data={"csrf_token": token(client, HOME)}, follow_redirects=True)
    assert "Accepted. The seat is yours" in response.get_data(as_text=True)
    session.rollback()
    session.expire_all()
    assert session.get(WaitlistEntry, offer.id).status == "promoted"
    response = client.post(f"/appointments/waitlist/{offer.id}/accept",
                           data={"csrf_token": token(client, HOME)}, follow_redirects=True)
    assert "There is no seat held for you" in response.get_data(as_text=True)


def test_the_book_page_offers_a_held_seat_to_accept_not_a_place_to_leave(client, auth,
                                                                         session, offer):
    """A seat held for the student (an offer) is said on the Book page, in the list and the
    dialog, with Accept and Decline: 'Leave the waitlist' would give it away unasked."""
    from zoneinfo import ZoneInfo

    session.refresh(offer)
    day = offer.slot.start_utc.astimezone(ZoneInfo("America/New_York")).date()
    until = offer.offer_expires_at.astimezone(ZoneInfo("America/New_York"))
    auth.login("ana")
    week = client.get("/appointments/book", query_string={
        "week": (day - timedelta(days=day.weekday())).isoformat()}).get_data(as_text=True)
    row = week[week.index(f'data-slot-id="{offer.slot_id}"'):]
    row = row[:row.index("</li>")]
    assert f"A seat is held for you until <time datetime=\"{offer.offer_expires_at.isoformat()}\">"\
        f"{until:%H:%M}</time>" in row
    assert f'action="/appointments/waitlist/{offer.id}/accept"' in row
    assert f'action="/appointments/waitlist/{offer.id}/decline"' in row
    assert "/leave" not in row and "On the waitlist" not in row
    assert '"offered": true' in week  # the calendar's event says it too
    dialog = client.get(f"/appointments/slots/{offer.slot_id}/book").get_data(as_text=True)
    assert "A seat is free for you: it is held until" in dialog
    assert f'action="/appointments/waitlist/{offer.id}/accept"' in dialog
    assert "Leave the waitlist" not in dialog


def test_a_held_seat_is_declined_and_others_cannot_answer_it(client, auth, session, world,
                                                              offer):
    auth.login("ben")
    assert client.post(f"/appointments/waitlist/{offer.id}/accept",
                       data={"csrf_token": token(client, HOME)}).status_code == 404
    auth.logout()
    auth.login("ana")
    response = client.post(f"/appointments/waitlist/{offer.id}/decline",
                           data={"csrf_token": token(client, HOME)}, follow_redirects=True)
    assert "Declined. The seat passes to the next student waiting." in \
        response.get_data(as_text=True)
    session.rollback()
    session.expire_all()
    assert session.get(WaitlistEntry, offer.id).status == "left"


def test_what_happened_shows_the_students_own_bookings_story(
        app, client, auth, session, world, create_user):
    lee, ana, ben, advising, slot = world
    first, second = slot(48), slot(72)
    with app.app_context():
        made = booking.book(session, actor=as_user(ana), slot_id=first.id)
        booking.reschedule(session, actor=as_user(lee), booking_id=made.id,
                           target_slot_id=second.id)
        booking.cancel(session, actor=as_user(ana), booking_id=made.id, reason="exam moved")
    auth.login("ana")
    page = client.get(f"/appointments/bookings/{made.id}").get_data(as_text=True)
    assert [m for m in ("Booked by you", "Moved by Dr Lee&#39;s office", "Cancelled by you")
            if m in page] == ["Booked by you", "Moved by Dr Lee&#39;s office",
                              "Cancelled by you"]
    assert "Reason: exam moved" in page
    auth.logout()
    auth.login("ben")
    assert client.get(f"/appointments/bookings/{made.id}").status_code == 404
    auth.logout()
    auth.login("lee")  # staff who host it see it, named
    page = client.get(f"/appointments/bookings/{made.id}").get_data(as_text=True)
    assert "Moved by you" in page and ana.name in page
    session.refresh(made)
    assert (f'href="/admin/appointments/calendar/slots/{made.slot_id}">Back to the slot in '
            'the calendar</a>') in page  # not a dead end for staff
    assert "Back to my appointments" not in page
    create_user(username="kim", role="staff")
    auth.logout()
    auth.login("kim")  # staff who do not manage the calendar: it does not exist
    assert client.get(f"/appointments/bookings/{made.id}").status_code == 404


def test_the_profile_section_for_the_student_and_staff(client, auth, world, create_booking,
                                                       create_user):
    lee, ana, ben, advising, slot = world
    upcoming = create_booking(ana.key, slot(72))
    create_booking(ana.key, slot(-72), status="no_show")
    profile = f"/students/{ana.id}"
    auth.login("ana")
    page = client.get(profile).get_data(as_text=True)
    assert "Upcoming appointments" in page and ">no-show<" in page
    assert "Attendance: 0 attended, 1 no-show" in page
    assert f'href="/appointments/bookings/{upcoming.id}"' in page
    auth.logout()
    auth.login("lee")
    page = client.get(profile).get_data(as_text=True)
    assert f'href="/appointments/bookings/{upcoming.id}"' in page
    create_user(username="kim", role="staff")
    auth.logout()
    auth.login("kim")  # sees the student, but not the details of Dr Lee's bookings
    page = client.get(profile).get_data(as_text=True)
    assert "Upcoming appointments" in page and "Not your calendar" in page
    assert f'href="/appointments/bookings/{upcoming.id}"' not in page
    auth.logout()
    auth.login("ben")
    assert client.get(profile).status_code == 403


def test_one_page_one_name_details(client, auth, world, create_booking, create_user):
    """Upcoming and past rows, the profile and the page itself call it "Details"; the page
    shows what the student wrote when booking; the profile leads to the student's pages."""
    lee, ana, ben, advising, slot = world
    coming = create_booking(ana.key, slot(72), reason="Choosing a minor")
    past = create_booking(ana.key, slot(-72), status="attended")
    auth.login("ana")
    home = client.get(HOME).get_data(as_text=True)
    for made in (coming, past):
        link = re.search(rf'href="/appointments/bookings/{made.id}">([^<]*)<', home)
        assert link and link.group(1) == "Details"
    assert "What happened" not in home and ">History<span" not in home
    page = client.get(f"/appointments/bookings/{coming.id}").get_data(as_text=True)
    assert "<h1>Appointment details</h1>" in page and "What happened" not in page
    assert "You wrote" in page and "Choosing a minor" in page
    assert "Times are shown in America/New_York." in page
    profile = client.get(f"/students/{ana.id}").get_data(as_text=True)
    assert f'href="/appointments/bookings/{coming.id}">Details<' in profile
    assert 'href="/appointments/">My appointments</a>' in profile
    assert 'href="/appointments/book">Book an appointment</a>' in profile
    book = client.get("/appointments/book").get_data(as_text=True)
    assert "Times are shown in America/New_York." in book
    auth.logout()
    auth.login("lee")  # staff see the reason as the student's, and no links of theirs
    page = client.get(f"/appointments/bookings/{coming.id}").get_data(as_text=True)
    assert "The student wrote" in page and "Choosing a minor" in page
    profile = client.get(f"/students/{ana.id}").get_data(as_text=True)
    assert "Book an appointment" not in profile


def test_the_tab_is_current_on_its_pages_and_counts_unread(app, client, auth, world,
                                                           create_booking):
    from test_portal_notifications import deliver

    lee, ana, ben, advising, slot = world
    auth.login("ana")
    client.post(f"/appointments/slots/{slot(72).id}/book",
                data={"csrf_token": token(client)})
    deliver(app)
    for path in (HOME, "/appointments/book", "/appointments/me/notifications"):
        html = client.get(path).get_data(as_text=True)
        tab = re.search(r'<a href="/appointments/"[^>]*>.*?</a>', html, re.S).group(0)
        assert 'aria-current="page"' in tab, path
        assert "1 unread notification<" in tab.replace("</span>", "<")
    assert 'aria-current' not in re.search(r'<a href="/portal"[^>]*>',
                                           client.get(HOME).get_data(as_text=True)).group(0)


def test_messages_show_once_and_the_calendar_address_can_be_copied(client, auth, world):
    auth.login("ana")
    page = "/appointments/me/preferences"
    response = client.post("/appointments/me/feed", data={"csrf_token": token(client, page)})
    html = response.get_data(as_text=True)
    assert html.count("Your calendar address is below.") == 1
    url = re.search(r'id="feed-url"[^>]*value="([^"]+)"', html).group(1)
    assert f'href="{url.replace("http://", "webcal://")}"' in html
    assert 'data-appt-copy="feed-url"' in html and "js/copy.js" in html
    response = client.post("/appointments/me/feed/off", data={"csrf_token": token(client, page)},
                           follow_redirects=True)
    assert response.get_data(as_text=True).count("no longer works") == 1


def test_the_students_own_pages_are_for_students(client, auth, world, create_booking, offer):
    lee, ana, ben, advising, slot = world
    hers = create_booking(ana.key, slot(72))
    auth.login("lee")  # staff act on bookings from their own pages and the API
    for path in (f"/bookings/{hers.id}/cancel", f"/bookings/{hers.id}/reschedule", ""):
        assert client.get(f"{HOME.rstrip('/')}{path or '/'}").status_code == 403, path
    csrf = token(client, "/appointments/me/notifications")
    for path in (f"/waitlist/{offer.id}/accept", f"/waitlist/{offer.id}/decline"):
        assert client.post(f"/appointments{path}", data={"csrf_token": csrf}).status_code \
            == 403, path
    auth.logout()
    assert client.get(f"/appointments/bookings/{hers.id}").status_code in (302, 401)


def test_an_appointment_under_way_is_no_longer_changed_here(client, auth, world,
                                                           create_booking):
    lee, ana, ben, advising, slot = world
    now_on = create_booking(ana.key, slot(-0.25))  # began a quarter of an hour ago
    auth.login("ana")
    row = client.get(HOME).get_data(as_text=True).split('id="upcoming"')[1]
    assert "In progress" in row and f"/bookings/{now_on.id}/cancel" not in row
    for path in ("cancel", "reschedule"):
        response = client.get(f"/appointments/bookings/{now_on.id}/{path}",
                              follow_redirects=True)
        assert "That appointment has already started" in response.get_data(as_text=True)


def test_the_body_alone_for_live_refetches(client, auth, world, create_booking, offer):
    """``?fragment=1``: what mine.js swaps in when something changed (no layout); the page
    follows the student's own room and the types of the slots it shows."""
    lee, ana, ben, advising, slot = world
    kept = create_booking(ana.key, slot(72))
    auth.login("ana")
    page = client.get(HOME).get_data(as_text=True)
    rooms = re.search(r'data-appt-rooms="([^"]*)"', page).group(1).split()
    assert rooms == ["me", *sorted({f"type:{advising.id}", f"type:{offer.slot.type_id}"})]
    assert re.search(r'data-appt-unread hidden><span data-appt-n>0</span>', page)
    body = client.get(f"{HOME}?fragment=1").get_data(as_text=True)
    assert "<html" not in body and "<h1" not in body
    assert f'data-booking-id="{kept.id}"' in body
    assert re.search(rf'<section class="appt-offer"[^>]*data-entry-id="{offer.id}"', body)
    assert re.search(r"data-appt-expires=\"[^\"]+\">(29|30) minutes left<", body)
    auth.logout()
    auth.login("ben")
    theirs = client.get(f"{HOME}?fragment=1").get_data(as_text=True)
    assert "You have no upcoming appointments." in theirs
    assert f'data-booking-id="{kept.id}"' not in theirs


def test_a_time_overlapping_the_booking_being_moved_is_offered(client, auth, session, world,
                                                               create_booking):
    """Moving 15 minutes later: the booking being moved does not stand in its own way (the
    service frees it in the same step)."""
    lee, ana, ben, advising, slot = world
    mine = create_booking(ana.key, slot(48))
    later = slot(48.25)
    assert later.start_utc < mine.slot.end_utc  # they overlap
    auth.login("ana")
    url = f"/appointments/bookings/{mine.id}/reschedule"
    assert f'value="{later.id}"' in client.get(url).get_data(as_text=True)
    response = client.post(url, data={"csrf_token": token(client, url), "slot": later.id},
                           follow_redirects=True)
    assert "Moved: " in response.get_data(as_text=True)
    session.rollback()
    session.expire_all()
    assert session.get(Booking, mine.id).slot_id == later.id

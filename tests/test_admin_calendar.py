"""The staff calendar, page by page with the Flask client: whose calendars a person sees (their
own; others' with a grant; all for admins), the event feed in the viewer's zone, adding
availability with a preview first (clashes and DST shifts named; nothing saved until
"Create"), a slot's panel (bookings, attendance, seats and place, cancelling with a reason)
and moving a slot through a confirmation that names the students who will be told."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from sis_appointments.models import AuditEntry, Booking, RoleGrant, Slot, utcnow

CAL = "/admin/appointments/calendar"
NEW_YORK = ZoneInfo("America/New_York")


def token(client, path):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def next_monday() -> date:
    today = utcnow().astimezone(NEW_YORK).date()
    return today - timedelta(days=today.weekday()) + timedelta(days=7)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """Next week's ``day`` at ``hour`` in New York, in UTC."""
    local = datetime.combine(next_monday() + timedelta(days=day), datetime.min.time())
    return local.replace(hour=hour, minute=minute, tzinfo=NEW_YORK).astimezone(UTC)


@pytest.fixture
def office(create_user, create_type, create_slot, session):
    """Dr Lee and Dr Kim (staff, New York), an admin, a student; advising hosted by both."""
    lee = create_user(username="lee", role="staff", name="Dr Lee")
    kim = create_user(username="kim", role="staff", name="Dr Kim")
    create_user(username="boss", role="admin", name="Registrar")
    ana = create_user(username="ana", name="Ana Student")
    advising = create_type(hosts=(lee.key, kim.key), duration_minutes=30)
    lees = create_slot(start=at(1, 10), host_key=lee.key, type=advising, capacity=2)
    kims = create_slot(start=at(1, 11), host_key=kim.key, type=advising)
    return lee, kim, ana, advising, lees, kims


def week(client, **args) -> str:
    response = client.get(CAL, query_string={"week": next_monday().isoformat(), **args})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_students_and_strangers_cannot_open_the_calendar(client, auth, office):
    assert client.get(CAL).status_code == 302  # to the host's login
    auth.login("ana")
    for path in (CAL, f"{CAL}/add", f"{CAL}/events?start=2026-01-01&end=2026-01-08",
                 f"{CAL}/slots/{office[4].id}"):
        assert client.get(path).status_code == 403, path


def test_staff_see_their_own_calendar_and_others_only_with_a_grant(client, auth, session,
                                                                   office):
    lee, kim, ana, advising, lees, kims = office
    auth.login("lee")
    page = week(client)
    assert f'data-slot-id="{lees.id}"' in page and f'data-slot-id="{kims.id}"' not in page
    assert "Times are in America/New_York" in page and "0 of 2 booked" in page
    assert client.get(CAL, query_string={"host": kim.key}).status_code == 403
    assert client.get(f"{CAL}/slots/{kims.id}").status_code == 403
    session.add(RoleGrant(user_key=lee.key, grant="manage_calendar", target_key=kim.key))
    session.commit()
    page = week(client)
    assert f'data-slot-id="{kims.id}"' in page and "(Dr Kim)" in page
    assert f'data-slot-id="{lees.id}"' not in week(client, host=kim.key)
    assert f'data-appt-rooms="host:{lee.key} host:{kim.key}"' in page


def test_the_event_feed_speaks_the_viewers_wall_clock(client, auth, office, create_booking):
    lee, kim, ana, advising, lees, kims = office
    create_booking(ana.key, lees)
    auth.login("lee")
    monday = next_monday().isoformat()
    sunday = (next_monday() + timedelta(days=7)).isoformat()
    events = client.get(f"{CAL}/events", query_string={
        "start": f"{monday}T00:00:00Z", "end": f"{sunday}T00:00:00Z"}).get_json()
    assert [e["id"] for e in events] == [str(lees.id)]
    [event] = events
    local = lees.start_utc.astimezone(NEW_YORK)
    assert event["start"] == local.replace(tzinfo=None).isoformat()
    assert event["extendedProps"]["booked"] == 1 and event["extendedProps"]["capacity"] == 2
    assert event["extendedProps"]["host"] == "Dr Lee"
    assert event["url"] == f"{CAL}/slots/{lees.id}"
    assert client.get(f"{CAL}/events", query_string={
        "start": f"{monday}T00:00:00", "end": f"{sunday}T00:00:00",
        "host": kim.key}).status_code == 403
    assert client.get(f"{CAL}/events?start=nonsense&end=x").status_code == 422


def _add(client, action, **fields):
    path = f"{CAL}/add"
    body = {"csrf_token": token(client, path), "host": fields.pop("host"),
            "type_id": fields.pop("type_id"), "split": "y", "repeat": "none",
            "action": action, **fields}
    return client.post(path, data=body)


def test_a_host_who_does_not_host_the_type_is_named_not_numbered(client, auth, session,
                                                                  office, create_type):
    lee, kim, ana, advising, lees, kims = office
    kims_own = create_type(name="Careers drop-in", hosts=(kim.key,))
    auth.login("boss")
    preview = _add(client, "preview", host=lee.key, type_id=kims_own.id,
                   day=(next_monday() + timedelta(days=2)).isoformat(), start="09:00",
                   end="10:00")
    assert "Dr Lee is not a host of Careers drop-in" in preview.get_data(as_text=True)


def test_adding_availability_previews_first_then_creates(client, auth, session, office):
    lee, kim, ana, advising, lees, kims = office
    auth.login("lee")
    day = (next_monday() + timedelta(days=2)).isoformat()
    preview = _add(client, "preview", host=lee.key, type_id=advising.id, day=day,
                   start="09:00", end="10:30")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Preview: 3 slots" in html
    assert "Create 3 slots" in html and html.count("<td>OK</td>") == 3
    session.rollback()
    session.expire_all()
    assert session.scalar(select(Slot.id).where(Slot.start_utc >= at(2, 0))) is None  # nothing
    created = _add(client, "create", host=lee.key, type_id=advising.id, day=day,
                   start="09:00", end="10:30")
    assert created.status_code == 303
    session.rollback()
    session.expire_all()
    made = session.scalars(select(Slot).where(Slot.start_utc >= at(2, 0),
                                              Slot.start_utc < at(3, 0))).all()
    assert sorted(s.start_utc for s in made) == [at(2, 9), at(2, 9, 30), at(2, 10)]
    assert session.scalar(select(AuditEntry.actor_key).where(
        AuditEntry.action == "slot.created", AuditEntry.entity_id == str(made[0].id))) == lee.key


def test_a_clash_is_named_and_blocks_creating(client, auth, session, office):
    lee, kim, ana, advising, lees, kims = office
    auth.login("lee")
    day = (next_monday() + timedelta(days=1)).isoformat()  # lees is at 10:00 that day
    html = _add(client, "preview", host=lee.key, type_id=advising.id, day=day,
                start="09:30", end="10:30").get_data(as_text=True)
    assert "1 of them collides with slots already on the calendar" in html
    local = lees.start_utc.astimezone(NEW_YORK)
    assert (f'Collides with <a href="{CAL}/slots/{lees.id}">the host&#39;s slot at '
            f'{local:%H:%M}</a>') in html  # which one, and a way to it
    assert re.search(r'value="create" class="appt-button" disabled', html)
    refused = _add(client, "create", host=lee.key, type_id=advising.id, day=day,
                   start="09:30", end="10:30")
    assert refused.status_code == 422
    session.rollback()
    session.expire_all()
    assert session.scalar(select(Slot.id).where(Slot.start_utc == at(1, 9, 30))) is None


def test_form_errors_are_shown_in_place(client, auth, office):
    lee, kim, ana, advising, lees, kims = office
    auth.login("lee")
    response = _add(client, "preview", host=lee.key, type_id=advising.id,
                    day=next_monday().isoformat(), start="11:00", end="10:00", capacity="0")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="end-error">must be after the start' in html
    assert 'aria-invalid="true"' in html and 'href="#capacity"' in html
    others = _add(client, "preview", host=kim.key, type_id=advising.id,  # not Lee's to pick
                  day=next_monday().isoformat(), start="09:00", end="10:00")
    assert others.status_code == 422 and 'id="host-error">Not a valid choice' in \
        others.get_data(as_text=True)


def test_a_weekly_series_preview_names_the_dst_shift(client, auth, session, office):
    lee, kim, ana, advising, lees, kims = office
    auth.login("lee")
    html = _add(client, "preview", host=lee.key, type_id=advising.id, day="2027-03-01",
                start="09:00", end="09:30", repeat="weekly", weekdays="MO",
                count="3").get_data(as_text=True)
    # 1 and 8 March at 14:00 UTC; after 14 March (DST) 9:00 in New York is 13:00 UTC
    assert "Preview: 3 slots" in html
    assert "1 occurrence fall after a daylight-saving change" in html
    assert html.count("After a DST change") == 1 and "<td>13:00</td>" in html
    created = _add(client, "create", host=lee.key, type_id=advising.id, day="2027-03-01",
                   start="09:00", end="09:30", repeat="weekly", weekdays="MO", count="3")
    assert created.status_code == 303
    session.rollback()
    session.expire_all()
    starts = session.scalars(select(Slot.start_utc).where(
        Slot.series_id.is_not(None)).order_by(Slot.start_utc)).all()
    assert [s.astimezone(NEW_YORK).hour for s in starts] == [9, 9, 9]
    assert [s.hour for s in starts] == [14, 14, 13]


def test_the_slot_panel_names_people_and_marks_attendance(client, auth, session, office,
                                                           create_booking, create_slot):
    lee, kim, ana, advising, lees, kims = office
    started = create_slot(start=utcnow().replace(microsecond=0) - timedelta(minutes=10),
                          host_key=lee.key, type=advising)
    made = create_booking(ana.key, started)
    auth.login("lee")
    path = f"{CAL}/slots/{started.id}"
    html = client.get(path).get_data(as_text=True)
    assert "Ana Student" in html and f"/appointments/bookings/{made.id}" in html
    response = client.post(f"{path}/bookings/{made.id}/attendance",
                           data={"csrf_token": token(client, path), "status": "no_show"},
                           follow_redirects=True)
    assert "Marked: no-show." in response.get_data(as_text=True)
    session.rollback()
    session.expire_all()
    assert session.get(Booking, made.id).status == "no_show"
    assert client.post(f"{path}/bookings/{made.id}/attendance",
                       data={"status": "attended"}).status_code == 400  # no CSRF token


def test_capacity_place_and_cancelling_from_the_panel(client, auth, session, office,
                                                      create_booking):
    lee, kim, ana, advising, lees, kims = office
    create_booking(ana.key, lees)
    auth.login("lee")
    path = f"{CAL}/slots/{lees.id}"
    response = client.post(f"{path}/edit", data={"csrf_token": token(client, path),
                                                 "capacity": "4", "location": "Room 9"},
                           follow_redirects=True)
    assert "Saved." in response.get_data(as_text=True)
    response = client.post(f"{path}/edit", data={"csrf_token": token(client, path),
                                                 "capacity": "0"}, follow_redirects=True)
    assert "Seats must be a whole number" in response.get_data(as_text=True)
    session.rollback()
    session.expire_all()
    assert (session.get(Slot, lees.id).capacity, session.get(Slot, lees.id).location) == \
        (4, "Room 9")
    response = client.post(f"{path}/cancel", data={"csrf_token": token(client, path),
                                                   "reason": " "}, follow_redirects=True)
    assert "Say why the slot is cancelled" in response.get_data(as_text=True)
    response = client.post(f"{path}/cancel", data={"csrf_token": token(client, path),
                                                   "reason": "Adviser ill"},
                           follow_redirects=True)
    assert "Slot cancelled; its students are told." in response.get_data(as_text=True)
    session.rollback()
    session.expire_all()
    assert session.get(Slot, lees.id).status == "cancelled"
    assert session.scalars(select(Booking.status).where(Booking.slot_id == lees.id)).all() \
        == ["cancelled"]


def test_moving_names_who_will_be_told_then_moves(client, auth, session, office,
                                                  create_booking):
    lee, kim, ana, advising, lees, kims = office
    create_booking(ana.key, lees)
    auth.login("lee")
    new_day = (next_monday() + timedelta(days=3)).isoformat()
    path = f"{CAL}/slots/{lees.id}/move"
    confirm = client.get(path, query_string={"start": f"{new_day}T15:00:00",
                                             "end": f"{new_day}T15:30:00"})
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Ana Student" in html
    assert "This student keeps their seat and will be told of the new time" in html
    assert "15:00 to 15:30" in html
    session.rollback()
    session.expire_all()
    assert session.get(Slot, lees.id).start_utc == at(1, 10)  # nothing moved yet
    moved = client.post(path, data={"csrf_token": token(client, f"{CAL}/slots/{lees.id}"),
                                    "day": new_day, "start": "15:00", "end": "15:30"},
                        follow_redirects=True)
    assert "Moved. 1 student will be told." in moved.get_data(as_text=True)
    session.rollback()
    session.expire_all()
    assert session.get(Slot, lees.id).start_utc == at(3, 15)
    assert client.get(f"{CAL}/slots/{kims.id}/move", query_string={
        "start": f"{new_day}T16:00:00", "end": f"{new_day}T16:30:00"}).status_code == 403


def test_admins_see_every_calendar(client, auth, office):
    lee, kim, ana, advising, lees, kims = office
    auth.login("boss")
    page = week(client)
    assert f'data-slot-id="{lees.id}"' in page and f'data-slot-id="{kims.id}"' in page
    assert client.get(f"{CAL}/slots/{kims.id}").status_code == 200


def test_staff_find_and_book_a_student_overriding_a_rule_with_a_reason(
        client, auth, session, office, create_type, create_slot):
    lee, kim, ana, advising, lees, kims = office
    limited = create_type(name="One a week", hosts=(lee.key,), max_per_student_per_week=1)
    first = create_slot(start=at(2, 9), host_key=lee.key, type=limited)
    second = create_slot(start=at(3, 9), host_key=lee.key, type=limited)
    auth.login("lee")
    path = f"{CAL}/slots/{first.id}/book"
    found = client.get(path, query_string={"q": "Ana"}).get_data(as_text=True)
    assert "1 student found" in found and "Book Ana Student" in found
    assert "Nobody matches" in client.get(path, query_string={"q": "zzz"}).get_data(
        as_text=True)
    booked = client.post(path, data={"csrf_token": token(client, path), "student": ana.key,
                                     "reason": "course plan"}, follow_redirects=True)
    assert "Booked: Ana Student." in booked.get_data(as_text=True)
    path = f"{CAL}/slots/{second.id}/book"
    refused = client.post(path, data={"csrf_token": token(client, path), "student": ana.key,
                                      "q": "Ana", "reason": "second visit"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422  # said to staff, about the student, what was typed kept
    assert ("Ana Student: at most 1 per week. You may book anyway: say why in "
            "\u201cBook despite the rules, because\u201d.") in page
    assert 'value="second visit"' in page and "Book Ana Student" in page
    overridden = client.post(path, data={"csrf_token": token(client, path),
                                         "student": ana.key, "override": "exam week"},
                             follow_redirects=True)
    assert "Booked: Ana Student." in overridden.get_data(as_text=True)
    overlapping = create_slot(start=at(3, 9), host_key=kim.key, type=advising)
    path_kim = f"{CAL}/slots/{overlapping.id}/book"
    auth.logout()
    auth.login("kim")
    same_time = client.post(path_kim, data={"csrf_token": token(client, path_kim),
                                            "student": ana.key, "override": "agreed"})
    assert "Ana Student cannot be booked here: the student already has an appointment at " \
        "that time. No reason overrides this." in same_time.get_data(as_text=True)
    session.rollback()
    session.expire_all()
    assert session.scalars(select(Booking.slot_id).where(Booking.student_key == ana.key)
                           .order_by(Booking.slot_id)).all() == [first.id, second.id]
    assert session.scalar(select(AuditEntry.reason).where(
        AuditEntry.action == "booking.created",
        AuditEntry.entity_type == "booking").order_by(AuditEntry.id.desc())) == "exam week"


def test_a_series_slot_moves_with_the_ones_after_it(client, auth, session, office):
    lee, kim, ana, advising, lees, kims = office
    auth.login("lee")
    assert _add(client, "create", host=lee.key, type_id=advising.id, day="2027-03-01",
                start="09:00", end="09:30", repeat="weekly", weekdays="MO",
                count="4").status_code == 303
    session.rollback()
    session.expire_all()
    made = session.scalars(select(Slot).where(Slot.series_id.is_not(None))
                           .order_by(Slot.start_utc)).all()
    assert len(made) == 4
    second = made[1]
    path = f"{CAL}/slots/{second.id}/move"
    page = client.get(path, query_string={"start": "2027-03-08T10:00:00",
                                          "end": "2027-03-08T10:30:00"}).get_data(as_text=True)
    assert "This slot is part of a series" in page and 'value="following"' in page
    moved = client.post(path, data={"csrf_token": token(client, f"{CAL}/slots/{second.id}"),
                                    "day": "2027-03-08", "start": "10:00", "end": "10:30",
                                    "scope": "following"}, follow_redirects=True)
    assert "Moved." in moved.get_data(as_text=True)
    session.rollback()
    session.expire_all()
    hours = [s.start_utc.astimezone(NEW_YORK).hour for s in session.scalars(
        select(Slot).where(Slot.id.in_([s.id for s in made])).order_by(Slot.start_utc))]
    assert hours == [9, 10, 10, 10]  # the first stays; the later ones keep 10:00 across DST


@pytest.mark.parametrize("slots_in_week", [2, 40])
def test_the_event_feed_costs_the_same_whatever_the_week_holds(app, client, auth, session,
                                                               office, create_slot,
                                                               create_booking, slots_in_week):
    """The statements of one feed request do not grow with slots, bookings or hosts."""
    from helpers import count_statements

    lee, kim, ana, advising, lees, kims = office
    session.add(RoleGrant(user_key=lee.key, grant="manage_calendar", target_key=kim.key))
    session.commit()
    for n in range(slots_in_week):
        slot = create_slot(start=at(2 + n % 4, 8, (n // 4) * 30 % 60 + 0) + timedelta(
            hours=n // 8), host_key=(lee if n % 2 else kim).key, type=advising, capacity=3)
        if n % 3 == 0:
            create_booking(ana.key, slot)
    auth.login("lee")
    monday, sunday = next_monday().isoformat(), (next_monday() + timedelta(days=7)).isoformat()
    with count_statements(app) as seen:
        events = client.get(f"{CAL}/events", query_string={
            "start": f"{monday}T00:00:00Z", "end": f"{sunday}T00:00:00Z"}).get_json()
    assert len(events) == slots_in_week + 2
    plugin = [s for s in seen if "appt_" in s]
    assert len(plugin) <= 4, plugin  # grants, slots (with waitlist counts), types


def _calendar_data(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="appt-staff-calendar-data">(.*?)'
                      r"</script>", page, re.S)
    return json.loads(found.group(1))


def test_with_several_calendars_each_slot_says_whose_and_where(client, auth, office,
                                                               create_slot):
    """Parallel slots of different people look alike but for the host and the place: the
    week list (no JavaScript) says both, and the calendar's script is told to show hosts."""
    lee, kim, ana, advising, lees, kims = office
    create_slot(start=at(1, 10), host_key=kim.key, type=advising, location="Room 7")
    auth.login("lee")
    assert _calendar_data(week(client))["many"] is False  # one calendar: no need to say
    auth.logout()
    auth.login("boss")
    page = week(client)
    rows = re.findall(r'<li data-slot-id="\d+">(.*?)</li>', page, re.S)
    lines = [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]
    assert lines == [
        "10:00 &ndash;10:30 Academic advising (Dr Lee) , Room 101 , 0 of 2 booked",
        "10:00 &ndash;10:30 Academic advising (Dr Kim) , Room 7 , 0 of 1 booked",
        "11:00 &ndash;11:30 Academic advising (Dr Kim) , Room 101 , 0 of 1 booked"]
    assert _calendar_data(page)["many"] is True
    one = week(client, host=kim.key)  # one person's calendar: the host goes without saying
    assert "(Dr Kim)" not in one and "Room 7" in one
    assert _calendar_data(one)["many"] is False


def test_an_empty_week_says_so_and_leads_to_adding_availability(client, auth, office):
    lee, kim, ana, advising, lees, kims = office
    later = (next_monday() + timedelta(days=21)).isoformat()
    auth.login("boss")
    page = week(client, week=later)
    add = f'<a href="{CAL}/add">Add availability</a>'
    # the week list (no JavaScript), and the calendar's words for an empty range
    assert f"No slots this week on these calendars. {add}" in page
    assert ('<p class="appt-empty" id="appt-staff-calendar-empty" hidden>No slots in this '
            f"range on these calendars. {add}</p>") in page
    one = week(client, week=later, host=lee.key)
    assert (f'No slots this week on this calendar. <a href="{CAL}/add?host={lee.key}">'
            "Add availability</a>") in one
    auth.logout()
    auth.login("lee")  # their own calendar only
    assert f"No slots this week on this calendar. {add}" in week(client, week=later)


def test_the_calendars_tips_are_one_for_pointers_and_one_for_lists(client, auth, office):
    """The script shows the tip that fits the view: selecting and dragging only where they
    work (a grid with a pointer), choosing a slot everywhere."""
    auth.login("lee")
    page = week(client)
    assert re.search(r'<p class="appt-hint" data-appt-hint="pointer">Select a time[^<]*drag',
                     page)
    assert ('<p class="appt-hint" data-appt-hint="choose" hidden>Choose a slot for its '
            "bookings, waitlist and changes.</p>") in page

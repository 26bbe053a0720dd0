"""The staff dashboard and the conflicts page: the service's scope (grants respected) and
figures on a known data set, and every route for every role with the Flask client."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from helpers import count_statements

from sis_appointments.contract import SisUser
from sis_appointments.models import (
    AuditEntry,
    Booking,
    RoleGrant,
    Series,
    Slot,
    WaitlistEntry,
    utcnow,
)
from sis_appointments.services.scheduling import conflicts
from sis_appointments.services.scheduling import dashboard as board

NY = ZoneInfo("America/New_York")
HOME = "/admin/appointments/"
# Wednesday 9 December 2026, 10:00 in New York: its week began Monday 7 December.
NOW = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)


def as_user(person) -> SisUser:
    return SisUser(key=person.key, name=person.name, roles=frozenset({person.role}))


def token(client, path=HOME) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


@pytest.fixture
def people(create_user, session):
    """Dr Lee (staff, manages Kim's calendar by a grant), Kim and Max (staff), Ana and Ben
    (students), Boss (admin)."""
    lee = create_user(username="lee", role="staff", name="Dr Lee")
    kim = create_user(username="kim", role="staff", name="Kim Park")
    max_ = create_user(username="max", role="staff", name="Max Ruiz")
    ana, ben = create_user(username="ana", name="Ana Silva"), create_user(username="ben")
    boss = create_user(username="boss", role="admin", name="Boss")
    session.add(RoleGrant(user_key=lee.key, grant="manage_calendar", target_key=kim.key))
    session.commit()
    return lee, kim, max_, ana, ben, boss


@pytest.fixture
def in_app(app):
    """An app context: services ask the host (the SIS) through it."""
    from demo_sis.extensions import db

    with app.app_context():
        yield
        db.session.remove()


def soon(hours: float) -> datetime:
    return utcnow().replace(microsecond=0) + timedelta(hours=hours)


# -- the service

def test_staff_see_their_own_calendars_and_those_granted_admins_all(in_app,
        session, people, create_slot):
    lee, kim, max_, ana, ben, boss = people
    create_slot(start=soon(24), host_key=lee.key, location="Lee's room")
    create_slot(start=soon(26), host_key=kim.key, location="Kim's room")
    create_slot(start=soon(28), host_key=max_.key, location="Max's room")

    def places(actor, **filters):
        found = board.dashboard(session, as_user(actor), NY, **filters)
        return {r.slot.location for d in found.days for r in d.rows}, found

    seen, found = places(lee)
    assert seen == {"Lee's room", "Kim's room"}, "the grant on Kim's calendar is respected"
    assert sorted(found.hosts) == sorted([lee.key, kim.key])
    assert found.rooms == sorted([f"host:{lee.key}", f"host:{kim.key}"])
    assert places(kim)[0] == {"Kim's room"}
    assert places(boss)[0] == {"Lee's room", "Kim's room", "Max's room"}
    assert places(boss, host=max_.key)[0] == {"Max's room"}
    assert places(lee, host=kim.key)[0] == {"Kim's room"}
    with pytest.raises(board.Forbidden):
        places(lee, host=max_.key)
    with pytest.raises(board.Forbidden):
        places(ana)


def test_offices_come_from_the_hosts_groups(in_app, session, create_user, create_slot):
    lee, kim, max_ = (create_user(role="staff", office=office)
                      for office in ("Advising", "Careers", "Advising"))
    boss = create_user(role="admin")
    create_slot(start=soon(24), host_key=lee.key, location="A1")
    create_slot(start=soon(26), host_key=kim.key, location="C1")
    create_slot(start=soon(28), host_key=max_.key, location="A2")
    found = board.dashboard(session, as_user(boss), NY, office="Advising")
    assert found.offices == ["Advising", "Careers"]
    assert {r.slot.location for d in found.days for r in d.rows} == {"A1", "A2"}


def test_figures_on_a_known_data_set(in_app, session, people, create_slot, create_booking):
    lee, kim, max_, ana, ben, boss = people
    at = NOW - timedelta(hours=1)  # started this morning

    places = iter(range(100))

    def slot(start, capacity=2, host=lee, **fields):
        return create_slot(start=start, capacity=capacity, host_key=host.key,
                           location=f"Room {next(places)}", **fields)

    started = slot(at, capacity=4)
    create_booking(ana.key, started, status="attended")
    create_booking(ben.key, started, status="no_show")
    slot(NOW + timedelta(days=1), capacity=2)  # this week, empty
    slot(NOW + timedelta(days=2), capacity=10, status="cancelled")  # not offered
    last_week = slot(NOW - timedelta(days=6), capacity=2)  # Thursday 3 December
    create_booking(ana.key, last_week, status="attended")
    unmarked = slot(NOW - timedelta(days=7, hours=1), capacity=1)  # Wednesday 2 December
    create_booking(ben.key, unmarked)
    create_booking(ben.key, slot(NOW - timedelta(days=20), capacity=1), status="no_show")
    full = slot(NOW + timedelta(days=3), capacity=1)
    create_booking(ana.key, full)
    other_full = slot(NOW + timedelta(days=4), capacity=1)
    create_booking(ben.key, other_full)
    session.add_all([WaitlistEntry(slot_id=full.id, student_key="w1"),
                     WaitlistEntry(slot_id=full.id, student_key="w2"),
                     WaitlistEntry(slot_id=other_full.id, student_key="w2"),
                     WaitlistEntry(slot_id=other_full.id, student_key="w3", status="left")])
    # Kim's calendar, which Lee manages too; Max's, which Lee does not see
    slot(NOW + timedelta(days=1, hours=3), host=kim, capacity=3)
    slot(NOW + timedelta(days=1, hours=3), host=max_, capacity=5)
    # two of Lee's slots overlapping: one conflict
    slot(NOW + timedelta(days=5), capacity=1)
    slot(NOW + timedelta(days=5, minutes=15), capacity=1)
    session.commit()

    figures = board.figures(session, as_user(lee), [lee.key, kim.key], NY, NOW)
    assert len(figures.weeks) == 9
    this, last = figures.weeks[-1], figures.weeks[-2]
    assert this.monday.isoformat() == "2026-12-07" and last.monday.isoformat() == "2026-11-30"
    # this week: started 2/4, tomorrow 0/2, full 1/1, other full 1/1, Kim's 0/3 (the
    # overlapping pair is on Monday 14 December, next week)
    assert (this.booked, this.offered) == (4, 11)
    assert (last.booked, last.offered) == (2, 3)  # 3 Dec 1/2 and 2 Dec 1/1
    assert figures.weeks[-4].booked == 1  # 19 November's no-show, three weeks back
    assert (figures.waiting_students, figures.waitlisted_slots) == (2, 2)
    # December: attended x2 and one no-show marked; 2 December's booking not marked
    assert (figures.no_shows, figures.marked, figures.unmarked) == (1, 3, 1)
    assert figures.no_show_rate == pytest.approx(1 / 3)
    assert figures.conflicts == 1
    assert figures.dead_letters is None, "dead letters are for admins"
    everyone = board.figures(session, as_user(boss), None, NY, NOW)
    assert everyone.weeks[-1].offered == 16 and everyone.dead_letters == 0


def test_conflicts_are_scoped_to_the_calendars_managed(in_app, session, people, create_slot):
    lee, kim, max_, *_, boss = people
    for host in (kim, max_):
        create_slot(start=soon(30), host_key=host.key, location=f"{host.name} A")
        create_slot(start=soon(30.25), host_key=host.key, location=f"{host.name} B")
    window = {"start": utcnow(), "end": utcnow() + timedelta(days=3)}
    parties = {c.parties.get("host_key") for c in conflicts.find_for(
        session, actor=as_user(lee), **window) if c.kind == "host_overlap"}
    assert parties == {kim.key}
    assert len(conflicts.find_for(session, actor=as_user(boss), **window)) >= 2
    theirs = next(c for c in conflicts.find_for(session, actor=as_user(boss), **window)
                  if c.parties.get("host_key") == max_.key)
    with pytest.raises(conflicts.Forbidden):
        conflicts.override(session, actor=as_user(lee), kind=theirs.kind,
                           subject=theirs.subject, reason="not mine")


def test_a_series_slot_moved_off_its_published_time_is_a_conflict(
        in_app, session, people, create_type, create_slot, client, auth):
    lee, *_ = people
    kind = create_type(hosts=(lee.key,))
    start = datetime.combine(utcnow().astimezone(NY).date() + timedelta(days=3),
                             datetime.min.time()).replace(hour=9)
    series = Series(type_id=kind.id, host_key=lee.key, timezone="America/New_York",
                    start_local=start, rrule="FREQ=WEEKLY;COUNT=2")
    session.add(series)
    session.commit()
    on_time = start.replace(tzinfo=NY).astimezone(UTC)
    kept = create_slot(start=on_time, host_key=lee.key, type=kind, series_id=series.id,
                       occurrence_local=start, location="S1")
    moved = create_slot(start=on_time + timedelta(days=7, hours=5), host_key=lee.key,
                        type=kind, series_id=series.id, location="S2",
                        occurrence_local=start + timedelta(days=7))
    window = {"start": utcnow(), "end": utcnow() + timedelta(days=30)}
    found = [c for c in conflicts.find_for(session, actor=as_user(lee), **window)
             if c.kind == "off_availability"]
    assert [(c.slot_ids, c.parties["published"]) for c in found] == [
        ((moved.id,), (start + timedelta(days=7)).isoformat())]
    assert kept.id not in found[0].slot_ids
    auth.login("lee")
    html = client.get(HOME + "conflicts").get_data(as_text=True)
    assert "A slot was moved off its series&#39; published time" in html
    assert f"The series publishes it at {(start + timedelta(days=7)):%a %-d %b %Y}, 09:00" in html


# -- the pages

def test_roles_reach_the_dashboard_and_conflicts(client, auth, people):
    for path in (HOME, HOME + "conflicts"):
        assert client.get(path).status_code in (302, 401)
        auth.login("ana")
        assert client.get(path).status_code == 403
        auth.logout()
        for who in ("lee", "boss"):
            auth.login(who)
            assert client.get(path).status_code == 200
            auth.logout()


def test_the_dashboard_names_who_booked_with_links_and_actions(
        client, auth, session, people, create_slot, create_booking):
    lee, kim, max_, ana, ben, boss = people
    started = create_slot(start=soon(-0.25), host_key=lee.key, capacity=3, location="Now room")
    later = create_slot(start=soon(30), host_key=kim.key, capacity=5, location="Later room")
    now_booking = create_booking(ana.key, started)
    later_booking = create_booking(ben.key, later)
    auth.login("lee")
    # From two days back: the slot started 15 minutes ago is listed even just after midnight
    # in the viewer's zone (it is then yesterday's).
    since = (utcnow() - timedelta(days=2)).date().isoformat()
    html = client.get(HOME, query_string={"start": since}).get_data(as_text=True)
    assert 'data-appt-rooms="' in html and f"host:{kim.key}" in html
    assert f'href="/appointments/bookings/{now_booking.id}">Ana Silva</a>' in html
    assert f"/appointments/bookings/{later_booking.id}" in html
    assert f"/admin/appointments/bookings/{now_booking.id}/attendance" in html
    assert f"/admin/appointments/bookings/{later_booking.id}/attendance" not in html, (
        "attendance only once a slot has started")
    assert f"/admin/appointments/slots/{later.id}/cancel" in html
    assert f"/admin/appointments/slots/{started.id}/cancel" not in html
    assert "<dt>Seats booked</dt><dd data-appt-seats>1 of 5</dd>" in html, "labelled figures"
    assert "Utilisation this week" in html and "No-show rate this month" in html
    assert "Dead-lettered" not in html
    assert 'href="/admin/appointments/conflicts"' in html
    assert "Times are shown in America/New_York" in html
    # the staff may open the booking's "what happened" page of a calendar they manage
    assert client.get(f"/appointments/bookings/{later_booking.id}").status_code == 200
    auth.logout()
    auth.login("boss")
    html = client.get(HOME).get_data(as_text=True)
    assert "Dead-lettered notifications" in html and "/admin/appointments/notifications" in html


def test_marking_attendance_is_audited_and_refused_on_others_calendars(
        client, auth, session, people, create_slot, create_booking):
    lee, kim, max_, ana, ben, boss = people
    mine = create_booking(ana.key, create_slot(start=soon(-0.5), host_key=lee.key))
    theirs = create_booking(ben.key, create_slot(start=soon(-0.5), host_key=max_.key))
    auth.login("lee")
    csrf = token(client)
    response = client.post(f"{HOME}bookings/{mine.id}/attendance",
                           data={"csrf_token": csrf, "status": "no_show"})
    assert response.status_code == 303 and response.location.endswith(HOME)
    assert "Marked no-show." in client.get(HOME).get_data(as_text=True)
    assert client.post(f"{HOME}bookings/{theirs.id}/attendance",
                       data={"csrf_token": csrf, "status": "attended"}).status_code == 404
    assert client.post(f"{HOME}bookings/{mine.id}/attendance",
                       data={"status": "attended"}).status_code == 400, "CSRF"
    assert client.post(f"{HOME}bookings/{mine.id}/attendance",
                       data={"csrf_token": csrf, "status": "bogus"}).status_code == 400
    session.rollback()
    session.expire_all()
    assert session.get(Booking, mine.id).status == "no_show"
    assert session.get(Booking, theirs.id).status == "confirmed"
    assert session.query(AuditEntry).filter_by(
        action="booking.attendance.no_show", entity_id=str(mine.id)).count() == 1


def test_an_appointment_not_started_cannot_be_marked(client, auth, session, people,
                                                     create_slot, create_booking):
    lee, *_ = people
    held = create_booking(people[3].key, create_slot(start=soon(5), host_key=lee.key))
    auth.login("lee")
    response = client.post(f"{HOME}bookings/{held.id}/attendance", follow_redirects=True,
                           data={"csrf_token": token(client), "status": "attended"})
    assert "Attendance is marked once the appointment has started." in response.get_data(
        as_text=True)


def test_cancelling_a_slot_needs_a_reason_shown_in_place(client, auth, session, people,
                                                         create_slot, create_booking):
    lee, kim, max_, ana, ben, boss = people
    slot = create_slot(start=soon(30), host_key=kim.key, location="Kim's room")
    create_booking(ana.key, slot)
    theirs = create_slot(start=soon(31), host_key=max_.key)
    auth.login("lee")
    csrf = token(client)
    refused = client.post(f"{HOME}slots/{slot.id}/cancel?start=", data={"csrf_token": csrf,
                                                                         "reason": "  "})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'aria-invalid="true"' in html and "Say why the slot is cancelled" in html
    assert "<details class=\"appt-dash-cancel\" open>" in html
    done = client.post(f"{HOME}slots/{slot.id}/cancel", data={"csrf_token": csrf,
                                                              "reason": "Kim is ill"})
    assert done.status_code == 303
    assert client.post(f"{HOME}slots/{theirs.id}/cancel", data={
        "csrf_token": csrf, "reason": "not mine"}).status_code == 403
    session.rollback()
    session.expire_all()
    assert session.get(Slot, slot.id).status == "cancelled"
    assert session.get(Slot, theirs.id).status == "open"
    entry = session.query(AuditEntry).filter_by(action="slot.cancelled",
                                                entity_id=str(slot.id)).one()
    assert entry.reason == "Kim is ill"


def test_date_navigation_filters_and_the_fragment(client, auth, people, create_slot):
    lee, kim, max_, *_ = people
    today = utcnow().astimezone(NY).date()
    far = today + timedelta(days=20)
    create_slot(start=datetime.combine(far, datetime.min.time(), NY).astimezone(UTC)
                + timedelta(hours=15), host_key=lee.key, location="Far room")
    auth.login("lee")
    assert "Far room" not in client.get(HOME).get_data(as_text=True)
    html = client.get(HOME, query_string={"start": far.isoformat()}).get_data(as_text=True)
    assert "Far room" in html
    assert f"start={(far - timedelta(days=7)).isoformat()}" in html
    assert f"start={(far + timedelta(days=7)).isoformat()}" in html
    assert client.get(HOME, query_string={"start": "not a date"}).status_code == 200
    assert client.get(HOME, query_string={"host": max_.key}).status_code == 403
    only_kim = client.get(HOME, query_string={"host": kim.key, "start": far.isoformat()})
    assert "Far room" not in only_kim.get_data(as_text=True)
    fragment = client.get(HOME, query_string={"start": far.isoformat(), "fragment": "1"})
    body = fragment.get_data(as_text=True)
    assert "Far room" in body and "<nav" not in body and "data-appt-rooms" not in body


# The most statements the dashboard may send (both engines: the SIS answers the look-ups of
# the viewer, the hosts and the students booked): the user and their student record, the
# grants, the hosts' names, the week's slots, their bookings, their waitlists, the names of
# who booked, waitlist demand, outcomes this month, the conflicts' slots (the hosts' own
# and others' at the same places), bookings and
# overrides, utilisation; on SQLite the read transaction's BEGIN too.
DASHBOARD_BUDGET = {"postgresql": 15, "sqlite": 16}


def test_the_dashboard_costs_the_same_statements_whatever_its_rows(
        app, client, auth, people, create_slot, create_booking, session):
    lee, kim, max_, ana, ben, boss = people
    auth.login("lee")
    client.get(HOME)
    costs = []
    for more in (1, 12):
        for n in range(more):
            for host in (lee, kim):
                slot = create_slot(start=soon(2 + n * 3), host_key=host.key, capacity=3)
                create_booking(ana.key, slot)
                create_booking(ben.key, slot)
                session.add(WaitlistEntry(slot_id=slot.id, student_key=f"w{n}"))
        session.commit()
        with count_statements(app) as seen:
            assert client.get(HOME).status_code == 200
        costs.append(len(seen))
    assert costs[0] == costs[1], costs
    dialect = app.extensions["sis_appointments"].engine.dialect.name
    budget = DASHBOARD_BUDGET[dialect]
    assert costs[1] <= budget, f"{costs[1]} statements > {budget}:\n" + "\n".join(seen)


def test_conflicts_page_lists_and_resolves(client, auth, session, people, create_slot,
                                           create_type, create_booking):
    lee, kim, max_, ana, ben, boss = people
    kind = create_type(hosts=(lee.key,))
    first = create_slot(start=soon(30), host_key=lee.key, type=kind, location="L1")
    second = create_slot(start=soon(30.25), host_key=lee.key, type=kind, location="L2")
    free = create_slot(start=soon(54), host_key=lee.key, type=kind, capacity=3, location="L3")
    create_booking(ana.key, second)
    create_slot(start=soon(30), host_key=max_.key, location="M1")
    create_slot(start=soon(30.25), host_key=max_.key, location="M2")
    auth.login("lee")
    html = client.get(HOME + "conflicts").get_data(as_text=True)
    assert "A host&#39;s slots overlap: Dr Lee" in html and "Max Ruiz" not in html
    assert f'name="target_slot_id" value="{free.id}"' in html, "a free slot is suggested"
    csrf = token(client, HOME + "conflicts")
    moved = client.post(HOME + "conflicts/resolve", follow_redirects=True, data={
        "csrf_token": csrf, "action": "move", "slot_id": second.id,
        "target_slot_id": free.id})
    assert "The bookings are moved" in moved.get_data(as_text=True)
    session.rollback()
    session.expire_all()
    assert session.get(Booking, session.query(Booking).filter_by(
        student_key=ana.key).one().id).slot_id == free.id
    subject = f"{first.id},{second.id}"
    refused = client.post(HOME + "conflicts/resolve", data={
        "csrf_token": csrf, "action": "override", "kind": "host_overlap", "subject": subject,
        "item": f"host_overlap:{subject}", "reason": "  "})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'href="#appt-conflict-1">Go to the conflict</a>' in page  # said at the top
    at_conflict = page[page.index(f'data-conflict="host_overlap:{subject}"'):]
    assert at_conflict.index("Keeping a conflict needs a reason") < at_conflict.index("</li>")
    assert 'value="  " aria-invalid="true"' in at_conflict  # what was typed stays
    kept = client.post(HOME + "conflicts/resolve", follow_redirects=True, data={
        "csrf_token": csrf, "action": "override", "kind": "host_overlap",
        "subject": f"{first.id},{second.id}", "reason": "two rooms"})
    assert "The conflict is kept" in kept.get_data(as_text=True)
    assert "No conflicts" in kept.get_data(as_text=True)
    session.rollback()
    session.expire_all()
    assert session.query(AuditEntry).filter_by(action="conflict.overridden").count() == 1
    unsaid = client.post(HOME + "conflicts/resolve", data={
        "csrf_token": csrf, "action": "cancel_slot", "slot_id": free.id, "reason": " ",
        "item": "host_overlap:x"})
    assert unsaid.status_code == 422  # a slot is not cancelled without a word to its students
    assert "Say why the slot is cancelled: its students are told." in unsaid.get_data(
        as_text=True)
    assert 'aria-current="page">Conflicts</a>' in unsaid.get_data(as_text=True)  # still here
    session.expire_all()
    assert session.get(Slot, free.id).status == "open"
    others = client.post(HOME + "conflicts/resolve", data={
        "csrf_token": csrf, "action": "cancel_slot", "slot_id": second.id + 3,
        "reason": "room lost"})
    assert others.status_code == 403  # Max's slot


def test_the_api_refuses_a_range_ending_before_it_starts(client, auth, people):
    auth.login("lee")
    start = utcnow().replace(microsecond=0)
    response = client.get("/api/appointments/v1/conflicts", query_string={
        "start": start.isoformat(), "end": (start - timedelta(days=1)).isoformat()})
    assert response.status_code == 422
    assert response.content_type.startswith("application/problem+json")


def test_a_campus_week_lists_its_first_slots_and_says_how_to_see_the_rest(
        client, auth, create_user, create_type, create_slot, monkeypatch):
    from sis_appointments.services.scheduling import dashboard

    monkeypatch.setattr(dashboard, "MAX_LISTED", 3)
    staff = create_user(username="lee2", role="staff")
    create_user(username="boss2", role="admin")
    kind = create_type(hosts=(staff.key,))
    for hour in range(5):
        create_slot(start=utcnow().replace(microsecond=0) + timedelta(days=1, hours=hour),
                    host_key=staff.key, type=kind)
    auth.login("boss2")
    html = client.get("/admin/appointments/").get_data(as_text=True)
    assert "These are the first 3 slots of the days shown" in html
    assert html.count('class="appt-dash-slot"') == 3

"""The plugin inside the reference SIS: tab, profile section, admin menu, permissions."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sis_appointments.models import utcnow


def test_student_sees_appointments_tab_and_page(client, auth, create_user):
    create_user(username="ana")
    auth.login("ana")
    portal = client.get("/portal").get_data(as_text=True)
    tab = re.search(r'<a href="/appointments/"[^>]*>(.*?)</a>', portal, re.S)
    assert tab and tab.group(1).startswith("Appointments")
    assert re.search(r'<span class="badge" data-appt-unread hidden>', tab.group(1)), \
        "no unread notifications: the badge waits hidden for live updates"
    page = client.get("/appointments/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "My appointments" in html
    assert "Demo SIS" in html, "the plugin page renders inside the host's layout"
    assert 'aria-current="page">Appointments <span class="badge"' in html


def test_staff_see_admin_entries_and_students_do_not(client, auth, create_user):
    create_user(username="ana")
    create_user(username="adv", role="staff")
    create_user(username="boss", role="admin")
    auth.login("ana")
    assert client.get("/admin").status_code == 403
    assert client.get("/admin/appointments/").status_code == 403
    auth.logout()

    auth.login("adv")
    menu = client.get("/admin").get_data(as_text=True)
    assert '<a href="/admin/appointments/">Appointments</a>' in menu
    assert "Appointments audit log" not in menu
    assert client.get("/admin/appointments/").status_code == 200
    assert client.get("/admin/appointments/audit").status_code == 200  # their calendars
    header = client.get("/students").get_data(as_text=True).split("<main")[0]
    assert "Appointments</a>" not in header
    auth.logout()

    auth.login("boss")
    menu = client.get("/admin").get_data(as_text=True)
    assert "Appointments audit log" in menu
    assert client.get("/admin/appointments/audit").status_code == 200


def test_staff_have_no_portal_tab_page(client, auth, create_user):
    create_user(username="adv", role="staff")
    auth.login("adv")
    assert client.get("/appointments/").status_code == 403


def test_anonymous_users_are_sent_to_login(client):
    for path in ("/appointments/", "/admin/appointments/", "/admin/appointments/audit"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


def test_profile_section_lists_upcoming_and_past_bookings(
    client, auth, create_user, create_slot, create_booking, create_type
):
    ana = create_user(username="ana", timezone="Europe/Berlin")
    advising = create_type(name="Career chat")
    soon = create_slot(start=datetime(2031, 3, 10, 14, 0, tzinfo=UTC), type=advising)
    long_ago = create_slot(start=datetime(2020, 1, 6, 9, 30, tzinfo=UTC), type=advising)
    create_booking(ana.key, soon)
    create_booking(ana.key, long_ago, status="attended")
    missed = create_slot(start=datetime(2020, 1, 7, 9, 30, tzinfo=UTC), type=advising)
    create_booking(ana.key, missed, status="no_show")
    auth.login("ana")
    page = client.get(f"/students/{ana.id}").get_data(as_text=True)
    section = page.split('id="section-appointments"')[1]
    assert ("Attendance: 1 attended, 1 no-show, 0 excused, 0 cancelled, 0 late cancellations "
            "(2 in all).") in section
    assert section.count("Times are shown in Europe/Berlin.") == 1  # the zone named once
    upcoming, past = section.split("Past and cancelled appointments")
    assert "Mon 10 Mar 2031, 15:00</time>" in upcoming
    assert "Mon 6 Jan 2020, 10:30</time>" in past
    assert ">attended<" in past and ">no-show<" in past


def test_profile_section_for_staff_viewer_uses_staff_zone(
    client, auth, create_user, create_booking, create_slot
):
    ana = create_user(username="ana")
    create_user(username="adv", role="staff", timezone="Asia/Kolkata")
    create_booking(ana.key, create_slot(start=datetime(2031, 3, 10, 14, 0, tzinfo=UTC)))
    auth.login("adv")
    page = client.get(f"/students/{ana.id}").get_data(as_text=True)
    assert "Times are shown in Asia/Kolkata." in page and "Mon 10 Mar 2031, 19:30</time>" in page


def test_portal_page_lists_only_own_bookings(
    client, auth, create_user, create_booking, create_slot
):
    ana = create_user(username="ana")
    ben = create_user(username="ben")
    create_booking(ana.key, create_slot(location="Room Mine"))
    create_booking(ben.key, create_slot(location="Room Theirs"))
    auth.login("ana")
    html = client.get("/appointments/").get_data(as_text=True)
    assert "Room Mine" in html and "Room Theirs" not in html


def test_dashboard_shows_staff_their_own_slots_and_admins_all(
    client, auth, create_user, create_slot
):
    adv = create_user(username="adv", role="staff")
    create_user(username="boss", role="admin")
    start = utcnow() + timedelta(days=2)
    create_slot(start=start, host_key=adv.key, location="Room A")
    create_slot(start=start, host_key="somebody-else", location="Room B")
    auth.login("adv")
    html = client.get("/admin/appointments/").get_data(as_text=True)
    assert "Room A" in html and "Room B" not in html
    auth.logout()
    auth.login("boss")
    html = client.get("/admin/appointments/").get_data(as_text=True)
    assert "Room A" in html and "Room B" in html
    assert f"<dt>Host</dt><dd>{adv.name}</dd>" in html, "hosts are shown by the name the SIS knows"
    assert "<dt>Host</dt><dd>somebody-else</dd>" in html, "an unknown host is shown by key"


def test_without_plugins_the_sis_shows_no_appointments(make_app):
    app = make_app(SIS_DISABLE_PLUGIN_AUTOLOAD=True)
    assert "sis_appointments" not in app.extensions
    client = app.test_client()
    with app.app_context():
        from demo_sis.extensions import db
        from demo_sis.models import Student, User
        user = User(username="solo", role="student", name="Solo", email="s@example.edu",
                    timezone="UTC", password_hash="x")
        user.student = Student(student_number="X1", program="BA History", cohort="2025", year=1)
        db.session.add(user)
        db.session.commit()
        user_id = user.id
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = f"{user_id}:0"  # the demo's "<id>:<generation>"
        flask_session["_fresh"] = True
    html = client.get("/portal").get_data(as_text=True)
    assert "Overview" in html and ">Appointments<" not in html
    assert client.get("/appointments/").status_code == 404

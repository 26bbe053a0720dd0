"""Through the API: in-app notifications (listed, read, pushed), preferences, the private
calendar feed, CSV exports and the dead letters."""

from __future__ import annotations

import csv
import io

from api.test_api_resources import make_slot, make_type
from api.test_sockets import received, socket_for, start


def deliver(app):
    from sis_appointments.notify.delivery import deliver_due

    state = app.extensions["sis_appointments"]
    session = state.sessionmaker()
    try:
        with app.app_context():
            return deliver_due(session, state.make_channels(), state.settings, emit=state.emit)
    finally:
        session.close()


def booked(make_caller, **fields):
    staff, student = make_caller(role="staff"), make_caller()
    slot = make_slot(staff, make_type(staff)["id"], start())
    response = student.post(f"/slots/{slot['id']}/bookings", json=fields)
    assert response.status_code == 201, response.get_json()
    return staff, student, slot, response.get_json()


def test_in_app_notifications_are_pushed_listed_and_marked_read(app, make_caller):
    staff, student, slot, booking = booked(make_caller)
    listening = socket_for(app, student.token)
    assert deliver(app)["sent"] >= 2
    [pushed] = received(listening, "notification")
    assert pushed["title"].startswith("Appointment booked")
    listed = student.get("/me/notifications").get_json()
    assert listed["unread"] == 1 and listed["items"][0]["id"] == pushed["id"]
    assert "Appointment booked" in listed["items"][0]["body"]
    # a student's link leads to the appointment's details
    assert listed["items"][0]["link"] == f"/appointments/bookings/{booking['id']}"
    for_staff = staff.get("/me/notifications").get_json()
    assert for_staff["unread"] == 1
    # each recipient's link leads to pages they may open: staff to the staff pages
    assert for_staff["items"][0]["link"] == "/admin/appointments/"
    mark = staff.post(f"/me/notifications/{pushed['id']}/read")
    assert mark.status_code == 404, "nobody reads another's notifications"
    assert student.post(f"/me/notifications/{pushed['id']}/read").get_json() == {
        "marked_read": 1}
    assert student.get("/me/notifications?unread=true").get_json() == {"items": [],
                                                                        "unread": 0}


def test_preferences_switch_channels_but_not_the_staff_cancellation_email(
        app, make_caller):
    from sqlalchemy import select

    from sis_appointments.models import Notification

    staff, student, slot, booking = booked(make_caller)
    prefs = student.get("/me/preferences").get_json()
    assert prefs["events"]["booking_cancelled"] == ["inapp"]  # no SMTP here: in-app only
    assert prefs["locked"] == [{"event": "booking_cancelled", "channel": "inapp",
                                "why": "staff cancellations always reach you"}]
    changed = student.put("/me/preferences", json={
        "events": {"booking_cancelled": [], "reminder": ["inapp"]},
        "reminder_lead_minutes": [120, 15]})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["events"]["booking_cancelled"] == []
    assert changed.get_json()["reminder_lead_minutes"] == [120, 15]
    for bad in ({"events": {"digest": ["inapp"]}}, {"events": {"booking_created": ["sms"]}},
                {"reminder_lead_minutes": [1]}, {"colour": "red"}):
        answer = student.put("/me/preferences", json=bad)
        assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    assert staff.post(f"/bookings/{booking['id']}/cancel", json={"reason": "ill"}
                      ).status_code == 200
    session = app.extensions["sis_appointments"].sessionmaker()
    notices = session.scalars(select(Notification.channel).where(
        Notification.event == "booking_cancelled",
        Notification.recipient_key == student.key)).all()
    session.close()
    assert notices == ["inapp"], "the student still hears (in-app: this SIS has no mail " \
        "server), though they opted out"


def test_the_private_feed_url_works_without_login_until_renewed_or_revoked(
        app, make_caller):
    staff, student, slot, booking = booked(make_caller)
    first = student.post("/calendar/feed").get_json()["url"]
    anonymous = app.test_client()
    feed = anonymous.get(first)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    assert f"booking-{booking['id']}@" in feed.get_data(as_text=True)
    second = student.post("/calendar/feed").get_json()["url"]
    assert anonymous.get(first).status_code == 404
    assert anonymous.get(second).status_code == 200
    assert student.delete("/calendar/feed").status_code == 204
    assert anonymous.get(second).status_code == 404
    one = student.get(f"/calendar/bookings/{booking['id']}")
    assert one.mimetype == "text/calendar"  # an event to add, not an invitation to answer
    assert "METHOD:PUBLISH" in one.get_data(as_text=True)
    assert "ORGANIZER" not in one.get_data(as_text=True)
    assert make_caller().get(f"/calendar/bookings/{booking['id']}").status_code == 404


def test_csv_exports_are_limited_to_managed_calendars_and_defuse_formulas(app, make_caller):
    staff, student, slot, booking = booked(make_caller, reason='=HYPERLINK("http://x","y")')
    window = {"start": "2020-01-01T00:00:00Z", "end": "2029-01-01T00:00:00Z"}
    response = staff.get("/exports/bookings", query_string=window)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["booking_id"] for r in rows] == [str(booking["id"])]
    assert rows[0]["reason"] == "'" + '=HYPERLINK("http://x","y")'
    assert rows[0]["student"] == student.key and rows[0]["host"] == staff.key
    assert rows[0]["student_name"].startswith("Test Student")  # names beside the keys
    assert rows[0]["host_name"].startswith("Test Staff")
    other = make_caller(role="staff")
    mine = other.get("/exports/bookings", query_string=window).get_data(as_text=True)
    assert mine.count("\n") == 1, "only the header: nothing of another's calendar"
    refused = other.get("/exports/slots", query_string={**window, "host": staff.key})
    assert refused.status_code == 403
    attendance = staff.get("/exports/attendance", query_string=window).get_data(as_text=True)
    assert attendance.splitlines()[0].startswith("student,student_name,bookings,")
    assert attendance.splitlines()[1].startswith(f"{student.key},{rows[0]['student_name']},"
                                                 "1,0,0,0,0,0,1,")
    slots = list(csv.DictReader(io.StringIO(staff.get("/exports/slots", query_string=window)
                                             .get_data(as_text=True))))
    assert [(r["host"], r["host_name"]) for r in slots] == [(staff.key, rows[0]["host_name"])]
    backwards = staff.get("/exports/slots", query_string={"start": window["end"],
                                                          "end": window["start"]})
    assert backwards.status_code == 422


def test_admins_see_and_retry_dead_letters(app, make_caller):
    from sqlalchemy import update

    from sis_appointments.models import Notification

    booked(make_caller)
    session = app.extensions["sis_appointments"].sessionmaker()
    session.execute(update(Notification).values(status="dead", last_error="boom"))
    session.commit()
    session.close()
    admin = make_caller(role="admin")
    dead = admin.get("/system/notifications").get_json()
    assert dead and {d["status"] for d in dead} == {"dead"}
    retried = admin.post(f"/system/notifications/{dead[0]['id']}/retry").get_json()
    assert retried["status"] == "pending" and retried["attempts"] == 0
    assert admin.post(f"/system/notifications/{dead[0]['id']}/retry").status_code == 409
    jobs = {j["name"] for j in admin.get("/system/jobs").get_json()}
    assert jobs == {"deliver", "reminders", "expire_offers", "reconcile_waitlists",
                    "extend_horizon", "prune", "digest"}
    put = admin.put("/system/settings/reminder_lead_minutes", json={"value": [60]})
    assert put.get_json()["reminder_lead_minutes"] == [60]
    assert admin.put("/system/settings/nope", json={"value": 1}).status_code == 422


def test_a_staff_calendar_is_for_whoever_manages_it(make_caller):
    staff, student, slot, booking = booked(make_caller)
    mine = staff.get(f"/calendar/hosts/{staff.key}")
    assert mine.status_code == 200 and mine.mimetype == "text/calendar"
    body = mine.get_data(as_text=True)
    assert f"UID:slot-{slot['id']}@" in body and "(1/1 booked)" in body
    assert "TZID=America/New_York" in body and "BEGIN:VTIMEZONE" in body
    assert make_caller(role="staff").get(f"/calendar/hosts/{staff.key}").status_code == 403
    admin = make_caller(role="admin")
    assert admin.get(f"/calendar/hosts/{staff.key}").status_code == 200
    assert admin.get("/calendar/hosts/a%00b").status_code == 404


def test_audit_rows_carry_the_request_id(app, make_caller):
    from sqlalchemy import select

    from sis_appointments.models import AuditEntry

    staff, student = make_caller(role="staff"), make_caller()
    slot = make_slot(staff, make_type(staff)["id"], start())
    given = student.post(f"/slots/{slot['id']}/bookings", headers={"X-Request-ID": "req-42"})
    assert given.headers["X-Request-ID"] == "req-42"
    booking_id = given.get_json()["id"]
    made = student.post(f"/bookings/{booking_id}/cancel",
                        headers={"X-Request-ID": "bad id, with <spaces>"})
    generated = made.headers["X-Request-ID"]
    assert len(generated) == 32 and generated != "req-42"
    session = app.extensions["sis_appointments"].sessionmaker()
    ids = dict(session.execute(select(AuditEntry.action, AuditEntry.request_id).where(
        AuditEntry.entity_type == "booking")).all())
    session.close()
    assert ids == {"booking.created": "req-42", "booking.cancelled": generated}

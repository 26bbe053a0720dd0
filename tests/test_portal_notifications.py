"""A user's own pages: notifications listed and marked read, notification preferences saved
(with form errors that change nothing), the calendar subscription address made and ended."""

from __future__ import annotations

import re

from test_portal_booking import token

from sis_appointments.models import NotificationPreference


def deliver(app):
    from sis_appointments.notify.delivery import deliver_due

    state = app.extensions["sis_appointments"]
    session = state.sessionmaker()
    with app.app_context():
        deliver_due(session, state.make_channels(), state.settings)
    session.close()


def test_notifications_are_listed_and_marked_read(app, client, auth, create_user, create_slot):
    create_user(username="ana")
    slot = create_slot(location="Advising office 2")
    auth.login("ana")
    client.post(f"/appointments/slots/{slot.id}/book", data={"csrf_token": token(client)})
    deliver(app)
    page = client.get("/appointments/me/notifications").get_data(as_text=True)
    assert "1 unread" in page and "Appointment booked: Academic advising" in page
    assert "Advising office 2" in page
    response = client.post("/appointments/me/notifications/read",
                           data={"csrf_token": token(client, "/appointments/me/notifications")},
                           follow_redirects=True)
    assert "1 marked as read." in response.get_data(as_text=True)
    assert "0 unread" in client.get("/appointments/me/notifications").get_data(as_text=True)
    assert client.post("/appointments/me/notifications/read").status_code == 400  # no CSRF


def test_a_notification_shows_a_summary_and_leads_to_its_appointment(
        app, client, auth, session, create_user, create_slot):
    from sis_appointments.models import Booking

    ana = create_user(username="ana")
    slot = create_slot(location="Advising office 2")
    auth.login("ana")
    client.post(f"/appointments/slots/{slot.id}/book", data={"csrf_token": token(client)})
    deliver(app)
    session.rollback()
    made = session.query(Booking).filter_by(student_key=ana.key).one()
    page = client.get("/appointments/me/notifications").get_data(as_text=True)
    item = page.split('class="appt-notifications"')[1]
    assert "Advising office 2" in item  # the summary: where, with whom
    assert "<pre" not in item and "Hello " not in item and "Times are shown in" not in item
    link = re.search(r'<a class="appt-action" href="([^"]+)">See this appointment<', item)
    assert link and link.group(1) == f"/appointments/bookings/{made.id}"
    assert client.get(link.group(1)).status_code == 200
    assert 'href="/appointments/">Back to My appointments</a>' in page


def test_a_cancellation_says_why_in_the_list(app, client, auth, session, create_user,
                                             create_slot):
    from sis_appointments.contract import SisUser
    from sis_appointments.services.scheduling import slots

    create_user(username="ana")
    lee = create_user(username="lee", role="staff", name="Dr Lee")
    slot = create_slot(location="Advising office 3", host_key=lee.key)
    auth.login("ana")
    client.post(f"/appointments/slots/{slot.id}/book", data={"csrf_token": token(client)})
    with app.app_context():
        slots.cancel(session, actor=SisUser(key="boss", name="Boss", roles=frozenset({"admin"})),
                     slot_id=slot.id, reason="The advisor is ill")
    deliver(app)
    page = client.get("/appointments/me/notifications").get_data(as_text=True)
    cancelled = page.split('class="appt-notifications"')[1].split("</li>")[0]
    assert "Appointment cancelled" in cancelled and "The advisor is ill" in cancelled


def test_settings_are_saved_and_bad_lead_times_change_nothing(client, auth, session,
                                                              create_user):
    ana = create_user(username="ana")
    auth.login("ana")
    page = client.get("/appointments/me/preferences").get_data(as_text=True)
    # reminders are choices in words, the defaults ticked
    assert re.search(r'<input checked[^>]*value="1440"', page)
    assert re.search(r'<input checked[^>]*value="60"', page)
    assert ">1 day before</label>" in page and ">1 hour before</label>" in page
    assert "Cancellations by staff always reach you by an in-app notification." in page
    csrf = token(client, "/appointments/me/preferences")
    bad = client.post("/appointments/me/preferences", data={
        "csrf_token": csrf, "lead_times": "1", "booking_created__inapp": "y"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)  # said at the top, where the page opens, and in place
    heading = page.index("<h1>Notification preferences</h1>")
    alert = page.index('role="alert">Choose reminder times from the list; nothing was saved.')
    assert heading < alert < page.index("<table")
    assert 'href="#appt-reminders">Change the reminder times</a>' in page
    assert '<p id="lead-error" class="appt-field-error">Choose reminder times' in page
    many = client.post("/appointments/me/preferences", data={
        "csrf_token": csrf, "lead_times": ["10080", "2880", "1440", "180", "60", "30"]})
    assert "Choose at most 5 reminder times" in many.get_data(as_text=True)
    session.rollback()
    assert session.query(NotificationPreference).filter_by(user_key=ana.key).count() == 0
    good = client.post("/appointments/me/preferences", data={
        "csrf_token": csrf, "lead_times": ["180", "30"], "booking_created__inapp": "y"},
        follow_redirects=True)
    assert "Your notification preferences are saved." in good.get_data(as_text=True)
    session.rollback()
    chosen = {(p.event, p.channel): p.enabled for p in session.query(NotificationPreference)
              .filter_by(user_key=ana.key)}
    assert chosen[("booking_created", "inapp")] is True
    assert chosen[("booking_cancelled", "inapp")] is False
    page = client.get("/appointments/me/preferences").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="180"', page)
    assert not re.search(r'<input checked[^>]*value="1440"', page)


def test_preferences_speak_plainly(client, auth, create_user):
    create_user(username="ana")
    auth.login("ana")
    page = client.get("/appointments/me/preferences").get_data(as_text=True)
    assert '<th scope="col">In the app</th>' in page
    assert '<th scope="row">A booking is made</th>' in page
    assert ">inapp<" not in page and "booking created" not in page
    # each checkbox's label: the channel (shown on phones) and the event
    assert ('<span class="appt-pref-channel">In the app</span><span class="appt-sr">: '
            'A booking is made</span>') in page
    assert 'class="appt-mine appt-prefs"' in page  # the plugin's buttons and focus styles
    # no address yet: nothing to turn off
    assert "Turn the calendar address off" not in page
    client.post("/appointments/me/feed",
                data={"csrf_token": token(client, "/appointments/me/preferences")})
    page = client.get("/appointments/me/preferences").get_data(as_text=True)
    assert "Turn the calendar address off" in page


def test_the_calendar_address_is_shown_once_and_can_be_turned_off(client, auth, create_user,
                                                                  create_slot, create_booking):
    ana = create_user(username="ana")
    create_booking(ana.key, create_slot())
    auth.login("ana")
    csrf = token(client, "/appointments/me/preferences")
    page = client.post("/appointments/me/feed", data={"csrf_token": csrf}).get_data(
        as_text=True)
    url = re.search(r'<input id="feed-url"[^>]* value="([^"]+)"', page).group(1)
    path = url.removeprefix("http://localhost")
    auth.logout()
    feed = client.get(path)
    assert feed.status_code == 200 and b"BEGIN:VEVENT" in feed.data
    auth.login("ana")
    client.post("/appointments/me/feed/off",
                data={"csrf_token": token(client, "/appointments/me/preferences")})
    assert client.get(path).status_code == 404


def test_admins_retry_dead_letters_from_their_page(client, auth, session, create_user):
    from sis_appointments.models import Notification, utcnow

    create_user(username="boss", role="admin")
    create_user(username="advisor", role="staff")
    note = Notification(event="booking_created", recipient_key="nobody", channel="email",
                        payload={}, dedupe_key="d1", status="dead", attempts=8,
                        last_error="SMTP said no", next_attempt_at=utcnow())
    session.add(note)
    session.commit()
    auth.login("advisor")
    assert client.get("/admin/appointments/notifications").status_code == 403
    auth.logout()
    auth.login("boss")
    page = client.get("/admin/appointments/notifications").get_data(as_text=True)
    assert "dead 1" in page and "SMTP said no" in page and "Appointment notifications" in page
    done = client.post(f"/admin/appointments/notifications/{note.id}/retry", data={
        "csrf_token": token(client, "/admin/appointments/notifications")},
        follow_redirects=True).get_data(as_text=True)
    assert "It will be sent again with the next delivery run." in done and "dead 0" in done

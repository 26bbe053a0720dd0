"""Batch changes and "advisor out", page by page with the Flask client: slots found by
filter, a preview that changes nothing and names who would be told, the run and its CSV
report, all or nothing against best effort, and an absent advisor's bookings handed to a
colleague or cancelled with a message."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy import select
from test_admin_calendar import at, next_monday, token

from sis_appointments.models import Booking, Notification, RoleGrant, Slot

BATCH = "/admin/appointments/batch"
ABSENCE = "/admin/appointments/absence"


@pytest.fixture
def office(create_user, create_type, create_slot, create_booking, session):
    """Dr Lee (advising 10:00 and 11:00 on Tuesday and Wednesday next week, ana booked at
    Tuesday 10:00) and Dr Kim (advising Tuesday 10:00, room for two)."""
    lee = create_user(username="lee", role="staff", name="Dr Lee")
    kim = create_user(username="kim", role="staff", name="Dr Kim")
    ana = create_user(username="ana", name="Ana Student")
    advising = create_type(hosts=(lee.key, kim.key))
    slots = {(day, hour): create_slot(start=at(day, hour), host_key=lee.key, type=advising,
                                      capacity=2)
             for day in (1, 2) for hour in (10, 11)}
    kims = create_slot(start=at(1, 10), host_key=kim.key, type=advising, capacity=2,
                       location="Room 9")
    create_booking(ana.key, slots[1, 10])
    return lee, kim, ana, advising, slots, kims


def find(client, **args):
    query = {"first": next_monday().isoformat(),
             "last": (next_monday() + timedelta(days=6)).isoformat(), **args}
    return client.get(BATCH, query_string=query)


def test_students_cannot_batch(client, auth, office):
    auth.login("ana")
    assert client.get(BATCH).status_code == 403
    assert client.get(ABSENCE).status_code == 403


def test_slots_are_found_by_filter_and_previewed_without_change(client, auth, session,
                                                                office):
    lee, kim, ana, advising, slots, kims = office
    auth.login("lee")
    html = find(client, time_from="10:00", time_to="10:30").get_data(as_text=True)
    assert "2 slots found" in html
    assert f'name="slot" value="{slots[1, 10].id}"' in html
    assert f'name="slot" value="{slots[1, 11].id}"' not in html
    assert f'name="slot" value="{kims.id}"' not in html  # not Lee's calendar
    ids = [str(slots[1, 10].id), str(slots[2, 10].id)]
    body = {"csrf_token": token(client, BATCH), "slot": ids, "op": "cancel",
            "reason": "Office closed", "mode": "all", "action": "preview"}
    preview = client.post(BATCH, data=body).get_data(as_text=True)
    assert "Preview: 2 of 2 would change" in preview
    assert "These 2 people would be told: Dr Lee, Ana Student." in preview
    session.rollback()
    assert {session.get(Slot, int(i)).status for i in ids} == {"open"}
    assert session.scalar(select(Notification.id).where(
        Notification.event == "booking_cancelled")) is None
    done = client.post(BATCH, data={**body, "action": "run"}).get_data(as_text=True)
    assert "Done: 2 of 2 slots changed" in done and "2 people are told" in done
    csv_text = unquote(re.search(r'href="data:text/csv;charset=utf-8,([^"]+)"', done).group(1))
    assert csv_text.splitlines()[0].startswith("slot_id,start,end,type,host,outcome")
    assert f"{slots[1, 10].id}," in csv_text and ",done," in csv_text
    session.rollback()
    session.expire_all()
    assert {session.get(Slot, int(i)).status for i in ids} == {"cancelled"}


def test_one_person_told_is_worded_as_one(client, auth, office):
    """A new place tells the booked student alone: "This person", not "These 1 people"."""
    lee, kim, ana, advising, slots, kims = office
    auth.login("lee")
    body = {"csrf_token": token(client, BATCH), "slot": [str(slots[1, 10].id)],
            "op": "location", "location": "Room 2", "mode": "all", "action": "preview"}
    preview = client.post(BATCH, data=body).get_data(as_text=True)
    assert "This person would be told: Ana Student." in preview
    done = client.post(BATCH, data={**body, "action": "run"}).get_data(as_text=True)
    assert "1 person is told: Ana Student." in done


def test_a_refused_slot_stops_or_is_skipped(client, auth, session, office, create_user,
                                            create_booking):
    lee, kim, ana, advising, slots, kims = office
    create_booking(create_user(username="ben").key, slots[1, 10])
    auth.login("lee")
    ids = [str(slots[1, 10].id), str(slots[1, 11].id)]  # the first is full (2 of 2)
    body = {"csrf_token": token(client, BATCH), "slot": ids, "op": "capacity",
            "capacity": "1", "mode": "all", "action": "run"}
    assert client.post(BATCH, data={**body, "capacity": "0"}).status_code == 422
    preview = client.post(BATCH, data={**body, "action": "preview"}).get_data(as_text=True)
    assert "Nothing would change: change the choice" in preview  # all or nothing, one refused
    assert 'value="run"' not in preview  # no button to run it on 0 slots
    html = client.post(BATCH, data=body).get_data(as_text=True)
    assert "Nothing was changed" in html and "below the 2 seats taken" in html
    session.rollback()
    session.expire_all()
    assert session.get(Slot, slots[1, 11].id).capacity == 2
    html = client.post(BATCH, data={**body, "mode": "best"}).get_data(as_text=True)
    assert "Done: 1 of 2 slots changed" in html
    session.rollback()
    session.expire_all()
    assert session.get(Slot, slots[1, 11].id).capacity == 1


def test_an_advisor_out_is_planned_then_carried_out(client, auth, session, office):
    lee, kim, ana, advising, slots, kims = office
    session.add(RoleGrant(user_key=kim.key, grant="manage_calendar", target_key=lee.key))
    session.commit()
    auth.login("kim")
    tuesday = (next_monday() + timedelta(days=1)).isoformat()
    body = {"csrf_token": token(client, ABSENCE), "host": lee.key, "first": tuesday,
            "last": tuesday, "message": "Dr Lee is ill today.", "action": "plan"}
    assert client.post(ABSENCE, data={**body, "message": ""}).status_code == 422
    plan = client.post(ABSENCE, data=body).get_data(as_text=True)
    assert "The plan: 2 slots" in plan and "Bookings go to Dr Kim" in plan
    assert "Cancelled (nobody booked)" in plan and "Ana Student" in plan
    session.rollback()
    assert session.get(Slot, slots[1, 10].id).status == "open"
    done = client.post(ABSENCE, data={**body, "action": "run"}).get_data(as_text=True)
    assert "Done: 2 slots" in done
    session.rollback()
    session.expire_all()
    assert session.scalars(select(Booking.slot_id).where(
        Booking.student_key == ana.key, Booking.status == "confirmed")).all() == [kims.id]
    assert {session.get(Slot, slots[1, h].id).status for h in (10, 11)} == {"cancelled"}


def test_the_person_running_a_batch_hears_its_progress(app, client, auth, office,
                                                        create_slot):
    """batch.progress reaches their open pages (static/js/batch.js draws it)."""
    from sis_appointments.web.sockets import NAMESPACE

    lee, kim, ana, advising, slots, kims = office
    more = [create_slot(start=at(4, 6) + timedelta(minutes=30 * n), host_key=lee.key,
                        type=advising) for n in range(26)]
    auth.login("lee")
    socketio = app.extensions["sis_appointments"].socketio
    socket = socketio.test_client(app, namespace=NAMESPACE, flask_test_client=client)
    socket.get_received(NAMESPACE)
    response = client.post(BATCH, data={
        "csrf_token": token(client, BATCH), "slot": [str(s.id) for s in more],
        "op": "location", "location": "Room 3", "mode": "all", "action": "preview"})
    assert response.status_code == 200
    progress = [m["args"][0] for m in socket.get_received(NAMESPACE)
                if m["name"] == "batch.progress"]
    assert progress == [{"done": 25, "total": 26}, {"done": 26, "total": 26}]

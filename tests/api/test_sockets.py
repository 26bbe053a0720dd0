"""Live updates over Socket.IO: refused when anonymous, rooms checked, events after commit."""

from __future__ import annotations

from datetime import timedelta

from api.test_api_resources import make_slot, make_type

from sis_appointments.models import utcnow
from sis_appointments.web.sockets import NAMESPACE


def socket_for(app, token=None, flask_client=None):
    socketio = app.extensions["sis_appointments"].socketio
    return socketio.test_client(app, namespace=NAMESPACE, flask_test_client=flask_client,
                                auth={"token": token} if token else None)


def received(client, name):
    return [e["args"][0] for e in client.get_received(NAMESPACE) if e["name"] == name]


def start():
    return (utcnow() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)


def test_anonymous_and_bad_tokens_are_refused(app):
    assert not socket_for(app).is_connected(NAMESPACE)
    assert not socket_for(app, "sisappt_nope").is_connected(NAMESPACE)


def test_session_users_connect(app, client, auth, create_user):
    create_user(username="ana")
    auth.login("ana")
    assert socket_for(app, flask_client=client).is_connected(NAMESPACE)


def test_rooms_are_checked(app, make_caller):
    staff, other = make_caller(role="staff"), make_caller(role="staff")
    type_id = make_type(staff)["id"]
    watcher = socket_for(app, other.token)
    assert watcher.emit("join", {"room": f"type:{type_id}"}, namespace=NAMESPACE,
                        callback=True)["ok"]
    assert not watcher.emit("join", {"room": f"host:{staff.key}"}, namespace=NAMESPACE,
                            callback=True)["ok"]
    assert not watcher.emit("join", {"room": "type:999999"}, namespace=NAMESPACE,
                            callback=True)["ok"]
    assert not watcher.emit("join", "nonsense", namespace=NAMESPACE, callback=True)["ok"]


def test_the_losing_client_sees_the_seat_go(app, make_caller):
    """Two clients race for the last seat over HTTP; the other's socket hears about it."""
    staff = make_caller(role="staff")
    type_id = make_type(staff)["id"]
    slot = make_slot(staff, type_id, start())
    ana, ben = make_caller(), make_caller()
    ben_socket = socket_for(app, ben.token)
    ben_socket.emit("join", {"room": f"type:{type_id}"}, namespace=NAMESPACE)
    ben_socket.get_received(NAMESPACE)
    assert ana.post(f"/slots/{slot['id']}/bookings").status_code == 201
    assert ben.post(f"/slots/{slot['id']}/bookings").status_code == 409
    availability = received(ben_socket, "slot.availability")
    assert availability[0] == {"slot_id": slot["id"], "remaining": 0, "capacity": 1,
                               "waitlist_length": 0, "status": "open"}


def test_own_booking_events_and_waitlist_promotion(app, make_caller):
    staff = make_caller(role="staff")
    slot = make_slot(staff, make_type(staff)["id"], start())
    ana, ben = make_caller(), make_caller()
    ana_socket, ben_socket = socket_for(app, ana.token), socket_for(app, ben.token)
    host_socket = socket_for(app, staff.token)
    host_socket.emit("join", {"room": f"host:{staff.key}"}, namespace=NAMESPACE)
    made = ana.post(f"/slots/{slot['id']}/bookings").get_json()
    assert received(ana_socket, "booking.created") == [{"id": made["id"],
                                                        "slot_id": slot["id"]}]
    assert [e["id"] for e in received(host_socket, "booking.created")] == [made["id"]]
    ben.post(f"/slots/{slot['id']}/waitlist")
    assert received(ben_socket, "waitlist.position")[-1]["position"] == 1
    ana.post(f"/bookings/{made['id']}/cancel")
    promoted = received(ben_socket, "waitlist.promoted")
    assert promoted and promoted[0]["slot_id"] == slot["id"]
    assert received(ana_socket, "booking.cancelled")[0]["id"] == made["id"]


def test_nothing_is_emitted_for_a_refused_change(app, make_caller):
    staff = make_caller(role="staff")
    type_id = make_type(staff)["id"]
    slot = make_slot(staff, type_id, start() - timedelta(days=3))  # already started
    watcher = socket_for(app, staff.token)
    watcher.emit("join", {"room": f"type:{type_id}"}, namespace=NAMESPACE)
    watcher.get_received(NAMESPACE)
    assert make_caller().post(f"/slots/{slot['id']}/bookings").status_code == 422
    assert watcher.get_received(NAMESPACE) == []


def test_a_held_seat_reaches_its_student_live(app, make_caller):
    """Offer mode: the student first in line hears that a seat is held for them, and until
    when; nobody else does."""
    staff = make_caller(role="staff")
    slot = make_slot(staff, make_type(staff, offer_minutes=30)["id"], start())
    ana, ben, cid = make_caller(), make_caller(), make_caller()
    ben_socket, cid_socket = socket_for(app, ben.token), socket_for(app, cid.token)
    made = ana.post(f"/slots/{slot['id']}/bookings").get_json()
    entry = ben.post(f"/slots/{slot['id']}/waitlist").get_json()
    cid.post(f"/slots/{slot['id']}/waitlist")
    ana.post(f"/bookings/{made['id']}/cancel")
    offered = received(ben_socket, "waitlist.offered")
    assert len(offered) == 1 and offered[0]["id"] == entry["id"]
    assert offered[0]["slot_id"] == slot["id"] and offered[0]["offer_expires_at"]
    assert received(cid_socket, "waitlist.offered") == []


def test_pages_showing_a_slot_hear_that_staff_changed_it(app, make_caller):
    """A moved slot: whoever looks at its type or calendar is told to refetch it."""
    staff = make_caller(role="staff")
    type_id = make_type(staff)["id"]
    slot = make_slot(staff, type_id, start())
    watcher = socket_for(app, make_caller().token)
    watcher.emit("join", {"room": f"type:{type_id}"}, namespace=NAMESPACE)
    watcher.get_received(NAMESPACE)
    moved = start() + timedelta(hours=3)
    assert staff.patch(f"/slots/{slot['id']}", json={
        "start": moved.isoformat(), "end": (moved + timedelta(minutes=30)).isoformat(),
    }).status_code == 200
    assert received(watcher, "slot.changed") == [{"slot_id": slot["id"]}]

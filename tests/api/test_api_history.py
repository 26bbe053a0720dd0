"""A booking's change history over HTTP: the student's own, worded for who asks."""

from __future__ import annotations

from datetime import datetime

from api.test_api_resources import make_slot, make_type, soon


def not_found(response):
    body = response.get_json()
    assert (response.status_code, response.mimetype, body["code"]) == (
        404, "application/problem+json", "not_found"), body


def test_the_history_is_the_students_own_and_worded_for_them(make_caller):
    host = make_caller(role="staff", name="Dr Lee")
    student, other = make_caller(name="Ana Example"), make_caller()
    kind = make_type(host, capacity=2)["id"]
    first, second = (make_slot(host, kind, soon(hours=h)) for h in (0, 3))
    mine = student.post(f"/slots/{first['id']}/bookings").get_json()
    theirs = other.post(f"/slots/{first['id']}/bookings").get_json()
    assert other.post(f"/bookings/{theirs['id']}/cancel",
                      json={"reason": "not for you"}).status_code == 200
    assert host.post(f"/bookings/{mine['id']}/reschedule",
                     json={"slot_id": second["id"]}).status_code == 200
    assert host.post(f"/bookings/{mine['id']}/cancel",
                     json={"reason": "Dr Lee is ill"}).status_code == 200

    response = student.get(f"/bookings/{mine['id']}/history")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["booking_id"] == mine["id"]
    assert [(c["kind"], c["summary"]) for c in body["items"]] == [
        ("booked", "Booked by you"), ("moved", "Moved by Dr Lee's office"),
        ("cancelled", "Cancelled by Dr Lee's office")]
    moved, cancelled = body["items"][1:]
    assert (moved["from"]["slot_id"], moved["to"]["slot_id"]) == (first["id"], second["id"])
    assert datetime.fromisoformat(moved["to"]["start"]) == datetime.fromisoformat(
        second["start"])
    assert (cancelled["reason"], cancelled["late"]) == ("Dr Lee is ill", False)
    text = response.get_data(as_text=True)
    assert host.key not in {c["actor"] for c in body["items"]} and "not for you" not in text
    assert all(c["actor"] is None and c["action"] is None for c in body["items"])

    not_found(other.get(f"/bookings/{mine['id']}/history"))
    not_found(make_caller(role="staff").get(f"/bookings/{mine['id']}/history"))
    staff_view = host.get(f"/bookings/{mine['id']}/history").get_json()["items"]
    assert [(c["action"], c["actor"], c["by"]) for c in staff_view] == [
        ("booking.created", student.key, "Ana Example"),
        ("booking.rescheduled", host.key, "you"),
        ("booking.cancelled", host.key, "you")]

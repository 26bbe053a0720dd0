"""Batch operations: all or nothing, best effort, validation, events only for what lands."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from api.test_api_resources import iso, make_type, soon

from sis_appointments.web.sockets import NAMESPACE


def slot_op(staff, type_id, start, minutes=30):
    return {"op": "create_slots", "type_id": type_id, "host": staff.key, "start": iso(start),
            "end": iso(start + timedelta(minutes=minutes)), "split": False}


def test_all_or_nothing_applies_nothing_when_one_step_fails(make_caller):
    staff = make_caller(role="staff")
    type_id = make_type(staff)["id"]
    ops = [slot_op(staff, type_id, soon(2)), slot_op(staff, type_id, soon(2))]  # overlap
    body = staff.post("/batch", json={"operations": ops}).get_json()
    assert body["applied"] is False
    assert [r["ok"] for r in body["results"]] == [False, False]
    assert body["results"][0]["rolled_back"] is True
    assert body["results"][1]["error"]["code"] == "slot_overlap"
    window = {"start": iso(soon(0)), "end": iso(soon(5))}
    assert staff.get("/slots", query_string=window).get_json()["items"] == []


def test_best_effort_applies_what_succeeds(make_caller):
    staff = make_caller(role="staff")
    type_id = make_type(staff)["id"]
    ops = [slot_op(staff, type_id, soon(2)), slot_op(staff, type_id, soon(2)),
           slot_op(staff, type_id, soon(3))]
    body = staff.post("/batch", json={"mode": "best_effort", "operations": ops}).get_json()
    assert body["applied"] is True
    assert [r["ok"] for r in body["results"]] == [True, False, True]
    window = {"start": iso(soon(0)), "end": iso(soon(5))}
    assert len(staff.get("/slots", query_string=window).get_json()["items"]) == 2


def test_invalid_operations_run_nothing(make_caller):
    staff = make_caller(role="staff")
    response = staff.post("/batch", json={"operations": [{"op": "explode"},
                                                         {"op": "cancel_slot"}]})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"0", "1"}


def test_only_committed_steps_are_announced(app, make_caller):
    staff = make_caller(role="staff")
    type_id = make_type(staff, capacity=1)["id"]
    made = staff.post("/batch", json={"operations": [
        slot_op(staff, type_id, soon(2)), slot_op(staff, type_id, soon(3))]}).get_json()
    first, second = (r["result"][0]["id"] for r in made["results"])
    ana = make_caller()
    socket = app.extensions["sis_appointments"].socketio.test_client(
        app, namespace=NAMESPACE, auth={"token": ana.token})
    socket.get_received(NAMESPACE)
    body = ana.post("/batch", json={"mode": "best_effort", "operations": [
        {"op": "book", "slot_id": first}, {"op": "book", "slot_id": 999999},
        {"op": "book", "slot_id": second}]}).get_json()
    assert [r["ok"] for r in body["results"]] == [True, False, True]
    created = [e["args"][0]["slot_id"] for e in socket.get_received(NAMESPACE)
               if e["name"] == "booking.created"]
    assert created == [first, second]


def test_results_give_times_as_iso_8601_with_their_offset(make_caller):
    """As every other answer does (not Flask's RFC 1123 dates); a clash names the time in
    the type's zone."""
    staff = make_caller(role="staff")
    type_id = make_type(staff)["id"]
    start = soon(2)
    body = staff.post("/batch", json={"mode": "best_effort", "operations": [
        slot_op(staff, type_id, start), slot_op(staff, type_id, start)]}).get_json()
    made = body["results"][0]["result"][0]
    assert made["start"] == start.astimezone(ZoneInfo("America/New_York")).isoformat()
    assert "GMT" not in str(body)
    detail = body["results"][1]["error"]["detail"]
    assert "America/New_York" in detail and "UTC" not in detail

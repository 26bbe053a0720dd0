"""Types, slots, bookings and waitlists over HTTP, with their error paths."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sis_appointments.models import utcnow


def iso(instant: datetime) -> str:
    return instant.isoformat()


def soon(days=2, hours=0) -> datetime:
    return (utcnow() + timedelta(days=days, hours=hours)).replace(minute=0, second=0,
                                                                 microsecond=0)


def make_type(caller, **fields):
    body = {"name": "Advising", "duration_minutes": 30, "timezone": "America/New_York",
            "hosts": [caller.key], **fields}
    response = caller.post("/appointment-types", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def make_slot(caller, type_id, start, minutes=30, **fields):
    response = caller.post("/slots", json={"type_id": type_id, "host": caller.key,
                                           "start": iso(start),
                                           "end": iso(start + timedelta(minutes=minutes)),
                                           "split": False, **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()[0]


def test_types_create_read_update_with_etags(make_caller):
    staff = make_caller(role="staff")
    made = make_type(staff, capacity=2)
    read = staff.get(f"/appointment-types/{made['id']}")
    assert read.headers["ETag"] == '"1"' and read.get_json()["hosts"] == [staff.key]
    updated = staff.patch(f"/appointment-types/{made['id']}", json={"capacity": 3},
                          headers={"If-Match": '"1"'})
    assert (updated.status_code, updated.headers["ETag"]) == (200, '"2"')
    stale = staff.patch(f"/appointment-types/{made['id']}", json={"capacity": 4},
                        headers={"If-Match": '"1"'})
    assert (stale.status_code, stale.get_json()["code"]) == (409, "version_mismatch")
    assert staff.patch(f"/appointment-types/{made['id']}", json={"capacity": 4},
                       headers={"If-Match": "garbage"}).status_code == 412
    archived = staff.post(f"/appointment-types/{made['id']}/archive").get_json()
    assert archived["active"] is False


def test_types_refuse_fields_a_body_may_not_set(make_caller):
    admin = make_caller(role="admin")
    made = make_type(admin)
    response = admin.patch(f"/appointment-types/{made['id']}", json={"version": 9, "id": 3})
    assert response.status_code == 422 and set(response.get_json()["errors"]) == {"version",
                                                                                  "id"}


def test_students_cannot_create_types_or_slots(make_caller, create_user):
    admin, student = make_caller(role="admin"), make_caller()
    someone = create_user(role="staff").key
    made = make_type(admin, hosts=[someone])
    assert student.post("/appointment-types", json={
        "name": "x", "duration_minutes": 5, "timezone": "UTC", "hosts": ["x"]}).status_code == 403
    assert student.post("/slots", json={"type_id": made["id"], "host": someone,
                                        "start": iso(soon()), "end": iso(soon(hours=1))}
                        ).status_code == 403


def test_preview_flags_dst_moves(make_caller):
    body = {"start_local": "2026-03-07T02:30:00", "timezone": "America/New_York",
            "rrule": "FREQ=DAILY;COUNT=3", "duration_minutes": 30}
    preview = make_caller().post("/appointment-types/preview", json=body).get_json()
    assert [o["dst_adjusted"] for o in preview] == [False, True, False]
    bad = make_caller().post("/appointment-types/preview", json={**body, "rrule": "FREQ=YEARLY"})
    assert (bad.status_code, bad.get_json()["code"]) == (422, "bad_rrule")


def test_slot_range_query_with_zones_and_pages(make_caller):
    staff = make_caller(role="staff")
    type_id = make_type(staff)["id"]
    start = datetime(2031, 7, 1, 13, tzinfo=UTC)
    for n in range(5):
        make_slot(staff, type_id, start + timedelta(hours=n))
    page = staff.get("/slots", query_string={"start": iso(start), "end": iso(start + timedelta(
        days=1)), "limit": 2, "tz": "Asia/Kolkata"}).get_json()
    assert [s["start"] for s in page["items"]] == ["2031-07-01T18:30:00+05:30",
                                                   "2031-07-01T19:30:00+05:30"]
    assert page["items"][0]["timezone"] == "Asia/Kolkata" and page["next"]
    second = staff.client.get(page["next"], headers=staff._headers(None)).get_json()
    third = staff.client.get(second["next"], headers=staff._headers(None)).get_json()
    assert len(second["items"]) == 2 and len(third["items"]) == 1 and third["next"] is None
    bad = staff.get("/slots", query_string={"start": iso(start), "end": iso(start)})
    assert bad.status_code == 422 and "end" in bad.get_json()["errors"]
    assert staff.get("/slots", query_string={"start": iso(start), "end": iso(start + timedelta(
        days=1)), "cursor": "nonsense"}).status_code == 422


def test_booking_over_http_and_the_full_slot_conflict(make_caller):
    staff = make_caller(role="staff")
    slot = make_slot(staff, make_type(staff)["id"], soon())
    ana, ben = make_caller(), make_caller()
    made = ana.post(f"/slots/{slot['id']}/bookings", json={"reason": "course planning"})
    assert made.status_code == 201 and made.get_json()["student"] == ana.key
    full = ben.post(f"/slots/{slot['id']}/bookings")
    body = full.get_json()
    assert (full.status_code, body["code"]) == (409, "slot_full")
    assert body["state"]["remaining"] == 0 and body["state"]["capacity"] == 1
    joined = ben.post(f"/slots/{slot['id']}/waitlist").get_json()
    assert (joined["position"], joined["status"]) == (1, "waiting")
    assert ana.post(f"/bookings/{made.get_json()['id']}/cancel",
                    json={"reason": "sorted"}).get_json()["status"] == "cancelled"
    mine = ben.get("/bookings", query_string={"status": "upcoming"}).get_json()["items"]
    assert [b["slot_id"] for b in mine] == [slot["id"]], "promoted from the waitlist"


def test_a_student_may_not_set_fields_of_staff(make_caller):
    staff = make_caller(role="staff")
    slot = make_slot(staff, make_type(staff)["id"], soon())
    student = make_caller()
    response = student.post(f"/slots/{slot['id']}/bookings",
                            json={"status": "attended", "capacity": 10})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"status", "capacity"}
    other = student.post(f"/slots/{slot['id']}/bookings", json={"student": "someone-else"})
    assert other.status_code == 403


def test_students_see_only_their_own_bookings(make_caller):
    staff = make_caller(role="staff")
    type_id = make_type(staff, capacity=5)["id"]
    slot = make_slot(staff, type_id, soon())
    ana, ben = make_caller(), make_caller()
    theirs = ben.post(f"/slots/{slot['id']}/bookings").get_json()
    ana.post(f"/slots/{slot['id']}/bookings")
    assert [b["student"] for b in ana.get("/bookings").get_json()["items"]] == [ana.key]
    assert ana.get(f"/bookings/{theirs['id']}").status_code == 404
    assert ana.get("/bookings", query_string={"student": ben.key}).status_code == 403
    assert ana.post(f"/bookings/{theirs['id']}/cancel").status_code == 404
    slot_view = ana.get(f"/slots/{slot['id']}").get_json()
    assert slot_view["booked"] == 2 and "student" not in slot_view
    hosted = staff.get("/bookings").get_json()["items"]
    assert {b["student"] for b in hosted} == {ana.key, ben.key}


def test_reschedule_and_attendance(make_caller):
    staff = make_caller(role="staff")
    type_id = make_type(staff)["id"]
    first, second = make_slot(staff, type_id, soon()), make_slot(staff, type_id, soon(3))
    ana = make_caller()
    made = ana.post(f"/slots/{first['id']}/bookings").get_json()
    moved = ana.post(f"/bookings/{made['id']}/reschedule", json={"slot_id": second["id"]})
    assert moved.status_code == 200 and moved.get_json()["slot_id"] == second["id"]
    early = staff.post(f"/bookings/{made['id']}/attendance", json={"status": "attended"})
    assert (early.status_code, early.get_json()["code"]) == (422, "slot_not_started")
    assert ana.post(f"/bookings/{made['id']}/attendance",
                    json={"status": "attended"}).status_code == 403
    bad = staff.post(f"/bookings/{made['id']}/attendance", json={"status": "present"})
    assert bad.status_code == 422


def test_a_student_may_not_move_a_booking_once_cancelling_it_would_be_late(make_caller):
    staff = make_caller(role="staff")
    type_id = make_type(staff, cancel_cutoff_minutes=3 * 24 * 60)["id"]  # free until 3 days
    first, second = make_slot(staff, type_id, soon()), make_slot(staff, type_id, soon(4))
    ana = make_caller()
    made = ana.post(f"/slots/{first['id']}/bookings").get_json()
    refused = ana.post(f"/bookings/{made['id']}/reschedule", json={"slot_id": second["id"]})
    assert refused.status_code == 422
    assert refused.content_type.startswith("application/problem+json")
    assert refused.get_json()["code"] == "too_late_to_move"
    assert ana.get(f"/bookings/{made['id']}").get_json()["slot_id"] == first["id"]
    moved = staff.post(f"/bookings/{made['id']}/reschedule", json={"slot_id": second["id"]})
    assert moved.status_code == 200 and moved.get_json()["slot_id"] == second["id"]


def test_slot_update_reports_conflicts_and_cancel(make_caller):
    staff = make_caller(role="staff")
    type_id = make_type(staff, capacity=3)["id"]
    slot = make_slot(staff, type_id, soon())
    ana = make_caller()
    ana.post(f"/slots/{slot['id']}/bookings")
    too_small = staff.patch(f"/slots/{slot['id']}", json={"capacity": 0})
    assert too_small.status_code == 422
    moved = staff.patch(f"/slots/{slot['id']}", json={"start": iso(soon(2, 2)),
                                                       "end": iso(soon(2, 3))}).get_json()
    assert datetime.fromisoformat(moved["slot"]["start"]) == soon(2, 2)
    assert moved["conflicts"] == []
    cancelled = staff.post(f"/slots/{slot['id']}/cancel", json={"reason": "ill"}).get_json()
    assert cancelled["status"] == "cancelled"
    assert ana.get("/bookings", query_string={"status": "cancelled"}).get_json()["items"]


def test_conflicts_listed_and_resolved_over_http(make_caller, session):
    from sqlalchemy import update

    from sis_appointments.models import Slot

    staff = make_caller(role="staff")
    type_id = make_type(staff)["id"]
    first = make_slot(staff, type_id, soon(), location="A")
    second = make_slot(staff, type_id, soon(hours=3), location="B")
    session.execute(update(Slot).where(Slot.id == second["id"]).values(
        start_utc=soon(), end_utc=soon() + timedelta(minutes=30)))
    session.commit()
    window = {"start": iso(soon(0)), "end": iso(soon(5))}
    [found] = staff.get("/conflicts", query_string=window).get_json()
    assert (found["kind"], found["slot_ids"]) == ("host_overlap",
                                                  sorted([first["id"], second["id"]]))
    incomplete = staff.post("/conflicts/resolve", json={"action": "move"})
    assert incomplete.status_code == 422
    assert set(incomplete.get_json()["errors"]) == {"slot_id", "target_slot_id"}
    done = staff.post("/conflicts/resolve", json={"action": "cancel_slot",
                                                  "slot_id": second["id"], "reason": "dup"})
    assert done.get_json() == {"action": "cancel_slot", "done": True, "moved": []}
    assert staff.get("/conflicts", query_string=window).get_json() == []
    assert make_caller().get("/conflicts", query_string=window).status_code == 403


def test_audit_log_for_admins(make_caller, create_user):
    admin = make_caller(role="admin")
    made = make_type(admin, hosts=[create_user(role="staff").key])
    entries = admin.get("/audit", query_string={"entity_type": "type"}).get_json()["items"]
    assert [(e["action"], e["entity_id"]) for e in entries] == [("type.created",
                                                                 str(made["id"]))]
    other = make_caller(role="staff").get("/audit")  # staff: their calendars' entries
    assert other.status_code == 200 and other.get_json()["items"] == []
    assert make_caller(role="student").get("/audit").status_code == 403


def test_series_over_http(make_caller):
    staff = make_caller(role="staff")
    type_id = make_type(staff, timezone="Europe/Berlin")["id"]
    today = utcnow().date()
    monday = today + timedelta(days=7 - today.weekday())
    first_start = datetime(monday.year, monday.month, monday.day, 9)
    created = staff.post("/series", json={"type_id": type_id, "host": staff.key,
                                          "start_local": first_start.isoformat(),
                                          "rrule": "FREQ=WEEKLY;COUNT=3"})
    assert created.status_code == 201, created.get_json()
    window = {"start": iso(soon(0)), "end": iso(soon(30)), "tz": "Europe/Berlin"}
    found = staff.get("/slots", query_string=window).get_json()["items"]
    assert [s["start"][11:16] for s in found] == ["09:00", "09:00", "09:00"]
    second_local = first_start + timedelta(days=7, hours=2)
    edited = staff.patch(f"/series/occurrences/{found[1]['id']}",
                         json={"scope": "following", "new_local_start": second_local.isoformat()})
    assert edited.status_code == 200 and edited.get_json() == {"conflicts": []}
    after = staff.get("/slots", query_string=window).get_json()["items"]
    assert [s["start"][11:16] for s in after] == ["09:00", "11:00", "11:00"]
    empty = staff.post("/series", json={"type_id": type_id, "host": staff.key,
                                        "start_local": first_start.isoformat(),
                                        "rrule": "FREQ=WEEKLY;COUNT=1",
                                        "exdates": [first_start.isoformat()]})
    assert (empty.status_code, empty.get_json()["code"]) == (422, "empty_rrule")
    bad_scope = staff.patch(f"/series/occurrences/{found[0]['id']}", json={"scope": "some"})
    assert bad_scope.status_code == 422


def test_a_grant_lets_staff_manage_another_calendar(make_caller):
    admin, host, helper = make_caller(role="admin"), make_caller(role="staff"), \
        make_caller(role="staff")
    slot = make_slot(host, make_type(host)["id"], soon())
    assert helper.post(f"/slots/{slot['id']}/cancel").status_code == 403
    bad = admin.post("/grants", json={"user": helper.key, "grant": "manage_calendar"})
    assert (bad.status_code, bad.get_json()["code"]) == (422, "bad_grant")
    given = admin.post("/grants", json={"user": helper.key, "grant": "manage_calendar",
                                        "target": host.key})
    assert given.status_code == 201
    assert admin.post("/grants", json={"user": helper.key, "grant": "manage_calendar",
                                       "target": host.key}).status_code == 409
    assert helper.post(f"/slots/{slot['id']}/cancel").status_code == 200
    assert admin.delete(f"/grants/{given.get_json()['id']}").status_code == 204
    assert admin.get("/grants").get_json() == []


def test_a_type_may_require_a_reason_from_students(make_caller):
    staff, student = make_caller(role="staff"), make_caller()
    kind = make_type(staff, reason_required=True)
    assert kind["reason_required"] is True
    slot = make_slot(staff, kind["id"], utcnow().replace(microsecond=0) + timedelta(days=3))
    refused = student.post(f"/slots/{slot['id']}/bookings", json={"reason": " "})
    assert refused.status_code == 422
    assert refused.get_json()["code"] == "reason_required"
    assert student.get("/bookings").get_json()["items"] == []
    assert student.post(f"/slots/{slot['id']}/bookings",
                        json={"reason": "my minor"}).status_code == 201
    assert make_type(staff)["reason_required"] is False

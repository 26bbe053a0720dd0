"""Hostile input is refused cleanly: every operation of the OpenAPI document that reads a
body or a query gets, in each of its integer and date-time fields, integers of 2^31 and more,
``1.5``, and dates near year 1 and 9999; each body a 100,000-deep JSON document, one over the
size limit and one sent as text/plain. Every answer is a 4xx problem (never a 5xx), naming the
field, and no refused request writes a row.

Also: unknown addresses under the API answer problems, ``GET /conflicts`` refuses an end
before its start, grants and appointment types refuse users the SIS does not know, and the
slot embedded in a booking counts its waiting students."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from api.conftest import API
from sqlalchemy import func, select

from sis_appointments.models import WaitlistEntry, metadata, utcnow
from sis_appointments.web.api.bodies import MAX_BODY_BYTES

PROBLEM = "application/problem+json"
BIG_INTEGERS = [2**31, 2**63, 10**30, -(2**31) - 1, 1.5]
BAD_TIMES = ["0001-01-01T00:00:00+00:00", "0001-01-01T00:00:00+05:00",
             "9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59-05:00"]
BAD_LOCAL_TIMES = ["0001-01-01T00:00:00", "9999-12-31T23:59:59"]


@pytest.fixture
def app(make_app):
    """Rate limits high enough that every refusal here is the input's, not the limit's."""
    return make_app(SIS_APPOINTMENTS_RATE_LIMIT_WRITES="100000/minute",
                    SIS_APPOINTMENTS_RATE_LIMIT_TOKENS="100000/minute")


@pytest.fixture
def world(make_caller, create_user, create_type, create_slot, create_booking):
    """An admin (who may reach every operation), a host with a type and a slot, a booking."""
    admin = make_caller(role="admin")
    host = create_user(role="staff")
    student = create_user(role="student")
    kind = create_type(hosts=(host.key,))
    slot = create_slot(host_key=host.key, type=kind, capacity=2)
    booking = create_booking(student.key, slot=slot)
    start = utcnow().replace(microsecond=0) + timedelta(days=1)
    return {"admin": admin, "host": host.key, "student": student.key, "type_id": kind.id,
            "slot_id": slot.id, "booking_id": booking.id,
            "start": start.isoformat(), "end": (start + timedelta(days=7)).isoformat(),
            "local": start.replace(tzinfo=None).isoformat()}


def _baselines(w: dict) -> dict[tuple[str, str], dict]:
    """A valid body (``json``) or query (``query``) of each operation that reads one; path
    parameters name the world's rows."""
    span = {"start": w["start"], "end": w["end"]}
    return {
        ("post", "/appointment-types"): {"json": {
            "name": "Hostile", "duration_minutes": 30, "timezone": "America/New_York",
            "hosts": [w["host"]], "capacity": 1, "max_active_per_student": 2}},
        ("patch", "/appointment-types/{type_id}"): {"json": {"capacity": 2}},
        ("post", "/appointment-types/preview"): {"json": {
            "start_local": w["local"], "timezone": "America/New_York",
            "rrule": "FREQ=WEEKLY;COUNT=3", "duration_minutes": 30, "exdates": [w["local"]],
            "count": 3}},
        ("get", "/slots"): {"query": {**span, "type": w["type_id"], "limit": 10}},
        ("post", "/slots"): {"json": {"type_id": w["type_id"], "host": w["host"], **span,
                                      "capacity": 1}},
        ("patch", "/slots/{slot_id}"): {"json": {**span, "capacity": 3}},
        ("post", "/slots/{slot_id}/cancel"): {"json": {"reason": "x"}},
        ("post", "/slots/{slot_id}/bookings"): {"json": {"student": w["student"]}},
        ("post", "/slots/{slot_id}/waitlist"): {"json": {"student": w["student"]}},
        ("post", "/series"): {"json": {
            "type_id": w["type_id"], "host": w["host"], "start_local": w["local"],
            "rrule": "FREQ=WEEKLY;COUNT=3", "exdates": [w["local"]], "capacity": 1}},
        ("patch", "/series/occurrences/{slot_id}"): {"json": {
            "scope": "this", "new_local_start": w["local"], "duration_minutes": 30,
            "capacity": 1}},
        ("get", "/bookings"): {"query": {**span, "limit": 10}},
        ("post", "/bookings/{booking_id}/cancel"): {"json": {"reason": "x"}},
        ("post", "/bookings/{booking_id}/reschedule"): {"json": {"slot_id": w["slot_id"]}},
        ("post", "/bookings/{booking_id}/attendance"): {"json": {"status": "attended"}},
        ("post", "/batch"): {"json": {"operations": [
            {"op": "book", "slot_id": w["slot_id"], "student": w["student"]}]}},
        ("get", "/conflicts"): {"query": span},
        ("post", "/conflicts/resolve"): {"json": {
            "action": "move", "slot_id": w["slot_id"], "booking_id": w["booking_id"],
            "target_slot_id": w["slot_id"]}},
        ("post", "/grants"): {"json": {"user": w["host"], "grant": "manage_all"}},
        ("post", "/tokens"): {"json": {"name": "t", "expires_in_days": 30}},
        ("get", "/me/notifications"): {"query": {"before": 5, "limit": 5}},
        ("put", "/me/preferences"): {"json": {"reminder_lead_minutes": [60]}},
        ("get", "/calendar/mine"): {"query": span},
        ("get", "/calendar/hosts/{host_key}"): {"query": span},
        ("get", "/exports/bookings"): {"query": {**span, "type_id": w["type_id"]}},
        ("get", "/exports/slots"): {"query": {**span, "type_id": w["type_id"]}},
        ("get", "/exports/attendance"): {"query": {**span, "type_id": w["type_id"]}},
        ("get", "/audit"): {"query": {"since": w["start"], "until": w["end"], "limit": 5}},
        ("put", "/system/settings/{key}"): {"json": {"value": 30}},
        ("get", "/system/notifications"): {"query": {"limit": 5}},
    }


def _path(template: str, w: dict) -> str:
    values = {"slot_id": w["slot_id"], "booking_id": w["booking_id"], "type_id": w["type_id"],
              "host_key": w["host"], "key": "horizon_days"}
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), 1)), template)


def _operations(document: dict):
    """(method, path, kinds of input) of every operation reading a body or a query."""
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            query = [p for p in operation.get("parameters", []) if p["in"] == "query"]
            body = operation.get("requestBody")
            if query or body:
                yield method, path.removeprefix(API), operation


def _schema(document: dict, schema: dict) -> dict:
    ref = schema.get("$ref")
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema


def _hostile_fields(document: dict, operation: dict):
    """(where, name, wrap, values): every integer and date-time field of the operation's body
    (``json``) or query, with the hostile values for it; ``wrap`` puts one in a list when
    the field holds a list."""
    fields = [("query", p["name"], p["schema"]) for p in operation.get("parameters", [])
              if p["in"] == "query"]
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body:
        fields += [("json", name, spec) for name, spec in
                   _schema(document, body["schema"]).get("properties", {}).items()]
    for where, name, spec in fields:
        wrap = spec.get("type") == "array"
        spec = spec.get("items", {}) if wrap else spec
        if spec.get("type") == "integer":
            values = BIG_INTEGERS + (["1.5", "9" * 40] if where == "query" else [])
        elif spec.get("format") == "date-time":
            values = BAD_TIMES + BAD_LOCAL_TIMES
        else:
            continue
        yield where, name, wrap, values


def _row_counts(app) -> dict[str, int]:
    engine = app.extensions["sis_appointments"].engine
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in metadata.sorted_tables}


def _refused(response, status=None) -> dict:
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    assert 400 <= response.status_code < 500, response.status_code
    if status is not None:
        assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == PROBLEM
    return response.get_json()


def _send(caller, method, path, *, json=None, query=None, **kw):
    return caller.client.open(API + path, method=method.upper(), json=json,
                              query_string=query, headers=caller._headers(kw.pop("headers",
                                                                                 None)), **kw)


def test_every_integer_and_time_field_refuses_what_it_cannot_hold(app, world):
    document = app.test_client().get(f"{API}/openapi.json").get_json()
    baselines = _baselines(world)
    operations = list(_operations(document))
    missing = [(m, p) for m, p, _ in operations if (m, p) not in baselines]
    assert not missing, f"give these operations a valid baseline here: {missing}"
    before, sent = _row_counts(app), 0
    for method, path, operation in operations:
        baseline = baselines[method, path]
        for where, name, wrap, values in _hostile_fields(document, operation):
            for value in values:
                request = {k: dict(v) for k, v in baseline.items()}
                request.setdefault(where, {})[name] = [value] if wrap else value
                response = _send(world["admin"], method, _path(path, world), **request)
                body = _refused(response, 422)
                assert name in body["errors"], (method, path, name, value, body)
                sent += 1
    assert sent > 250
    assert _row_counts(app) == before


def test_batch_operations_refuse_what_their_fields_cannot_hold(app, world):
    admin, before = world["admin"], _row_counts(app)
    slot_op = {"op": "create_slots", "type_id": world["type_id"], "host": world["host"],
               "start": world["start"], "end": world["end"]}
    cases = [({"op": "book", "slot_id": value}, "slot_id") for value in BIG_INTEGERS]
    cases += [({**slot_op, "capacity": value}, "capacity") for value in BIG_INTEGERS]
    cases += [({**slot_op, "type_id": value}, "type_id") for value in BIG_INTEGERS]
    cases += [({**slot_op, "start": value}, "start") for value in BAD_TIMES]
    cases += [({"op": "update_slot", "slot_id": world["slot_id"], "end": value}, "end")
              for value in BAD_TIMES]
    for operation, field in cases:
        body = _refused(admin.post("/batch", json={"operations": [operation]}), 422)
        assert field in body["errors"]["0"], (operation, body)
    assert _row_counts(app) == before


@pytest.mark.parametrize("key", ["horizon_days", "reminder_grace_minutes", "digest_hour",
                                 "reminder_lead_minutes"])
def test_settings_refuse_numbers_out_of_range(app, world, key):
    before = _row_counts(app)
    for value in [*BIG_INTEGERS, [2**63], [1.5], "9" * 40]:
        _refused(world["admin"].put(f"/system/settings/{key}", json={"value": value}), 422)
    assert _row_counts(app) == before


def test_bodies_too_deep_too_large_or_not_json_are_refused(app, world):
    document = app.test_client().get(f"{API}/openapi.json").get_json()
    admin, before = world["admin"], _row_counts(app)
    deep = "[" * 100_000 + "]" * 100_000
    nested = json.dumps({"reason": json.loads("[" * 40 + "]" * 40)})  # parses; too deep
    large = json.dumps({"reason": "x" * (MAX_BODY_BYTES + 1)})
    bodies = [(method, path) for method, path, operation in _operations(document)
              if "requestBody" in operation]
    assert len(bodies) >= 15
    for method, path in bodies:
        url = _path(path, world)
        for data, status, code in ((deep, 422, "body_too_deep"), (nested, 422, "body_too_deep"),
                                   (large, 413, "body_too_large")):
            response = _send(admin, method, url, data=data, content_type="application/json")
            assert _refused(response, status)["code"] == code, (method, path)
        plain = _send(admin, method, url, data=json.dumps(_baselines(world)[method, path]
                                                          ["json"]), content_type="text/plain")
        assert _refused(plain, 415)["code"] == "unsupported_media_type", (method, path)
    # a form post is no JSON either; an empty body is no body at all
    form = admin.client.post(f"{API}/bookings/{world['booking_id']}/cancel",
                             data={"reason": "x"}, headers=admin._headers(None))
    _refused(form, 415)
    assert _row_counts(app) == before
    archived = admin.client.post(f"{API}/appointment-types/{world['type_id']}/archive",
                                 headers=admin._headers(None))
    assert archived.status_code == 200


def test_unknown_addresses_and_methods_under_the_api_answer_problems(world):
    admin = world["admin"]
    for path in ("/nothing-here", "/slots/1/nothing", "/slots/99999999999", ""):
        assert _refused(admin.get(path), 404)["code"] == "not_found", path
    assert _refused(admin.client.get(API + "/nothing"), 404)  # anonymous too
    wrong = admin.delete("/slots")
    assert _refused(wrong, 405)["code"] == "method_not_allowed"
    assert set(wrong.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    # the host's own pages keep their own 404
    assert admin.client.get("/no-such-host-page").mimetype != PROBLEM


def test_conflicts_refuse_an_end_before_the_start(world):
    body = _refused(world["admin"].get("/conflicts", query_string={
        "start": world["end"], "end": world["start"]}), 422)
    assert "end" in body["errors"]


def test_grants_and_types_refuse_users_the_sis_does_not_know(app, world):
    admin, before = world["admin"], _row_counts(app)
    for user in ("424242", "nobody", "9" * 40, "\u00b2"):
        body = _refused(admin.post("/grants", json={"user": user, "grant": "manage_all"}), 422)
        assert body["code"] == "unknown_user" and user in body["detail"]
    body = _refused(admin.post("/grants", json={"user": world["host"],
                                                "grant": "manage_calendar",
                                                "target": "424242"}), 422)
    assert body["code"] == "unknown_user"
    created = {"name": "Ghost hours", "duration_minutes": 30, "timezone": "America/New_York",
               "hosts": [world["host"], "424242"]}
    assert _refused(admin.post("/appointment-types", json=created), 422)["code"] \
        == "unknown_user"
    changed = admin.patch(f"/appointment-types/{world['type_id']}", json={"hosts": ["424242"]})
    assert _refused(changed, 422)["code"] == "unknown_user"
    assert _row_counts(app) == before
    known = admin.post("/grants", json={"user": world["host"], "grant": "manage_all"})
    assert known.status_code == 201


def test_the_slot_in_a_booking_counts_its_waiting_students(app, world, session,
                                                           make_caller, create_slot):
    """A full slot with two waiting: the booking's slot says 2, on every way to read it."""
    slot = create_slot(capacity=1, host_key=world["host"])
    holder = make_caller()
    booked = holder.post(f"/slots/{slot.id}/bookings", json={})
    assert booked.status_code == 201
    assert booked.get_json()["slot"]["waitlist_length"] == 0
    for _ in range(2):
        assert make_caller().post(f"/slots/{slot.id}/waitlist", json={}).status_code == 201
    assert session.scalar(select(func.count()).select_from(WaitlistEntry)
                          .where(WaitlistEntry.slot_id == slot.id)) == 2
    booking_id = booked.get_json()["id"]
    assert holder.get(f"/bookings/{booking_id}").get_json()["slot"]["waitlist_length"] == 2
    listed = holder.get("/bookings").get_json()["items"]
    assert [b["slot"]["waitlist_length"] for b in listed] == [2]
    assert [b["slot"]["waitlist_length"] for b in holder.get("/me").get_json()["upcoming"]] \
        == [2]
    assert world["admin"].get(f"/slots/{slot.id}").get_json()["waitlist_length"] == 2


@pytest.mark.parametrize("page", ["/admin/appointments/reports",
                                  "/admin/appointments/audit"])
def test_pages_refuse_dates_at_the_ends_of_the_calendar(client, auth, create_user, page):
    """The staff pages' date filters: a form error, not a 500, near year 1 or 9999."""
    admin = create_user(role="admin")
    auth.login(admin.username)
    names = {"/admin/appointments/reports": ("start", "end"),
             "/admin/appointments/audit": ("since", "until")}[page]
    for day in ("0001-01-01", "9999-12-31"):
        for name in names:
            response = client.get(page, query_string={name: day})
            assert response.status_code in (200, 400, 422), (page, name, day)
            assert "between the years 1900 and 2200" in response.get_data(as_text=True)

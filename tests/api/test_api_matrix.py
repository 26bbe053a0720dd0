"""Every route of the OpenAPI document, called by every role, gets the expected status.

The expectations are listed per route; a route in the document without an entry fails the
test, so a new route cannot escape the permission check.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from api.conftest import API
from databases import BY_URL

from sis_appointments.models import utcnow

OK = {200, 201}
ROLES = ("anonymous", "student", "other_staff", "host", "admin")
# route -> {role: allowed statuses}; anonymous is always 401.
EXPECT = {
    ("get", "/me"): dict(student=OK, other_staff=OK, host=OK, admin=OK),
    ("get", "/appointment-types"): dict(student=OK, other_staff=OK, host=OK, admin=OK),
    ("post", "/appointment-types"): dict(student={403}, other_staff={403}, host=OK, admin=OK),
    ("get", "/appointment-types/{type_id}"): dict(student=OK, other_staff=OK, host=OK,
                                                   admin=OK),
    ("patch", "/appointment-types/{type_id}"): dict(student={403}, other_staff={403}, host=OK,
                                                     admin=OK),
    ("post", "/appointment-types/{type_id}/archive"): dict(student={403}, other_staff={403},
                                                           host=OK, admin=OK),
    ("post", "/appointment-types/preview"): dict(student=OK, other_staff=OK, host=OK, admin=OK),
    ("get", "/slots"): dict(student=OK, other_staff=OK, host=OK, admin=OK),
    ("post", "/slots"): dict(student={403}, other_staff={403}, host=OK, admin=OK),
    ("get", "/slots/{slot_id}"): dict(student=OK, other_staff=OK, host=OK, admin=OK),
    ("patch", "/slots/{slot_id}"): dict(student={403}, other_staff={403}, host=OK, admin=OK),
    ("post", "/slots/{slot_id}/cancel"): dict(student={403}, other_staff={403}, host=OK,
                                              admin=OK),
    ("post", "/slots/{slot_id}/bookings"): dict(student={409}, other_staff={403}, host={201},
                                                admin={201}),
    ("post", "/slots/{slot_id}/waitlist"): dict(student={409}, other_staff={403}, host={409},
                                                admin={409}),
    ("get", "/slots/{slot_id}/waitlist"): dict(student=OK, other_staff=OK, host=OK, admin=OK),
    ("delete", "/slots/{slot_id}/waitlist/{entry_id}"): dict(student={403}, other_staff={403},
                                                             host=OK, admin=OK),
    ("post", "/waitlist/{entry_id}/accept"): dict(student={404}, other_staff={404},
                                                  host={409}, admin={409}),
    ("post", "/waitlist/{entry_id}/decline"): dict(student={404}, other_staff={404},
                                                   host={409}, admin={409}),
    ("get", "/bookings"): dict(student=OK, other_staff=OK, host=OK, admin=OK),
    ("get", "/bookings/{booking_id}/history"): dict(student=OK, other_staff={404}, host=OK,
                                                    admin=OK),
    ("get", "/bookings/{booking_id}"): dict(student=OK, other_staff={404}, host=OK, admin=OK),
    ("post", "/bookings/{booking_id}/cancel"): dict(student=OK, other_staff={404}, host=OK,
                                                    admin=OK),
    ("post", "/bookings/{booking_id}/reschedule"): dict(student=OK, other_staff={404},
                                                        host=OK, admin=OK),
    ("post", "/bookings/{booking_id}/attendance"): dict(student={403}, other_staff={404},
                                                        host={422}, admin={422}),
    ("post", "/series"): dict(student={403}, other_staff={403}, host=OK, admin=OK),
    ("patch", "/series/occurrences/{slot_id}"): dict(student={403}, other_staff={403},
                                                      host={422}, admin={422}),
    ("post", "/batch"): dict(student=OK, other_staff=OK, host=OK, admin=OK),
    ("get", "/conflicts"): dict(student={403}, other_staff=OK, host=OK, admin=OK),
    ("post", "/conflicts/resolve"): dict(student={403}, other_staff={403}, host=OK, admin=OK),
    ("get", "/audit"): dict(student={403}, other_staff=OK, host=OK, admin=OK),
    ("get", "/grants"): dict(student={403}, other_staff={403}, host={403}, admin=OK),
    ("post", "/grants"): dict(student={403}, other_staff={403}, host={403}, admin=OK),
    ("delete", "/grants/{grant_id}"): dict(student={403}, other_staff={403}, host={403},
                                           admin={204}),
    ("get", "/tokens"): dict(student=OK, other_staff=OK, host=OK, admin=OK),
    ("post", "/tokens"): dict(student=OK, other_staff=OK, host=OK, admin=OK),
    ("delete", "/tokens/{token_id}"): dict(student={404}, other_staff={404}, host=OK, admin=OK),
    ("get", "/me/notifications"): dict(student=OK, other_staff=OK, host=OK, admin=OK),
    ("post", "/me/notifications/read"): dict(student=OK, other_staff=OK, host=OK, admin=OK),
    ("post", "/me/notifications/{notification_id}/read"): dict(
        student=OK, other_staff={404}, host={404}, admin={404}),
    ("get", "/me/preferences"): dict(student=OK, other_staff=OK, host=OK, admin=OK),
    ("put", "/me/preferences"): dict(student=OK, other_staff=OK, host=OK, admin=OK),
    ("get", "/calendar/bookings/{booking_id}"): dict(student=OK, other_staff={404}, host=OK,
                                                     admin=OK),
    ("get", "/calendar/mine"): dict(student=OK, other_staff=OK, host=OK, admin=OK),
    ("get", "/calendar/hosts/{host_key}"): dict(student={403}, other_staff={403}, host=OK,
                                                admin=OK),
    ("post", "/calendar/feed"): dict(student=OK, other_staff=OK, host=OK, admin=OK),
    ("delete", "/calendar/feed"): dict(student={204}, other_staff={204}, host={204},
                                       admin={204}),
    ("get", "/exports/bookings"): dict(student={403}, other_staff=OK, host=OK, admin=OK),
    ("get", "/exports/slots"): dict(student={403}, other_staff=OK, host=OK, admin=OK),
    ("get", "/exports/attendance"): dict(student={403}, other_staff=OK, host=OK, admin=OK),
    ("get", "/system/settings"): dict(student={403}, other_staff={403}, host={403}, admin=OK),
    ("put", "/system/settings/{key}"): dict(student={403}, other_staff={403}, host={403},
                                            admin=OK),
    ("get", "/system/notifications"): dict(student={403}, other_staff={403}, host={403},
                                           admin=OK),
    ("post", "/system/notifications/{notification_id}/retry"): dict(
        student={403}, other_staff={403}, host={403}, admin={409}),
    ("get", "/system/jobs"): dict(student={403}, other_staff={403}, host={403}, admin=OK),
}


def routes(client):
    document = client.get(f"{API}/openapi.json").get_json()
    return {(method, path.removeprefix(API)) for path, item in document["paths"].items()
            for method in item if method in ("get", "post", "patch", "put", "delete")}


def test_every_documented_route_has_expectations(client):
    assert routes(client) == set(EXPECT)


def test_the_groups_marked_for_admins_only_are_the_routes_only_admins_may_call(client):
    """The document's ``x-admins-only`` groups (which the staff console leaves out for
    staff) hold exactly the routes every other role is refused here."""
    document = client.get(f"{API}/openapi.json").get_json()
    marked = {tag["name"] for tag in document["tags"] if tag.get("x-admins-only")}
    in_marked = {(method, path.removeprefix(API)) for path, item in document["paths"].items()
                 for method, operation in item.items()
                 if isinstance(operation, dict) and marked & set(operation["tags"])}
    only_admins = {route for route, want in EXPECT.items()
                   if all(want[role] == {403} for role in ("student", "other_staff", "host"))
                   and want["admin"] != {403}}
    assert in_marked == only_admins and only_admins


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, worker_database):
    """This module's database (one per worker), not emptied per test: ``world`` keeps it."""
    return worker_database(request.param, "matrix").ensure_built().url


@pytest.fixture(scope="module")
def worlds():
    return {}


@pytest.fixture
def world(database_url, worlds, make_caller, anonymous, create_user):
    """One world per database, built once; a test that wrote to it (any INSERT, UPDATE or
    DELETE, even a token's last use) has it put back, row for row, before the next test."""
    database = BY_URL[database_url]
    if database_url not in worlds:
        database.reset()
        built = build_world(make_caller, anonymous, create_user)
        worlds[database_url] = built, database.snapshot()
    built, snapshot = worlds[database_url]
    if database.written:
        database.restore(snapshot)
    return built


def build_world(make_caller, anonymous, create_user):
    """A host with a type and slots, a student booked there, another waiting elsewhere."""
    callers = {"anonymous": anonymous, "student": make_caller(), "other_staff":
               make_caller(role="staff"), "host": make_caller(role="staff"),
               "admin": make_caller(role="admin")}
    host = callers["host"]
    start = (utcnow() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    type_id = host.post("/appointment-types", json={
        "name": "Advising", "duration_minutes": 30, "timezone": "UTC", "hosts": [host.key],
        "capacity": 3}).get_json()["id"]

    def slot(hours, capacity=None):
        body = {"type_id": type_id, "host": host.key, "start": (start + timedelta(
            hours=hours)).isoformat(), "end": (start + timedelta(hours=hours, minutes=30)
                                              ).isoformat(), "split": False}
        if capacity:
            body["capacity"] = capacity
        return host.post("/slots", json=body).get_json()[0]["id"]

    ids = {"type_id": type_id, "slot_id": slot(0), "other_slot": slot(2),
           "full_slot": slot(4, capacity=1)}
    ids["booking_id"] = callers["student"].post(
        f"/slots/{ids['slot_id']}/bookings").get_json()["id"]
    first, second = create_user().key, create_user().key
    host.post(f"/slots/{ids['full_slot']}/bookings", json={"student": first})
    ids["entry_id"] = host.post(f"/slots/{ids['full_slot']}/waitlist",
                                json={"student": second}).get_json()["id"]
    ids["students"] = [create_user().key for _ in ROLES]
    ids["token_id"] = host.get("/tokens").get_json()[0]["id"]
    ids["notification_id"] = _student_inapp_id(app_of(host), callers["student"].key)
    ids["key"] = "horizon_days"
    ids["host_key"] = host.key
    ids["grant_id"] = callers["admin"].post("/grants", json={
        "user": callers["other_staff"].key, "grant": "manage_calendar",
        "target": create_user(role="staff").key}).get_json()["id"]
    return callers, ids, start


def app_of(caller):
    return caller.client.application


def _student_inapp_id(app, student_key):
    """Deliver the in-app notifications written so far; the student's first one."""
    from sis_appointments.models import InAppNotification
    from sis_appointments.notify.delivery import deliver_due

    state = app.extensions["sis_appointments"]
    session = state.sessionmaker()
    with app.app_context():
        deliver_due(session, state.make_channels(), state.settings)
    session.rollback()
    found = session.scalars(InAppNotification.__table__.select().with_only_columns(
        InAppNotification.id).where(InAppNotification.user_key == student_key)).first()
    session.close()
    return found


def request_for(method, path, role, ids, start, callers):
    """Fill the path and a body that is valid for the route (so permissions decide)."""
    values = dict(ids)
    if path == "/slots/{slot_id}/waitlist/{entry_id}":
        values["slot_id"] = ids["full_slot"]
    if path == "/slots/{slot_id}/waitlist" and method == "post":
        values["slot_id"] = ids["slot_id"]
    url = path.format(**values)
    me = callers[role].key
    bodies = {
        "/appointment-types": {"name": "New", "duration_minutes": 20, "timezone": "UTC",
                               "hosts": [callers["host"].key]},
        "/appointment-types/{type_id}": {"description": "changed"},
        "/appointment-types/preview": {"start_local": "2031-01-06T09:00:00",
                                       "timezone": "UTC", "rrule": "FREQ=WEEKLY;COUNT=2",
                                       "duration_minutes": 30},
        "/slots": {"type_id": ids["type_id"], "host": callers["host"].key,
                   "start": (start + timedelta(days=1)).isoformat(),
                   "end": (start + timedelta(days=1, minutes=30)).isoformat(), "split": False},
        "/slots/{slot_id}": {"location": "Room 9"},
        "/slots/{slot_id}/bookings": {} if role == "student" else {
            "student": ids["students"][ROLES.index(role)]},
        "/slots/{slot_id}/waitlist": {} if role == "student" else {
            "student": ids["students"][ROLES.index(role)]},
        "/bookings/{booking_id}/reschedule": {"slot_id": ids["other_slot"]},
        "/bookings/{booking_id}/attendance": {"status": "attended"},
        "/tokens": {"name": "another"},
        "/grants": {"user": callers["host"].key, "grant": "manage_all"},
        "/series": {"type_id": ids["type_id"], "host": callers["host"].key,
                    "start_local": (start + timedelta(days=40)).replace(tzinfo=None)
                    .isoformat(), "rrule": "FREQ=WEEKLY;COUNT=2"},
        "/series/occurrences/{slot_id}": {"scope": "all", "location": "Room 3"},
        "/batch": {"mode": "best_effort", "operations": [
            {"op": "book", "slot_id": ids["other_slot"]}]},
        "/me/preferences": {"events": {"booking_created": ["inapp"]}},
        "/system/settings/{key}": {"value": 90},
        "/conflicts/resolve": {"action": "override", "kind": "host_overlap",
                               "subject": f"{ids['slot_id']},{ids['other_slot']}",
                               "reason": "co-taught"},
    }
    query = {}
    if (method, path) in (("get", "/slots"), ("get", "/conflicts")) or path.startswith(
            "/exports/"):
        query = {"start": start.isoformat(), "end": (start + timedelta(days=2)).isoformat()}
    return url, (bodies.get(path, {}) if method in ("post", "patch", "put") else None), \
        query, me


@pytest.mark.parametrize("role", ROLES[1:])
@pytest.mark.parametrize("route", sorted(EXPECT), ids=lambda r: f"{r[0]} {r[1]}")
def test_route_by_role(route, role, world):
    """Each route and role on the same world as it was built (see ``world``), so one
    route's or role's change does not decide another's."""
    callers, ids, start = world
    method, path = route
    for who in ("anonymous", role):
        url, body, query, _ = request_for(method, path, who, ids, start, callers)
        kwargs = {"query_string": query} if query else {}
        if body is not None:
            kwargs["json"] = body
        response = getattr(callers[who], method)(url, **kwargs)
        expected = {401} if who == "anonymous" else EXPECT[route][role]
        assert response.status_code in expected, (who, response.get_json())
        assert response.mimetype in ("application/json", "application/problem+json",
                                     "text/calendar", "text/csv") or response.status_code == 204

"""Rate limits: per user on booking writes, per token on API use; 429 with Retry-After."""

from __future__ import annotations

from api.conftest import Caller
from api.test_api_resources import make_slot, make_type, soon


def test_booking_writes_are_limited_per_user(make_app, session, create_user):
    from sis_appointments.contract import SisUser
    from sis_appointments.services.accounts import tokens

    app = make_app(SIS_APPOINTMENTS_RATE_LIMIT_WRITES="2/minute")
    users = {role: create_user(role=role) for role in ("staff", "student")}
    callers = {}
    for role, user in users.items():
        actor = SisUser(key=user.key, name=user.name, roles=frozenset({role}))
        callers[role] = Caller(app.test_client(),
                               tokens.create(session, actor=actor, name="t", scope="write")[1],
                               user.key)
    staff, student = callers["staff"], callers["student"]
    type_id = make_type(staff, capacity=5)["id"]
    slots = [make_slot(staff, type_id, soon(2, n * 2)) for n in range(3)]
    assert student.post(f"/slots/{slots[0]['id']}/bookings").status_code == 201
    assert student.post(f"/slots/{slots[1]['id']}/bookings").status_code == 201
    limited = student.post(f"/slots/{slots[2]['id']}/bookings")
    assert limited.status_code == 429
    assert limited.mimetype == "application/problem+json"
    assert int(limited.headers["Retry-After"]) > 0
    assert student.get("/bookings").status_code == 200, "reading is not a booking write"
    assert staff.post(f"/slots/{slots[2]['id']}/bookings",
                      json={"student": users["student"].key}).status_code in (201, 409)


def test_token_use_is_limited_per_token(make_app, session, create_user):
    from sis_appointments.contract import SisUser
    from sis_appointments.services.accounts import tokens

    app = make_app(SIS_APPOINTMENTS_RATE_LIMIT_TOKENS="3/minute")
    user = create_user()
    actor = SisUser(key=user.key, name=user.name, roles=frozenset({"student"}))
    first = Caller(app.test_client(), tokens.create(session, actor=actor, name="a")[1])
    second = Caller(app.test_client(), tokens.create(session, actor=actor, name="b")[1])
    assert [first.get("/me").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert second.get("/me").status_code == 200

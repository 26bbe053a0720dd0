"""Slot range answers are cached, and a committed change is never hidden by the cache."""

from __future__ import annotations

from api.test_api_resources import iso, make_slot, make_type, soon
from helpers import eventually


def window():
    return {"start": iso(soon(0)), "end": iso(soon(6))}


def test_a_booking_shows_in_the_next_range_query(make_caller):
    staff = make_caller(role="staff")
    slot = make_slot(staff, make_type(staff)["id"], soon(2))
    first = staff.get("/slots", query_string=window()).get_json()
    assert first["items"][0]["remaining"] == 1
    assert staff.get("/slots", query_string=window()).get_json() == first
    make_caller().post(f"/slots/{slot['id']}/bookings")
    after = staff.get("/slots", query_string=window()).get_json()
    assert after["items"][0]["remaining"] == 0


def test_new_slots_show_at_once(make_caller):
    staff = make_caller(role="staff")
    type_id = make_type(staff)["id"]
    assert staff.get("/slots", query_string=window()).get_json()["items"] == []
    make_slot(staff, type_id, soon(3))
    assert len(staff.get("/slots", query_string=window()).get_json()["items"]) == 1


def test_answers_are_served_from_the_cache(app, make_caller, session):
    from sqlalchemy import update

    from sis_appointments.models import Slot

    staff = make_caller(role="staff")
    slot = make_slot(staff, make_type(staff)["id"], soon(2), location="Room A")
    assert staff.get("/slots", query_string=window()).get_json()["items"][0]["location"] == \
        "Room A"
    # A change behind the services' back (no event) is not seen until the next event.
    session.execute(update(Slot).where(Slot.id == slot["id"]).values(location="Room Z"))
    session.commit()
    assert staff.get("/slots", query_string=window()).get_json()["items"][0]["location"] == \
        "Room A"
    staff.patch(f"/slots/{slot['id']}", json={"capacity": 2})
    assert staff.get("/slots", query_string=window()).get_json()["items"][0]["location"] == \
        "Room Z"


def test_the_cache_in_redis(make_app, redis_url, session, create_user):
    from api.conftest import Caller

    from sis_appointments.contract import SisUser
    from sis_appointments.services.accounts import tokens

    app = make_app(SIS_APPOINTMENTS_REDIS_URL=redis_url)
    callers = []
    for role in ("staff", "student"):
        user = create_user(role=role)
        actor = SisUser(key=user.key, name=user.name, roles=frozenset({role}))
        secret = tokens.create(session, actor=actor, name="t", scope="write")[1]
        callers.append(Caller(app.test_client(), secret, user.key))
    staff, student = callers
    slot = make_slot(staff, make_type(staff)["id"], soon(2))
    assert staff.get("/slots", query_string=window()).get_json()["items"][0]["remaining"] == 1
    student.post(f"/slots/{slot['id']}/bookings")
    assert staff.get("/slots", query_string=window()).get_json()["items"][0]["remaining"] == 0


def test_a_token_revoked_on_one_worker_stops_at_once_on_another_sharing_redis(
        make_app, redis_url, session, create_user):
    from api.conftest import Caller

    from sis_appointments.contract import SisUser
    from sis_appointments.services.accounts import tokens

    one, two = (make_app(SIS_APPOINTMENTS_REDIS_URL=redis_url) for _ in range(2))
    user = create_user(role="staff")
    actor = SisUser(key=user.key, name=user.name, roles=frozenset({"staff"}))
    row, secret = tokens.create(session, actor=actor, name="t", scope="write")
    on_one, on_two = Caller(one.test_client(), secret), Caller(two.test_client(), secret)
    assert on_one.get("/me").status_code == 200  # resolved, and trusted for a while
    assert on_two.delete(f"/tokens/{row.id}").status_code == 200
    assert on_two.get("/me").status_code == 401  # in the revoking process, at once
    # in the other, as soon as Redis's message arrives (in milliseconds, not TOKEN_TTL)
    assert eventually(lambda: on_one.get("/me").status_code == 401, seconds=1.0)


def test_a_change_through_one_worker_reaches_the_cache_of_another_sharing_redis(
        make_app, redis_url, session, create_user):
    from api.conftest import Caller

    from sis_appointments.contract import SisUser
    from sis_appointments.services.accounts import tokens

    one, two = (make_app(SIS_APPOINTMENTS_REDIS_URL=redis_url) for _ in range(2))
    callers = {}
    for role in ("staff", "student"):
        user = create_user(role=role)
        actor = SisUser(key=user.key, name=user.name, roles=frozenset({role}))
        secret = tokens.create(session, actor=actor, name="t", scope="write")[1]
        callers[role] = (Caller(one.test_client(), secret, user.key),
                         Caller(two.test_client(), secret, user.key))
    staff_one, staff_two = callers["staff"]
    slot = make_slot(staff_one, make_type(staff_one)["id"], soon(2))
    remaining = lambda caller: caller.get(  # noqa: E731
        "/slots", query_string=window()).get_json()["items"][0]["remaining"]
    assert eventually(lambda: remaining(staff_two) == 1, seconds=1.0)
    assert remaining(staff_two) == 1  # cached on two now
    callers["student"][0].post(f"/slots/{slot['id']}/bookings")  # booked through one
    assert remaining(staff_one) == 0
    assert eventually(lambda: remaining(staff_two) == 0, seconds=1.0)


def test_without_redis_a_change_behind_the_back_shows_within_the_local_cache_time(
        app, make_caller, session, monkeypatch):
    """Several processes without Redis cannot hear each other's changes: what a process
    cached ages out after SIS_APPOINTMENTS_LOCAL_CACHE_SECONDS (a change no event announced
    stands for one made in another process)."""
    from sqlalchemy import update

    from sis_appointments.models import Slot

    monkeypatch.setattr(app.extensions["sis_appointments"].cache, "_local_seconds", 0.3)
    staff = make_caller(role="staff")
    slot = make_slot(staff, make_type(staff)["id"], soon(2), location="Room A")
    location = lambda: staff.get(  # noqa: E731
        "/slots", query_string=window()).get_json()["items"][0]["location"]
    assert location() == "Room A"
    session.execute(update(Slot).where(Slot.id == slot["id"]).values(location="Room Z"))
    session.commit()
    assert eventually(lambda: location() == "Room Z", seconds=2.0)


def test_settings_are_read_once_per_process_until_one_changes(app, make_caller):
    from helpers import count_statements

    from sis_appointments.services.platform import settings

    admin = make_caller(role="admin")
    factory = app.extensions["sis_appointments"].sessionmaker
    with app.app_context():
        assert settings.get(factory(), "horizon_days") == settings.DEFAULTS["horizon_days"]
        with count_statements(app) as seen:
            assert settings.get(factory(), "horizon_days") == settings.DEFAULTS["horizon_days"]
        assert not [s for s in seen if "appt_setting" in s]  # kept from the first read
    assert admin.put("/system/settings/horizon_days", json={"value": 30}).status_code == 200
    with app.app_context():
        assert settings.get(factory(), "horizon_days") == 30  # the change, at once

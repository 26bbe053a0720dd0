"""Idempotency-Key replay and concurrent requests through the API."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from api.conftest import Caller
from api.test_api_resources import make_slot, make_type
from sqlalchemy import func, select

from sis_appointments.models import Booking, utcnow


def start():
    return (utcnow() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)


def concurrently(calls):
    gate = threading.Event()

    def run(call):
        gate.wait(5)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        threading.Event().wait(0.1)
        gate.set()
        return [f.result() for f in futures]


def test_replayed_post_returns_the_first_response(make_caller, session):
    staff = make_caller(role="staff")
    slot = make_slot(staff, make_type(staff, capacity=3)["id"], start())
    ana = make_caller()
    headers = {"Idempotency-Key": "book-42"}
    first = ana.post(f"/slots/{slot['id']}/bookings", json={"reason": "x"}, headers=headers)
    again = ana.post(f"/slots/{slot['id']}/bookings", json={"reason": "x"}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other_body = ana.post(f"/slots/{slot['id']}/bookings", json={"reason": "y"},
                          headers=headers)
    assert (other_body.status_code, other_body.get_json()["code"]) == (
        422, "idempotency_key_reused")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Booking)) == 1


def test_keys_belong_to_their_user(make_caller):
    staff = make_caller(role="staff")
    slot = make_slot(staff, make_type(staff, capacity=3)["id"], start())
    headers = {"Idempotency-Key": "same"}
    ana, ben = make_caller(), make_caller()
    assert ana.post(f"/slots/{slot['id']}/bookings", headers=headers).status_code == 201
    theirs = ben.post(f"/slots/{slot['id']}/bookings", headers=headers)
    assert theirs.status_code == 201 and theirs.get_json()["student"] == ben.key


@pytest.mark.own_database  # requests on threads commit: a fresh database (conftest)
def test_the_same_post_replayed_concurrently_books_once(make_caller, app, session):
    staff = make_caller(role="staff")
    slot = make_slot(staff, make_type(staff, capacity=5)["id"], start())
    ana = make_caller()
    callers = [Caller(app.test_client(), ana.token) for _ in range(8)]
    responses = concurrently([
        (lambda c=c: c.post(f"/slots/{slot['id']}/bookings",
                            headers={"Idempotency-Key": "storm"})) for c in callers])
    codes = sorted(r.status_code for r in responses)
    assert set(codes) <= {201, 409} and 201 in codes
    for r in responses:
        if r.status_code == 409:
            assert r.get_json()["code"] == "idempotency_in_progress"
            assert r.headers["Retry-After"] == "1"
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Booking)) == 1
    replay = callers[0].post(f"/slots/{slot['id']}/bookings",
                             headers={"Idempotency-Key": "storm"})
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"


@pytest.mark.own_database  # requests on threads commit: a fresh database (conftest)
def test_two_clients_race_for_the_last_seat(make_caller, app, session):
    staff = make_caller(role="staff")
    slot = make_slot(staff, make_type(staff, capacity=1)["id"], start())
    ana, ben = make_caller(), make_caller()
    responses = concurrently([lambda: ana.post(f"/slots/{slot['id']}/bookings"),
                              lambda: ben.post(f"/slots/{slot['id']}/bookings")])
    assert sorted(r.status_code for r in responses) == [201, 409]
    lost = next(r for r in responses if r.status_code == 409).get_json()
    assert lost["code"] == "slot_full" and lost["state"]["remaining"] == 0


def test_a_key_whose_work_committed_without_an_answer_says_so_after_its_lease(
        make_caller, session):
    from datetime import timedelta

    from sis_appointments.models import IdempotencyKey, utcnow
    from sis_appointments.services.platform import idempotency

    staff = make_caller(role="staff")
    slot = make_slot(staff, make_type(staff, capacity=3)["id"], start())
    ana = make_caller()
    path = f"/slots/{slot['id']}/bookings"
    wanted = idempotency.request_of(ana.key, "k", "POST", "/api/appointments/v1" + path, b"{}")
    row = IdempotencyKey(user_key=ana.key, key="k", method="POST", path=wanted.path,
                         body_hash=wanted.body_hash, created_at=utcnow())
    session.add(row)
    session.commit()
    running = ana.post(path, json={}, headers={"Idempotency-Key": "k"})
    assert (running.status_code, running.get_json()["code"]) == (409, "idempotency_in_progress")
    row.created_at = utcnow() - idempotency.LEASE - timedelta(seconds=1)
    session.commit()
    lost = ana.post(path, json={}, headers={"Idempotency-Key": "k"})
    assert (lost.status_code, lost.get_json()["code"]) == (409, "idempotency_completed")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Booking)) == 0

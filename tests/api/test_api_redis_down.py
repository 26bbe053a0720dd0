"""Redis is a cache, a rate-limit store and a message bus, never the source of truth: with
it unreachable the API still answers (rate limits counted per process, the slot cache
bypassed, live events dropped with a warning), and it is used again once it is back."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest
from api.conftest import Caller
from api.test_api_resources import iso, make_slot, make_type, soon

from sis_appointments.contract import SisUser
from sis_appointments.services.accounts import tokens


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def callers(app, session, create_user) -> tuple[Caller, Caller]:
    made = []
    for role in ("staff", "student"):
        user = create_user(role=role)
        actor = SisUser(key=user.key, name=user.name, roles=frozenset({role}))
        _, secret = tokens.create(session, actor=actor, name="tests", scope="write")
        made.append(Caller(app.test_client(), secret, user.key))
    return made[0], made[1]


def still_works(staff: Caller, student: Caller, hours: float) -> None:
    """A token's calls, a slot range and an API booking all answer."""
    assert student.get("/me").status_code == 200
    slot = make_slot(staff, make_type(staff)["id"], soon(hours))
    window = {"start": iso(soon(hours - 1)), "end": iso(soon(hours + 1))}
    assert staff.get("/slots", query_string=window).status_code == 200
    booked = student.post(f"/slots/{slot['id']}/bookings")
    assert booked.status_code == 201, booked.get_json()
    after = staff.get("/slots", query_string=window).get_json()["items"]
    assert [s["remaining"] for s in after if s["id"] == slot["id"]] == [0]  # no stale cache


def test_the_api_answers_with_redis_at_a_closed_port(make_app, session, create_user, caplog):
    app = make_app(SIS_APPOINTMENTS_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    staff, student = callers(app, session, create_user)
    still_works(staff, student, 3)
    assert "Redis" in caplog.text  # said, not silent


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
def test_redis_stopped_and_restarted_mid_run(make_app, session, create_user, tmp_path):
    port = free_port()

    def start():
        server = subprocess.Popen(["redis-server", "--port", str(port), "--save", "",
                                   "--appendonly", "no", "--dir", str(tmp_path)],
                                  stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                return server
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    server = start()
    try:
        app = make_app(SIS_APPOINTMENTS_REDIS_URL=f"redis://127.0.0.1:{port}/0")
        staff, student = callers(app, session, create_user)
        still_works(staff, student, 3)
        server.terminate()
        server.wait(10)
        still_works(staff, student, 5)
        server = start()
        limits = app.extensions["sis_appointments"].limits
        limits.retry_at = 0  # the next request tries Redis again at once
        still_works(staff, student, 7)
        assert limits.shared_ok  # counted in Redis again
    finally:
        server.terminate()
        server.wait(10)

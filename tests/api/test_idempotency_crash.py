"""A process killed between claiming an Idempotency-Key and committing its work leaves no
key and no booking: the repeat books, once, and later repeats replay it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from api.conftest import Caller
from sqlalchemy import func, select

from sis_appointments.models import Booking, IdempotencyKey, Slot

pytestmark = pytest.mark.own_database  # another process commits: a fresh database

# The booking request, in a process that dies (SIGKILL) inside the booking's transaction:
# after the key is claimed and the seat taken, while the SIS is asked for busy times.
DYING = textwrap.dedent("""
    import os, signal, sys
    from demo_sis import create_app
    from sis_appointments import hookimpl

    class Dies:
        @hookimpl
        def appointments_busy_times(self, student_key, start, end):
            os.kill(os.getpid(), signal.SIGKILL)

    app = create_app({"TESTING": True, "SECRET_KEY": "test",
                      "SQLALCHEMY_DATABASE_URI": sys.argv[1]})
    app.extensions["sis_plugins"].register(Dies())
    app.test_client().post(f"/api/appointments/v1/slots/{sys.argv[2]}/bookings", json={},
                           headers={"Authorization": f"Bearer {sys.argv[3]}",
                                    "Idempotency-Key": "once"})
    print("not killed")
""")


def test_a_killed_request_leaves_its_key_free_and_the_repeat_books_once(
        app, database_url, session, make_caller, create_slot):
    slot = create_slot(capacity=2)
    student = make_caller()
    died = subprocess.run([sys.executable, "-c", DYING, database_url, str(slot.id),
                           student.token], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "SIS_DISABLE_PLUGIN_AUTOLOAD": ""})
    assert died.returncode == -9, died.stdout + died.stderr
    session.rollback()
    assert session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0
    assert session.scalar(select(func.count()).select_from(Booking)) == 0

    headers = {"Idempotency-Key": "once"}
    first = student.post(f"/slots/{slot.id}/bookings", json={}, headers=headers)
    again = Caller(app.test_client(), student.token).post(f"/slots/{slot.id}/bookings",
                                                          json={}, headers=headers)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Booking)) == 1
    assert session.get(Slot, slot.id).booked == 1


# Any idempotent POST, in a process that dies (SIGKILL) at the last moment of its write
# transaction: the key claimed and the work flushed, just before COMMIT.
DYING_AT_COMMIT = textwrap.dedent("""
    import json, os, signal, sys
    from sqlalchemy import event
    from sqlalchemy.orm import Session
    from demo_sis import create_app

    @event.listens_for(Session, "before_commit")
    def die(session):
        if getattr(session, "claiming", None):  # an Idempotency-Key rides on this commit
            os.kill(os.getpid(), signal.SIGKILL)

    app = create_app({"TESTING": True, "SECRET_KEY": "test",
                      "SQLALCHEMY_DATABASE_URI": sys.argv[1]})
    answer = app.test_client().post("/api/appointments/v1" + sys.argv[2],
                                    json=json.loads(sys.argv[3]),
                                    headers={"Authorization": f"Bearer {sys.argv[4]}",
                                             "Idempotency-Key": "once"})
    print("not killed", answer.status_code, answer.get_data(as_text=True))
""")


@pytest.mark.parametrize("operation", ["create type", "create slot", "book", "join waitlist",
                                       "reschedule", "create token"])
def test_every_idempotent_post_killed_before_commit_runs_afresh_once(
        app, database_url, session, make_caller, create_slot, operation):
    from datetime import timedelta

    from api.test_api_resources import iso, soon

    from sis_appointments.models import ApiToken, AppointmentType, WaitlistEntry

    staff, student = make_caller(role="staff"), make_caller()
    full = create_slot(capacity=1, start=soon(70))
    session.add(Booking(slot_id=full.id, student_key="someone"))
    full.booked = 1
    free, other = create_slot(capacity=2), create_slot(capacity=2, start=soon(50))
    session.commit()
    held = student.post(f"/slots/{free.id}/bookings", json={}).get_json()["id"]
    start = soon(30)
    cases = {  # caller, path, body, what it makes: (model, count before, count after)
        "create type": (staff, "/appointment-types",
                        {"name": "Crash", "duration_minutes": 30, "hosts": [staff.key],
                         "timezone": "UTC"}, AppointmentType),
        "create slot": (staff, "/slots", {"type_id": free.type_id, "host": free.host_key,
                                          "start": iso(start), "split": False,
                                          "end": iso(start + timedelta(minutes=30))}, Slot),
        "book": (student, f"/slots/{other.id}/bookings", {}, Booking),
        "join waitlist": (student, f"/slots/{full.id}/waitlist", {}, WaitlistEntry),
        "reschedule": (student, f"/bookings/{held}/reschedule", {"slot_id": other.id},
                       None),
        "create token": (student, "/tokens", {"name": "laptop"}, ApiToken),
    }
    caller, path, body, made = cases[operation]

    def count():
        session.rollback()
        if made is None:  # a reschedule makes nothing: where the booking is tells
            return session.get(Booking, held).slot_id
        return session.scalar(select(func.count()).select_from(made))

    before = count()
    died = subprocess.run([sys.executable, "-c", DYING_AT_COMMIT, database_url, path,
                           json.dumps(body), caller.token], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "SIS_DISABLE_PLUGIN_AUTOLOAD": ""})
    assert died.returncode == -9, died.stdout + died.stderr
    assert count() == before  # nothing of it stayed
    assert session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0

    headers = {"Idempotency-Key": "once"}
    first = caller.post(path, json=body, headers=headers)
    again = Caller(app.test_client(), caller.token).post(path, json=body, headers=headers)
    assert first.status_code in (200, 201), first.get_json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert (again.status_code, again.get_json()) == (first.status_code, first.get_json())
    after = count()
    assert after == (other.id if made is None else before + 1)  # once

"""A process killed between claiming an Idempotency-Key and committing its work leaves no
key and no booking: the repeat books, once, and later repeats replay it."""

from __future__ import annotations

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

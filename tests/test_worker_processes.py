"""Two `flask appointments worker` processes at once: every job runs once per interval and
every notification is delivered once (the in-app channel: one row per notification)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sis_appointments.models import InAppNotification, JobLease, Notification, utcnow

# Worker processes commit to the database: a fresh one each (conftest).
pytestmark = pytest.mark.own_database

FLASK = str(Path(sys.executable).with_name("flask"))


def test_two_worker_processes_run_each_job_once(app, database_url, session, tmp_path,
                                                create_user):
    users = [create_user().key for _ in range(20)]
    now = utcnow()
    session.add_all([Notification(event="booking_created", recipient_key=users[n % 20],
                                  channel="inapp", payload={}, dedupe_key=f"k{n}",
                                  status="pending", attempts=0, next_attempt_at=now)
                     for n in range(300)])
    session.commit()
    env = {**os.environ, "DEMO_SIS_DATABASE_URL": database_url, "FLASK_APP": "demo_sis",
           "PYTHONUNBUFFERED": "1"}
    logs = [tmp_path / f"worker{n}.log" for n in range(2)]
    workers = [subprocess.Popen([FLASK, "--app", "demo_sis", "appointments", "worker"],
                                env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                                start_new_session=True) for log in logs]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            session.rollback()
            done = session.scalar(select(func.count()).select_from(Notification).where(
                Notification.status == "sent"))
            ran = session.scalar(select(func.count()).select_from(JobLease).where(
                JobLease.last_finished_at.is_not(None)))
            if done == 300 and ran == 7:  # every job has run once
                break
            time.sleep(0.5)
        time.sleep(6)  # long enough for a second 5-second tick of the delivery job
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=20)
    text = [log.read_text() for log in logs]
    once = ("extend_horizon", "digest", "reminders", "expire_offers", "reconcile_waitlists",
            "prune")
    runs = {name: sum(len(re.findall(rf" job {name}: ", t)) for t in text) for name in once}
    assert runs == dict.fromkeys(once, 1), text
    assert sum(t.count(" job deliver: ") for t in text) >= 2, "the 5-second job ran again"
    session.rollback()
    assert session.scalar(select(func.count()).select_from(InAppNotification)) == 300
    assert session.scalar(select(func.count()).select_from(Notification).where(
        Notification.status == "sent")) == 300


def test_run_job_runs_a_job_now_once_per_interval(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["appointments", "run-job", "reminders"])
    assert first.exit_code == 0 and first.output.strip() == "reminders: 0 reminders"
    again = runner.invoke(args=["appointments", "run-job", "reminders"])
    assert "not run (another process holds it, or it ran recently)" in again.output
    wrong = runner.invoke(args=["appointments", "run-job", "everything"])
    assert wrong.exit_code == 2 and "choose from deliver, reminders" in wrong.output

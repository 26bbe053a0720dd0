"""The background jobs and the lease that lets only one process run each at a time.

APScheduler calls every job on an interval in every process that runs jobs (the
``flask appointments worker`` command, or web workers with SIS_APPOINTMENTS_RUN_JOBS).
A run first takes the job's lease in the database: one conditional UPDATE of its
``appt_job`` row, which succeeds for one process only while the lease is held and once
per interval, so with any number of processes each job runs once per interval.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sis_appointments.contract import SisUser
from sis_appointments.models import JobLease, utcnow
from sis_appointments.notify import delivery
from sis_appointments.services.accounts import access
from sis_appointments.services.notifications import reminders
from sis_appointments.services.platform import idempotency, tx
from sis_appointments.services.scheduling import series, waitlist

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable  # run(state, session) -> a short description of what it did


def _deliver(state, session: Session) -> str:
    total: Counter = Counter()
    while True:  # drain: a run sends everything due, a claim at a time
        counts = delivery.deliver_due(session, state.make_channels(), state.settings,
                                      emit=state.emit)
        total.update(counts)
        if sum(counts.values()) < delivery.BATCH:
            return ", ".join(f"{v} {k}" for k, v in sorted(total.items())) or "nothing due"


JOBS = {job.name: job for job in (
    Job("deliver", timedelta(seconds=5), _deliver),
    Job("reminders", timedelta(minutes=1),
        lambda state, s: f"{reminders.queue_reminders(s)} reminders"),
    Job("expire_offers", timedelta(minutes=1),
        lambda state, s: f"{waitlist.expire_offers(s)} offers expired"),
    Job("reconcile_waitlists", timedelta(minutes=5),
        lambda state, s: f"{waitlist.reconcile(s)} waiting places moved on"),
    Job("extend_horizon", timedelta(hours=6),
        lambda state, s: f"{series.extend_all(s)} slots created"),
    Job("prune", timedelta(hours=24),
        lambda state, s: f"{delivery.prune(s)} delivered notifications and "
                         f"{idempotency.prune(s)} idempotency keys forgotten"),
    Job("digest", timedelta(hours=1), lambda state, s: "{} digests".format(
        reminders.queue_digests(
            s, default_zone=state.settings["SIS_APPOINTMENTS_DEFAULT_TIMEZONE"]))),
)}


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def acquire(session: Session, name: str, holder: str, now: datetime) -> bool:
    """Take ``name``'s lease if free and the job is due; True for exactly one taker."""
    job = JOBS[name]
    with tx.transaction(session):
        if session.get(JobLease, name) is None:
            try:
                with session.begin_nested():
                    session.add(JobLease(name=name))
            except IntegrityError:
                pass
        taken = session.execute(update(JobLease).where(
            JobLease.name == name,
            or_(JobLease.locked_until.is_(None), JobLease.locked_until < now),
            or_(JobLease.last_started_at.is_(None),
                JobLease.last_started_at <= now - job.every * 0.8),
        ).values(holder=holder, locked_until=now + max(job.every * 4, timedelta(minutes=2)),
                 last_started_at=now).execution_options(synchronize_session=False)).rowcount
    return taken == 1


def release(session: Session, name: str, holder: str, result: str) -> None:
    with tx.transaction(session):
        session.execute(update(JobLease).where(JobLease.name == name, JobLease.holder == holder)
                        .values(locked_until=None, last_finished_at=utcnow(),
                                last_result=result[:1000])
                        .execution_options(synchronize_session=False))


def run_job(state, name: str, holder: str, now: datetime | None = None) -> str | None:
    """Run job ``name`` if this process gets its lease; returns its result, or None."""
    session = state.sessionmaker()
    try:
        if not acquire(session, name, holder, now or utcnow()):
            return None
        try:
            result = JOBS[name].run(state, session)
        except Exception as exc:
            log.exception("job %s failed", name)
            result = f"failed: {type(exc).__name__}: {exc}"
        release(session, name, holder, result)
        return result
    finally:
        session.close()


def status(session: Session, *, actor: SisUser) -> list[dict]:
    """Each job's interval and last run (for admins)."""
    access.require_admin(actor, "see background jobs")
    leases = {j.name: j for j in session.scalars(select(JobLease))}
    return [{"name": name, "every_seconds": int(job.every.total_seconds()),
             "running": bool(leases.get(name) and leases[name].locked_until),
             "last_started_at": getattr(leases.get(name), "last_started_at", None),
             "last_finished_at": getattr(leases.get(name), "last_finished_at", None),
             "last_result": getattr(leases.get(name), "last_result", None)}
            for name, job in JOBS.items()]


def scheduler(state, app, *, blocking: bool = False):
    """An APScheduler scheduler running every job in ``app``'s context."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    holder = holder_name()
    sched = (BlockingScheduler if blocking else BackgroundScheduler)(timezone="UTC")

    def tick(name: str) -> None:
        with app.app_context():
            result = run_job(state, name, holder)
        if result is not None:
            log.info("job %s: %s", name, result)

    for name, job in JOBS.items():
        sched.add_job(tick, "interval", args=[name], id=name, seconds=job.every.total_seconds(),
                      next_run_time=utcnow(), max_instances=1, coalesce=True)
    return sched

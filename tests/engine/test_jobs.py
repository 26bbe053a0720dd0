"""Two job runners at once: each job runs once per interval, each notification is sent
once, and a runner that died holding notifications leaves them to be sent after its lease."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from types import SimpleNamespace

import pytest
from engine.actors import NOW
from sqlalchemy import func, select

from sis_appointments import jobs
from sis_appointments.database import make_engine, make_sessionmaker
from sis_appointments.models import JobLease, Notification, metadata, utcnow
from sis_appointments.notify import delivery
from sis_appointments.plugin import sis_object_manager

# Runners with engines of their own commit from threads: a fresh database each (conftest).
pytestmark = pytest.mark.own_database

RUNNERS = 2


class Recorder:
    """A channel shared by both runners, recording every send (thread-safe append)."""

    def __init__(self, name, log):
        self.name, self.log = name, log

    def send(self, d):
        self.log.append(d.notification.dedupe_key)


@pytest.fixture
def runners(database_url, fake_host):
    """Two runners, each with its own engine and pool, as two processes would have."""
    states, engines, log = [], [], []
    for _ in range(RUNNERS):
        engine = make_engine(database_url, 30)
        metadata.create_all(engine)
        engines.append(engine)
        states.append(SimpleNamespace(
            sessionmaker=make_sessionmaker(engine, sis_object_manager(fake_host)),
            settings={"SIS_APPOINTMENTS_DEFAULT_TIMEZONE": "UTC"}, emit=None,
            make_channels=lambda: {"webhook": Recorder("webhook", log)}))
    yield states, log
    for engine in engines:
        engine.dispose()


def at_once(calls):
    start = threading.Barrier(len(calls))

    def one(call):
        start.wait(timeout=10)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return [f.result() for f in [pool.submit(one, c) for c in calls]]


def queue(session, count):
    now = utcnow()
    session.add_all([Notification(event="booking_created", recipient_key="webhook:crm",
                                  channel="webhook", payload={"n": n}, dedupe_key=f"k{n}",
                                  status="pending", attempts=0, next_attempt_at=now)
                     for n in range(count)])
    session.commit()


def test_each_job_runs_once_per_interval_with_two_runners(runners):
    states, _ = runners
    for tick in range(5):  # five scheduler ticks, a minute apart, on both runners
        when = NOW + timedelta(minutes=tick)
        results = at_once([lambda s=s, n=n, w=when: jobs.run_job(s, "reminders", f"runner{n}", w)
                           for n, s in enumerate(states)])
        assert sum(r is not None for r in results) == 1, results
    assert at_once([lambda s=s: jobs.run_job(s, "reminders", "late", NOW + timedelta(
        minutes=4, seconds=10)) for s in states]) == [None, None], "not due yet"
    session = states[0].sessionmaker()
    lease = session.get(JobLease, "reminders")
    assert lease.locked_until is None and lease.last_result == "0 reminders"
    session.close()


def test_two_delivery_runners_send_each_notification_once(runners):
    states, log = runners
    session = states[0].sessionmaker()
    queue(session, 500)
    totals = at_once([lambda s=s, n=n: jobs.run_job(s, "deliver", f"runner{n}")
                      for n, s in enumerate(states)])
    # the lease lets one runner in; then both drain with plain delivery passes
    at_once([lambda s=s: _drain(s) for s in states])
    assert sum(t is not None for t in totals) == 1
    assert Counter(Counter(log).values()) == {1: 500}, "every notification exactly once"
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Notification).where(
        Notification.status == "sent")) == 500
    session.close()


def _drain(state):
    session = state.sessionmaker()
    try:
        while sum(delivery.deliver_due(session, state.make_channels(), state.settings,
                                       limit=20).values()):
            pass
    finally:
        session.close()


def test_concurrent_delivery_passes_never_share_a_notification(runners):
    states, log = runners
    session = states[0].sessionmaker()
    queue(session, 400)
    at_once([lambda s=s: _drain(s) for s in states for _ in range(2)])
    assert Counter(Counter(log).values()) == {1: 400}
    session.close()


def test_a_runner_that_died_after_claiming_leaves_them_for_after_its_lease(runners):
    states, log = runners
    session = states[0].sessionmaker()
    queue(session, 3)
    claimed = delivery.claim(session, utcnow(), 10)  # ... and then the process died
    assert len(claimed) == 3
    assert delivery.deliver_due(session, states[1].make_channels(), {}) == {}
    later = utcnow() + delivery.LEASE + timedelta(seconds=1)
    assert delivery.deliver_due(session, states[1].make_channels(), {}, now=later) == {
        "sent": 3}
    assert sorted(log) == ["k0", "k1", "k2"]
    session.close()


def test_pruning_forgets_old_deliveries_but_keeps_dead_letters_and_recent_ones(runners):
    from sis_appointments.models import InAppNotification

    states, _ = runners
    session = states[0].sessionmaker()
    now, old = utcnow(), utcnow() - timedelta(days=100)

    def note(key, status, when):
        row = Notification(event="booking_created", recipient_key="u1", channel="inapp",
                           payload={}, dedupe_key=key, status=status, attempts=1,
                           next_attempt_at=when, created_at=when, updated_at=when)
        session.add(row)
        session.flush()
        return row

    delivered = note("old-sent", "sent", old)
    note("old-skipped", "skipped", old)
    note("old-dead", "dead", old)
    note("new-sent", "sent", now)
    session.add_all([
        InAppNotification(user_key="u1", title="kept", notification_id=delivered.id,
                          read_at=now - timedelta(days=10)),
        InAppNotification(user_key="u1", title="stale", read_at=now - timedelta(days=400)),
        InAppNotification(user_key="u1", title="unread"),
    ])
    session.commit()
    assert delivery.prune(session, now) == 2
    session.rollback()
    assert set(session.scalars(select(Notification.dedupe_key))) == {"old-dead", "new-sent"}
    left = {n.title: n.notification_id for n in session.scalars(select(InAppNotification))}
    assert left == {"kept": None, "unread": None}
    assert delivery.prune(session, now) == 0
    session.close()

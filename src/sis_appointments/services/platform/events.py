"""Post-commit events: collected during a transaction, announced to the SIS after commit.

``announce(session, event)`` writes the event's notifications to the outbox (in the same
transaction) and queues an ``AppointmentEvent``. When the unit of work commits
(``tx.transaction``), each is passed to the SIS's hook ``appointments_<event.name>`` and to
the listeners (cache generation, socket messages), which may read through the same session
(a new, short read transaction: no second session or connection). A rollback discards them,
so a change that did not happen is never announced.
"""

from __future__ import annotations

import logging

from sqlalchemy import event as sa_event
from sqlalchemy.orm import sessionmaker

from sis_appointments.contract import AppointmentEvent
from sis_appointments.services.notifications import outbox
from sis_appointments.services.platform.context import AppointmentsSession

log = logging.getLogger(__name__)


def attach(factory: sessionmaker) -> None:
    """Announce the events of ``factory``'s sessions after each commit (and drop them after a
    rollback); only the plugin's sessionmaker gets these listeners."""
    sa_event.listen(factory, "after_commit", _committed)
    sa_event.listen(factory, "after_rollback", _discard)
    factory.kw["context"].after_commit = deliver


def subscribe(factory: sessionmaker, listener) -> None:
    """Call ``listener(event, session)`` after each commit of sessions made by ``factory`` (a
    sessionmaker), after the SIS's hooks. ``session`` is the committed session: the objects
    the transaction loaded are still in it, and reading through it starts a new transaction."""
    factory.kw["context"].listeners.append(listener)


def announce(session: AppointmentsSession, event: AppointmentEvent) -> None:
    """Write ``event``'s notifications and queue it to be announced after ``session`` commits."""
    outbox.write(session, event)
    session.pending_events.append(event)


def _committed(session: AppointmentsSession) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released (a batch's step): its events wait for the real commit
    session.committed_events += session.pending_events
    session.pending_events = []
    session.claimed += session.claiming
    session.claiming = []
    session.memo.clear()  # the next unit of work asks the SIS afresh


# The memo key under which listeners keep what they read of one commit's state while its
# events are announced (a batch announces thousands about the same slots); dropped after.
AFTER_COMMIT = "after_commit"


def deliver(session: AppointmentsSession) -> None:
    """Announce what the last commit made true (``tx.transaction`` calls this after it)."""
    committed, session.committed_events = session.committed_events, []
    hooks = session.context.pm.hook
    for event in committed:
        try:
            getattr(hooks, f"appointments_{event.name}")(event=event)
        except Exception:  # a SIS's failing listener must not undo or break a committed change
            log.exception("SIS hook appointments_%s failed", event.name)
        for listener in session.context.listeners:
            try:
                listener(event, session)
            except Exception:
                log.exception("listener %r failed on %s", listener, event.name)
    session.memo.pop(AFTER_COMMIT, None)  # what the listeners kept while reading this commit
    if session.in_transaction():
        session.commit()  # end the listeners' reads: no snapshot stays open after the work


def _discard(session: AppointmentsSession) -> None:
    if session.in_nested_transaction():
        return  # only a savepoint rolled back; its caller trims what it queued
    session.pending_events = []
    session.claiming = []
    session.memo.clear()

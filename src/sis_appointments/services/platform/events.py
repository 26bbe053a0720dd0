"""Post-commit events: collected during a transaction, announced to the host after commit.

``announce(session, event)`` writes the event's notifications to the outbox (in the same
transaction) and queues an ``AppointmentEvent``; when the session commits, each is passed to
the host hook ``appointments_<event.name>`` and to the listeners (socket emits). A rollback
discards both, so a change that did not happen is never announced.
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
    sa_event.listen(factory, "after_commit", _deliver)
    sa_event.listen(factory, "after_rollback", _discard)


def subscribe(factory: sessionmaker, listener) -> None:
    """Call ``listener(event, bind)`` after each commit of sessions made by ``factory`` (a
    sessionmaker), after the SIS's hooks; ``bind`` is the engine, for listeners that read
    the committed state (the session itself cannot, then)."""
    factory.kw["context"].listeners.append(listener)


def announce(session: AppointmentsSession, event: AppointmentEvent) -> None:
    """Write ``event``'s notifications and queue it to be announced after ``session`` commits."""
    outbox.write(session, event)
    session.pending_events.append(event)


def _deliver(session: AppointmentsSession) -> None:
    pending, session.pending_events = session.pending_events, []
    hooks, bind = session.context.pm.hook, session.get_bind()
    for event in pending:
        try:
            getattr(hooks, f"appointments_{event.name}")(event=event)
        except Exception:  # a SIS's failing listener must not undo or break a committed change
            log.exception("SIS hook appointments_%s failed", event.name)
        for listener in session.context.listeners:
            try:
                listener(event, bind)
            except Exception:
                log.exception("listener %r failed on %s", listener, event.name)


def _discard(session: AppointmentsSession) -> None:
    if session.in_nested_transaction():
        return  # only a savepoint rolled back; its caller trims what it queued
    session.pending_events = []

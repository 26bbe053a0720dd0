"""Post-commit events: collected during a transaction, announced to the host after commit.

``announce(session, event)`` writes the event's notifications to the outbox (in the same
transaction) and queues an ``AppointmentEvent``; when the session commits, each is passed to
the host hook ``appointments_<event.name>`` and to the listeners (socket emits). A rollback
discards both, so a change that did not happen is never announced.
"""

from __future__ import annotations

import logging

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from sis_appointments.contract import AppointmentEvent

log = logging.getLogger(__name__)
QUEUE = "appt_events"


def subscribe(factory, listener) -> None:
    """Call ``listener(event, bind)`` after each commit of sessions made by ``factory`` (a
    sessionmaker), after the host's hooks; ``bind`` is the engine, for listeners that read
    the committed state (the session itself cannot, then)."""
    factory.kw.setdefault("info", {}).setdefault("listeners", []).append(listener)


def announce(session: Session, event: AppointmentEvent) -> None:
    """Write ``event``'s notifications and queue it to be announced after ``session`` commits."""
    from sis_appointments.services.notifications import outbox

    outbox.write(session, event)
    session.info.setdefault(QUEUE, []).append(event)


@sa_event.listens_for(Session, "after_commit")
def _deliver(session: Session) -> None:
    pending = session.info.pop(QUEUE, [])
    pm = session.info.get("pm")
    if pm is None:
        return
    bind = session.get_bind()
    for event in pending:
        hook = getattr(pm.hook, f"appointments_{event.name}")
        try:
            hook(event=event)
        except Exception:  # a host's failing listener must not undo or break a committed change
            log.exception("host hook appointments_%s failed", event.name)
        for listener in session.info.get("listeners", ()):
            try:
                listener(event, bind)
            except Exception:
                log.exception("listener %r failed on %s", listener, event.name)


@sa_event.listens_for(Session, "after_rollback")
def _discard(session: Session) -> None:
    if session.in_nested_transaction():
        return  # only a savepoint rolled back; its caller trims what it queued
    session.info.pop(QUEUE, None)

"""Plugin sessions carry a typed context; only they, never the SIS's own sessions, run the
plugin's post-commit code."""

from __future__ import annotations

from engine.actors import NOW, at, student
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from sis_appointments.services.platform import events
from sis_appointments.services.platform.context import AppointmentsSession
from sis_appointments.services.scheduling import booking


def test_a_plain_session_commit_runs_no_plugin_code(engine, sessions):
    assert sa_event.contains(sessions, "after_commit", events._committed)
    assert not sa_event.contains(Session, "after_commit", events._committed)
    assert not sa_event.contains(Session, "after_rollback", events._discard)


def test_events_wait_in_the_session_until_commit_and_go_after_it(
        session, sessions, create_slot):
    heard = []
    events.subscribe(sessions, lambda event, session: heard.append(event.name))
    fresh = sessions()
    assert isinstance(fresh, AppointmentsSession) and fresh.pending_events == []
    booking.book(fresh, actor=student("s1"), slot_id=create_slot(start=at(2)).id, now=NOW)
    assert heard == ["booking_created"] and fresh.pending_events == []
    fresh.close()

"""Every event the plugin announces sends only the ``event.data`` keys its spec documents.

The keys are read from the ``Data keys:`` block of each event spec's docstring
(``sis_appointments.hooks.specs``), with the parser that builds the README's hook tables
(``scripts/hook-reference``). One scenario triggers every call site of ``events.announce``;
a host plugin records what arrives after each commit.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from types import SimpleNamespace

import pytest
from engine.actors import ADMIN, NOW, at, staff, student
from helpers import event_hook_names, hook_reference
from sqlalchemy import select

from sis_appointments import hookimpl
from sis_appointments.models import Booking, Slot
from sis_appointments.services.scheduling import (
    booking,
    conflicts,
    series,
    slots,
    students,
    waitlist,
)


@pytest.fixture
def recorder(sessions):
    """A host plugin implementing every event hook; ``.seen`` lists ``(hook, event)``."""
    found = SimpleNamespace(seen=[])
    for name in event_hook_names():
        def impl(event, _name=name):
            found.seen.append((_name, event))
        setattr(found, name, hookimpl(impl))
    sessions.kw["context"].pm.register(found)
    return found


def documented() -> dict[str, dict]:
    """Each event hook's documented keys: name -> DataKey."""
    return {spec.name: {key.name: key for key in spec.data_keys}
            for spec in hook_reference().all_specs() if spec.kind == "event"}


def booking_of(session, student_key: str) -> Booking:
    return session.scalars(select(Booking).where(
        Booking.student_key == student_key, Booking.status == "confirmed")).one()


def announce_everything(session, create_type, create_slot) -> None:
    """Call every service path that announces an event, each at least once."""
    kind = create_type(hosts=("host1",))
    offering = create_type(name="Drop-in", hosts=("host1",), offer_minutes=30)

    def slot(day, capacity=1, of=kind):
        return create_slot(start=at(day), capacity=capacity, type=of, host_key="host1")

    # slots.create_custom: slot_changed (created)
    first = slots.create_custom(session, actor=staff("host1"), type_id=kind.id,
                                host_key="host1", start=at(2), end=at(2, 0.5), split=False)[0]
    # booking.book, waitlist.join, waitlist.leave
    booking.book(session, actor=student("s1"), slot_id=first.id, now=NOW)
    waitlist.join(session, actor=student("s2"), slot_id=first.id, now=NOW)
    leaving = waitlist.join(session, actor=student("s3"), slot_id=first.id, now=NOW)
    waitlist.leave(session, actor=student("s3"), entry_id=leaving.id)
    # booking.cancel (late) and waitlist.promote -> waitlist._seat: waitlist_promoted
    booking.cancel(session, actor=student("s1"), booking_id=booking_of(session, "s1").id,
                   now=NOW)
    # booking.reschedule, then conflicts.move_bookings: booking_rescheduled twice
    second, third = slot(3, capacity=2), slot(4, capacity=2)
    booking.reschedule(session, actor=student("s2"), booking_id=booking_of(session, "s2").id,
                       target_slot_id=second.id, now=NOW)
    conflicts.move_bookings(session, actor=ADMIN, from_slot_id=second.id,
                            to_slot_id=third.id, now=NOW)
    # slots.update -> slots.change, and slots.cancel: slot_changed and booking_cancelled
    slots.update(session, actor=ADMIN, slot_id=third.id, capacity=3)
    slots.cancel(session, actor=ADMIN, slot_id=third.id, reason="ill")
    # attendance: booking_attended and booking_no_show
    started = slot(1, capacity=2)
    for key in ("s4", "s5"):
        booking.book(session, actor=student(key), slot_id=started.id, now=NOW)
    for key, status in (("s4", "attended"), ("s5", "no_show")):
        booking.mark_attendance(session, actor=ADMIN, booking_id=booking_of(session, key).id,
                                status=status, now=at(1, 1))
    # offer mode: waitlist.accept_offer -> waitlist._seat: waitlist_promoted
    offered = slot(5, of=offering)
    booking.book(session, actor=student("s6"), slot_id=offered.id, now=NOW)
    entry = waitlist.join(session, actor=student("s7"), slot_id=offered.id, now=NOW)
    booking.cancel(session, actor=student("s6"), booking_id=booking_of(session, "s6").id,
                   now=NOW)
    waitlist.accept_offer(session, actor=student("s7"), entry_id=entry.id, now=NOW)
    # waitlist.decline_offer: waitlist_left (declined)
    declined = slot(5.5, of=offering)
    booking.book(session, actor=student("s6"), slot_id=declined.id, now=NOW)
    entry = waitlist.join(session, actor=student("s7"), slot_id=declined.id, now=NOW)
    booking.cancel(session, actor=student("s6"), booking_id=booking_of(session, "s6").id,
                   now=NOW)
    waitlist.decline_offer(session, actor=student("s7"), entry_id=entry.id, now=NOW)
    # the SIS: a student deactivated, two records merged: booking_cancelled
    shared = slot(6, capacity=3)
    for key in ("s8", "old", "new"):
        booking.book(session, actor=student(key), slot_id=shared.id, now=NOW)
    students.deactivate(session, "s8")
    students.merge(session, "old", "new")
    # series.create (slot_changed for the series) and series.edit (slots.change)
    made = series.create(session, actor=ADMIN, type_id=kind.id, host_key="host1",
                         start_local=datetime(2030, 3, 18, 9), rrule="FREQ=WEEKLY;COUNT=2",
                         now=NOW)
    occurrence = session.scalars(select(Slot).where(Slot.series_id == made.id)
                                 .order_by(Slot.start_utc)).first()
    series.edit(session, actor=ADMIN, slot_id=occurrence.id, scope="this",
                new_local_start=datetime(2030, 3, 18, 10), now=NOW)


def test_every_event_sends_only_documented_keys(session, recorder, create_type, create_slot):
    keys = documented()
    assert keys and all(keys.values()), "every event spec documents its data keys"

    announce_everything(session, create_type, create_slot)

    problems, seen = [], defaultdict(set)
    for hook, event in recorder.seen:
        assert hook == f"appointments_{event.name}"
        allowed = keys[hook]
        sent = set(event.data)
        seen[hook] |= sent
        if extra := sent - set(allowed):
            problems.append(f"{hook} sent {sorted(extra)}, which its spec's 'Data keys:' "
                            f"block in hooks/specs.py does not list (data: {event.data})")
        required = {name for name, key in allowed.items() if not key.optional}
        if missing := required - sent:
            problems.append(f"{hook} lacks {sorted(missing)}, which its spec documents as "
                            f"always sent; mark them (optional) or send them")
    assert problems == []
    assert set(keys) - set(seen) == set(), "every event spec was announced"
    never = {hook: sorted(set(allowed) - seen[hook]) for hook, allowed in keys.items()
             if set(allowed) - seen[hook]}
    assert never == {}, "documented keys no announcement sent (stale docs, or a call site " \
                        "this scenario misses)"

"""The booking invariants (docs/architecture.md, section 6), checked against the database."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from sis_appointments.models import ACTIVE_BOOKING_STATUSES, Booking, Slot, WaitlistEntry


def violations(session) -> list[str]:
    """Every broken invariant, described; empty when all hold."""
    session.expire_all()
    slots = {s.id: s for s in session.scalars(select(Slot))}
    active = session.scalars(select(Booking).where(
        Booking.status.in_(ACTIVE_BOOKING_STATUSES))).all()
    entries = session.scalars(select(WaitlistEntry).order_by(
        WaitlistEntry.created_at, WaitlistEntry.id)).all()
    return (_seats(slots, active, entries) + _overlaps(slots, active)
            + _waitlists(slots, entries, active))


def _seats(slots, active, entries) -> list[str]:
    """Capacity, the seat counter (bookings + offers) and one seat per student per slot."""
    found = []
    per_slot = defaultdict(list)
    for b in active:
        per_slot[b.slot_id].append(b.student_key)
    offered = defaultdict(int)
    for e in entries:
        offered[e.slot_id] += e.status == "offered"
    for slot_id, slot in slots.items():
        held = len(per_slot[slot_id])
        if held > slot.capacity:
            found.append(f"slot {slot_id}: {held} active bookings > capacity {slot.capacity}")
        if slot.booked != held + offered[slot_id]:
            found.append(f"slot {slot_id}: counter {slot.booked} != {held} bookings "
                         f"+ {offered[slot_id]} offers")
        if len(per_slot[slot_id]) != len(set(per_slot[slot_id])):
            found.append(f"slot {slot_id}: a student holds two seats")
    return found


def _overlaps(slots, active) -> list[str]:
    """No student holds two overlapping active bookings."""
    found = []
    by_student = defaultdict(list)
    for b in active:
        by_student[b.student_key].append(slots[b.slot_id])
    for student, held_slots in by_student.items():
        held_slots.sort(key=lambda s: s.start_utc)
        for a, b in zip(held_slots, held_slots[1:], strict=False):
            if b.start_utc < a.end_utc:
                found.append(f"student {student}: slots {a.id} and {b.id} overlap")
    return found


def _waitlists(slots, entries, active) -> list[str]:
    """No free seat while a student waits who could take it (holding no booking at that
    time); nobody waits for a slot they hold; promotions in order; each seat to one
    student."""
    found = []
    queue = defaultdict(list)
    for e in entries:
        queue[e.slot_id].append(e)
    held = defaultdict(list)
    for b in active:
        held[b.student_key].append(slots[b.slot_id])

    def could_take(entry) -> bool:
        slot = slots[entry.slot_id]
        return not any(h.start_utc < slot.end_utc and slot.start_utc < h.end_utc
                       for h in held[entry.student_key])

    for slot_id, line in queue.items():
        waiting = [e for e in line if e.status == "waiting"]
        for e in line:
            if e.status in ("waiting", "offered") and slots[slot_id] in held[e.student_key]:
                found.append(f"slot {slot_id}: student {e.student_key} holds it and waits")
        able = [e for e in waiting if could_take(e)]
        if able and slots[slot_id].status == "open" \
                and slots[slot_id].booked < slots[slot_id].capacity:
            found.append(f"slot {slot_id}: a seat is free while {len(able)} who could take "
                         "it wait")
        promoted = [e for e in line if e.status == "promoted"]
        if waiting and promoted and max(line.index(p) for p in promoted) > line.index(waiting[0]):
            found.append(f"slot {slot_id}: promoted out of order")
        seats = [e.booking_id for e in promoted]
        if len(seats) != len(set(seats)):
            found.append(f"slot {slot_id}: one seat went to two waiting students")
    return found

"""Waitlists: join a full slot, see one's place, and automatic promotion.

When a seat frees, ``promote`` (called in the transaction that freed it) gives it to the
first waiting student for whom the booking is still valid; students it would not be valid
for (now busy, over a limit, overlapping) are skipped and keep their place. With a type's
offer mode (``offer_minutes``) the seat is held for the first in line instead, who accepts
or declines before the offer expires; a declined or expired offer passes the seat on.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sis_appointments.contract import AppointmentEvent, SisUser
from sis_appointments.domain.errors import Conflict, NotFound, SchedulingError
from sis_appointments.models import Booking, Slot, WaitlistEntry, utcnow
from sis_appointments.models.scheduling import OPEN_WAITLIST_STATUSES
from sis_appointments.services.accounts import access
from sis_appointments.services.platform import audit, events, tx
from sis_appointments.services.scheduling import eligibility, queries, seats


def position(session: Session, entry: WaitlistEntry) -> int | None:
    """1 for the first in line; None once the entry is no longer waiting."""
    if entry.status not in OPEN_WAITLIST_STATUSES:
        return None
    return session.scalar(select(queries.place_in_line(entry)))


def _snapshot(entry: WaitlistEntry) -> dict:
    return {"slot_id": entry.slot_id, "student_key": entry.student_key, "status": entry.status}


def join(session: Session, *, actor: SisUser, slot_id: int, student_key: str | None = None,
         now: datetime | None = None) -> WaitlistEntry:
    """Join the waitlist of a full slot; refused if seats are free or the list is full."""
    now = now or utcnow()
    student_key = access.student_for(actor, student_key)

    def work() -> WaitlistEntry:
        slot = tx.get(session, Slot, slot_id, "slot")
        if actor.key != student_key:
            access.require_manage_host(session, actor, slot.host_key)
        seats.lock_slots(session, [slot.id])
        session.refresh(slot)
        appointment_type = slot.type
        if not appointment_type.waitlist_enabled:
            raise Conflict("this appointment has no waitlist", code="no_waitlist")
        if slot.status != "open":
            raise Conflict("this slot is not open", code="slot_closed")
        if not slot.is_full:
            raise Conflict("this slot has free seats: book it instead", code="seats_available",
                           **seats.summary(session, slot))
        seats.lock_people(session, student_key)
        eligibility.check(session, slot, student_key, now)
        waiting = session.scalar(select(func.count()).select_from(WaitlistEntry).where(
            WaitlistEntry.slot_id == slot.id, WaitlistEntry.status.in_(OPEN_WAITLIST_STATUSES)))
        if appointment_type.waitlist_size is not None and waiting >= appointment_type.waitlist_size:
            raise Conflict("the waitlist is full", code="waitlist_full",
                           **seats.summary(session, slot))
        entry = WaitlistEntry(slot_id=slot.id, student_key=student_key, created_at=now)
        tx.add_unique(session, entry, "the student is already waiting for this slot",
                      "already_waiting")
        audit.record(session, actor_key=actor.key, action="waitlist.joined",
                     entity_type="waitlist_entry", entity_id=entry.id, after=_snapshot(entry))
        _announce(session, "waitlist_joined", entry, actor, position=waiting + 1)
        return entry

    return tx.run(session, work)


def leave(session: Session, *, actor: SisUser, entry_id: int,
          slot_id: int | None = None) -> WaitlistEntry:
    """Leave a waitlist (an offered seat is passed on to the next in line); with ``slot_id``,
    only an entry of that slot."""

    def work() -> WaitlistEntry:
        entry = tx.get(session, WaitlistEntry, entry_id, "waitlist entry")
        if slot_id is not None and entry.slot_id != slot_id:
            raise NotFound(f"waitlist entry {entry_id} is not on slot {slot_id}")
        access.require_booking_access(session, actor, entry.student_key, entry.slot.host_key)
        seats.lock_slots(session, [entry.slot_id])
        session.refresh(entry)
        if entry.status not in OPEN_WAITLIST_STATUSES:
            raise Conflict("this waitlist place is no longer open", code="not_waiting")
        _announce(session, "waitlist_left", entry, actor)
        close(session, entry, "left", actor=actor, now=utcnow())
        return entry

    return tx.run(session, work)


def close(session: Session, entry: WaitlistEntry, status: str, *, actor: SisUser | None,
          now: datetime, reason: str | None = None, pass_on: bool = True,
          action: str | None = None) -> None:
    """End an open entry as ``status`` (left, expired, removed), audited as ``action``
    (default from the status); a seat held for its offer is released and, with ``pass_on``,
    offered to the next in line. Call with the entry's slot locked."""
    was_offered = entry.status == "offered"
    before = _snapshot(entry)
    entry.status = status
    action = action or ("waitlist.offer_expired" if status == "expired"
                        else f"waitlist.{status}")
    audit.record(session, actor_key=actor.key if actor else None, action=action,
                 entity_type="waitlist_entry", entity_id=entry.id, before=before,
                 after=_snapshot(entry), reason=reason)
    if was_offered:
        seats.release(session, entry.slot_id)
        if pass_on:
            promote(session, entry.slot, now)


def _open_offer(session: Session, actor: SisUser, entry_id: int,
                now: datetime) -> WaitlistEntry:
    """The entry, its slot locked, if it holds an offer open at ``now`` that ``actor`` may
    answer (the student, or staff managing the calendar; to others it does not exist)."""
    entry = access.visible_waitlist_entry(session, actor, entry_id)
    seats.lock_slots(session, [entry.slot_id])
    session.refresh(entry)
    state = {"entry_id": entry.id, "slot_id": entry.slot_id, "status": entry.status,
             "offer_expires_at": entry.offer_expires_at.isoformat()
             if entry.offer_expires_at else None}
    if entry.status == "expired" or (entry.status == "offered"
                                     and entry.offer_expires_at <= now):
        raise Conflict("this offer has expired: the seat is passed to the next student "
                       "waiting", code="offer_expired", **state)
    if entry.status != "offered":
        raise Conflict("there is no open offer for this place", code="no_offer", **state)
    return entry


def accept_offer(session: Session, *, actor: SisUser, entry_id: int,
                 now: datetime | None = None) -> Booking:
    """Turn a held seat into a booking, if the offer has not expired."""
    now = now or utcnow()

    def work() -> Booking:
        entry = _open_offer(session, actor, entry_id, now)
        seats.lock_people(session, entry.student_key)
        eligibility.check(session, entry.slot, entry.student_key, now, window=False)
        return _seat(session, entry, actor, now)

    return tx.run(session, work)


def decline_offer(session: Session, *, actor: SisUser, entry_id: int,
                  now: datetime | None = None) -> WaitlistEntry:
    """Turn down a held seat: the place closes (as ``left``) and the seat is offered to the
    next in line, as when an offer expires."""
    now = now or utcnow()

    def work() -> WaitlistEntry:
        entry = _open_offer(session, actor, entry_id, now)
        _announce(session, "waitlist_left", entry, actor, declined=True)
        close(session, entry, "left", actor=actor, now=now, action="waitlist.offer_declined")
        return entry

    return tx.run(session, work)


def expire_offers(session: Session, now: datetime | None = None) -> int:
    """Expire offers past their time and pass each seat on; returns how many expired."""
    now = now or utcnow()

    def work() -> int:
        due = session.scalars(select(WaitlistEntry).where(
            WaitlistEntry.status == "offered", WaitlistEntry.offer_expires_at <= now)
            .order_by(WaitlistEntry.slot_id, WaitlistEntry.id)).all()
        seats.lock_slots(session, [e.slot_id for e in due])
        for entry in due:
            session.refresh(entry)
            if entry.status != "offered":
                continue
            close(session, entry, "expired", actor=None, now=now)
        return len(due)

    return tx.run(session, work)


def promote(session: Session, slot: Slot, now: datetime) -> list[WaitlistEntry]:
    """Give freed seats of ``slot`` to waiting students, in order. Call inside the write
    transaction that freed the seat, with the slot locked."""
    promoted = []
    waiting = session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.slot_id == slot.id, WaitlistEntry.status == "waiting")
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)).all()
    for entry in waiting:
        if not seats.take(session, slot):
            break
        seats.lock_people(session, entry.student_key)
        try:
            eligibility.check(session, slot, entry.student_key, now, window=False)
        except SchedulingError:
            seats.release(session, slot.id)  # skipped; keeps their place
            continue
        offer_minutes = slot.type.offer_minutes
        if offer_minutes:
            entry.status = "offered"
            entry.offer_expires_at = now + timedelta(minutes=offer_minutes)
            audit.record(session, actor_key=None, action="waitlist.offered",
                         entity_type="waitlist_entry", entity_id=entry.id,
                         after={**_snapshot(entry), "expires": entry.offer_expires_at.isoformat()})
            _offered(session, entry)
        else:
            _seat(session, entry, None, now)
        promoted.append(entry)
    return promoted


def settle_own(session: Session, slot: Slot, booking: Booking, actor: SisUser | None,
               now: datetime) -> None:
    """Close the student's own open place on ``slot`` now that ``booking`` gives them a
    seat there (booked directly or moved in): nobody waits for a slot they hold. A seat
    held for their offer is passed on. Call with the slot locked."""
    for entry in queries.waitlist_entries(session, slot.id, booking.student_key):
        entry.booking_id = booking.id
        close(session, entry, "promoted", actor=actor, now=now, action="waitlist.booked")


def reconsider(session: Session, student_keys, now: datetime) -> None:
    """Promote on the open future slots with a free seat where one of ``student_keys``
    waits: a booking of theirs that kept them from that seat may just have gone."""
    keys = sorted(set(student_keys))
    if keys:
        _promote_on(session, _free_beside_waiting(session, now, keys), now)


def reconcile(session: Session, now: datetime | None = None) -> int:
    """The periodic check (job ``reconcile_waitlists``): promote wherever an open future
    slot has a free seat and a student waits (a timetable or rule that changed, a seat
    freed by a path that does not promote); returns how many places moved on."""
    now = now or utcnow()

    return tx.run(session, lambda: _promote_on(session, _free_beside_waiting(session, now), now))


def _free_beside_waiting(session: Session, now: datetime, keys=None) -> list[int]:
    """The open future slots with a free seat where a student (one of ``keys``) waits."""
    query = select(WaitlistEntry.slot_id).join(WaitlistEntry.slot).where(
        WaitlistEntry.status == "waiting", Slot.status == "open", Slot.start_utc > now,
        Slot.booked < Slot.capacity)
    if keys is not None:
        query = query.where(WaitlistEntry.student_key.in_(keys))
    return session.scalars(query.distinct()).all()


def _promote_on(session: Session, slot_ids, now: datetime) -> int:
    seats.lock_slots(session, slot_ids)
    moved = 0
    for slot in session.scalars(select(Slot).where(Slot.id.in_(list(slot_ids)))
                                .order_by(Slot.id).execution_options(populate_existing=True)):
        moved += len(promote(session, slot, now))
    return moved


def _seat(session: Session, entry: WaitlistEntry, actor: SisUser | None,
          now: datetime) -> Booking:
    """Book the seat already taken for ``entry`` and close the entry."""
    new = Booking(slot_id=entry.slot_id, student_key=entry.student_key,
                  booked_by=actor.key if actor else None, reason="from the waitlist")
    session.add(new)
    session.flush()
    before = _snapshot(entry)
    entry.status, entry.booking_id = "promoted", new.id
    audit.record(session, actor_key=actor.key if actor else None, action="waitlist.promoted",
                 entity_type="waitlist_entry", entity_id=entry.id, before=before,
                 after={**_snapshot(entry), "booking_id": new.id})
    _announce(session, "waitlist_promoted", entry, actor, booking_id=new.id)
    return new


def _announce(session: Session, name: str, entry: WaitlistEntry, actor: SisUser | None,
              **data) -> None:
    events.announce(session, AppointmentEvent(
        name, "waitlist_entry", entry.id, actor.key if actor else None,
        {"slot_id": entry.slot_id, "student_key": entry.student_key, **data}))


def _offered(session: Session, entry: WaitlistEntry) -> None:
    """Tell the student a seat is held for them (the host hears of it when they accept)."""
    _announce(session, "waitlist_offered", entry, None,
              offer_expires_at=entry.offer_expires_at.isoformat())

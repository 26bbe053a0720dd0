"""The append-only audit log: writing it in the caller's transaction, and reading it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import Session

from sis_appointments.contract import SisUser
from sis_appointments.models import AuditEntry, Booking, Series, Slot, WaitlistEntry
from sis_appointments.services.accounts import access


def record(
    session: Session,
    *,
    actor_key: str | None,
    action: str,
    entity_type: str,
    entity_id: object,
    before: dict | None = None,
    after: dict | None = None,
    reason: str | None = None,
    request_id: str | None = None,
) -> AuditEntry:
    """Add one audit row; it commits or rolls back with the change it describes. The
    request id defaults to the one the web layer put in the session's ``info``."""
    entry = AuditEntry(
        actor_key=actor_key,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        before=before,
        after=after,
        reason=reason,
        request_id=request_id or session.request_id,
    )
    session.add(entry)
    return entry


# What staff who are not admins see: entries about the calendars they manage, i.e. the
# slots, bookings, series and waitlist places of those hosts (admins see every entry).
CALENDAR_ENTITIES = ("slot", "booking", "series", "waitlist_entry")


def _calendar_ids(entity_type: str, hosts: list[str]):
    """The ids (as the log stores them, text) of ``entity_type`` rows on ``hosts``' calendars."""
    if entity_type == "slot":
        return select(cast(Slot.id, String)).where(Slot.host_key.in_(hosts))
    if entity_type == "series":
        return select(cast(Series.id, String)).where(Series.host_key.in_(hosts))
    model = Booking if entity_type == "booking" else WaitlistEntry
    return (select(cast(model.id, String)).join(Slot, Slot.id == model.slot_id)
            .where(Slot.host_key.in_(hosts)))


def scope(session: Session, actor: SisUser):
    """The condition on audit rows ``actor`` may read (None: all of them); staff only."""
    access.require_staff(actor, "read the audit log")
    if actor.has_role("admin"):
        return None
    hosts = access.managed_hosts(session, actor)
    if hosts is None:  # a manage_all grant: every calendar, still not the system's rows
        return AuditEntry.entity_type.in_(CALENDAR_ENTITIES)
    return or_(*[(AuditEntry.entity_type == kind)
                 & AuditEntry.entity_id.in_(_calendar_ids(kind, hosts))
                 for kind in CALENDAR_ENTITIES])


def page(session: Session, *, actor: SisUser, entity_type: str | None = None,
         entity_id: str | None = None, actor_key: str | None = None,
         action: str | None = None, request_id: str | None = None,
         since: datetime | None = None, until: datetime | None = None,
         after: tuple | None = None, limit: int = 100) -> list[AuditEntry]:
    """Audit rows newest first, filtered (``since`` inclusive, ``until`` exclusive), after a
    cursor position ``(at, id)``: admins read every row, other staff those about the
    calendars they manage (``scope``)."""
    visible = scope(session, actor)
    query = (select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
             .limit(limit))
    if visible is not None:
        query = query.where(visible)
    for column, value in ((AuditEntry.entity_type, entity_type),
                          (AuditEntry.entity_id, entity_id), (AuditEntry.actor_key, actor_key),
                          (AuditEntry.action, action), (AuditEntry.request_id, request_id)):
        if value:
            query = query.where(column == value)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    if after is not None:
        query = query.where((AuditEntry.at < after[0])
                            | ((AuditEntry.at == after[0]) & (AuditEntry.id < after[1])))
    return list(session.scalars(query))

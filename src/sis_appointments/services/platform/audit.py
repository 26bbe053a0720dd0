"""Writing the append-only audit log, in the caller's transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sis_appointments.contract import SisUser
from sis_appointments.models import AuditEntry
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


def page(session: Session, *, actor: SisUser, entity_type: str | None = None,
         entity_id: str | None = None, actor_key: str | None = None,
         after: tuple | None = None, limit: int = 100) -> list[AuditEntry]:
    """Audit rows newest first, filtered, after a cursor position ``(at, id)`` (admins only)."""
    access.require_admin(actor, "read the audit log")
    query = (select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
             .limit(limit))
    for column, value in ((AuditEntry.entity_type, entity_type),
                          (AuditEntry.entity_id, entity_id), (AuditEntry.actor_key, actor_key)):
        if value:
            query = query.where(column == value)
    if after is not None:
        query = query.where((AuditEntry.at < after[0])
                            | ((AuditEntry.at == after[0]) & (AuditEntry.id < after[1])))
    return list(session.scalars(query))

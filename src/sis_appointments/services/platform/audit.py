"""Writing the append-only audit log, in the caller's transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from sis_appointments.models import AuditEntry


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
        request_id=request_id or session.info.get("request_id"),
    )
    session.add(entry)
    return entry


def recent(session: Session, limit: int = 100) -> list[AuditEntry]:
    """The newest audit rows first."""
    return list(
        session.query(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    )

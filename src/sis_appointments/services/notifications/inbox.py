"""In-app notifications: a user's list, marking read, and the private calendar feed token."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sis_appointments.contract import SisUser
from sis_appointments.domain.errors import NotFound
from sis_appointments.models import FeedToken, InAppNotification, utcnow
from sis_appointments.services.platform import audit, tx

FEED_PREFIX = "sisfeed_"


def listed(session: Session, user_key: str, *, unread: bool = False, before: int | None = None,
           limit: int = 50) -> tuple[list[InAppNotification], int]:
    """Newest first (``before``: an id, to page back), and how many are unread in all."""
    query = select(InAppNotification).where(InAppNotification.user_key == user_key)
    if unread:
        query = query.where(InAppNotification.read_at.is_(None))
    if before is not None:
        query = query.where(InAppNotification.id < before)
    rows = list(session.scalars(query.order_by(InAppNotification.id.desc()).limit(limit)))
    return rows, unread_count(session, user_key)


def unread_count(session: Session, user_key: str) -> int:
    """How many of the user's in-app notifications are unread (one statement)."""
    return session.scalar(select(func.count()).select_from(InAppNotification).where(
        InAppNotification.user_key == user_key, InAppNotification.read_at.is_(None)))


def mark_read(session: Session, *, user: SisUser, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications read (all of them without an id); returns how
    many changed. Another user's notification is not found."""

    def work() -> int:
        query = update(InAppNotification).where(InAppNotification.user_key == user.key,
                                                InAppNotification.read_at.is_(None))
        if notification_id is not None:
            row = session.get(InAppNotification, notification_id)
            if row is None or row.user_key != user.key:
                raise NotFound("no such notification")
            query = query.where(InAppNotification.id == notification_id)
        changed = session.execute(query.values(read_at=utcnow())
                                  .execution_options(synchronize_session=False)).rowcount
        if changed:
            audit.record(session, actor_key=user.key, action="notification.read",
                         entity_type="inapp_notification",
                         entity_id=notification_id if notification_id else "all",
                         after={"marked_read": changed})
        return changed

    return tx.run(session, work)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_feed_token(session: Session, *, user: SisUser) -> str:
    """A new private feed token for the user (the old one stops working); shown once."""
    token = FEED_PREFIX + secrets.token_urlsafe(24)

    def work() -> None:
        row = session.get(FeedToken, user.key)
        if row is None:
            session.add(FeedToken(user_key=user.key, token_hash=_hash(token)))
        else:
            row.token_hash = _hash(token)
        audit.record(session, actor_key=user.key, action="feed_token.issued",
                     entity_type="feed_token", entity_id=user.key,
                     after={"replaced": row is not None})

    tx.run(session, work)
    return token


def revoke_feed_token(session: Session, *, user: SisUser) -> bool:
    def work() -> bool:
        row = session.get(FeedToken, user.key)
        if row is None:
            return False
        session.delete(row)
        audit.record(session, actor_key=user.key, action="feed_token.revoked",
                     entity_type="feed_token", entity_id=user.key)
        return True

    return tx.run(session, work)


def has_feed_token(session: Session, user_key: str) -> bool:
    """Whether the user has a calendar address that works (there is one to turn off)."""
    return session.get(FeedToken, user_key) is not None


def feed_user(session: Session, token: str) -> str | None:
    """The user key a feed token belongs to, or None."""
    if not token.startswith(FEED_PREFIX) or len(token) > 100:
        return None
    return session.scalar(select(FeedToken.user_key).where(FeedToken.token_hash == _hash(token)))

"""Personal API tokens: shown once, stored as a SHA-256 hash, scoped, expiring, revocable."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from sis_appointments.contract import SisUser
from sis_appointments.domain.errors import Forbidden, NotFound
from sis_appointments.models import ApiToken, utcnow
from sis_appointments.services.platform import audit, tx

PREFIX = "sisappt_"
# What a new token may be (the API's schema and the staff page's form both ask here).
SCOPES = ("read", "write")  # read: GET only; write: everything the user may do
NAME_MAX = 100
DAYS_DEFAULT, DAYS_MAX = 90, 365
log = logging.getLogger(__name__)
USE_NOTED_EVERY = timedelta(minutes=1)  # a token's last use is written at most this often


def digest(token: str) -> str:
    """What is stored of a token: its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def create(session: Session, *, actor: SisUser, name: str, scope: str = "read",
           expires_in_days: int = DAYS_DEFAULT, user_key: str | None = None,
           now: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for the actor (an admin may create one for another user). Returns the
    row and the token itself, which is never stored and cannot be shown again."""
    user_key = user_key or actor.key
    if user_key != actor.key and not actor.has_role("admin"):
        raise Forbidden("only admins create tokens for other users")
    secret = PREFIX + secrets.token_urlsafe(32)
    now = now or utcnow()

    def work() -> ApiToken:
        row = ApiToken(user_key=user_key, name=name, prefix=secret[:12], token_hash=digest(secret),
                       scopes=scope, expires_at=now + timedelta(days=expires_in_days))
        session.add(row)
        session.flush()
        audit.record(session, actor_key=actor.key, action="token.created", entity_type="token",
                     entity_id=row.id, after={"user_key": user_key, "name": name,
                                              "scopes": scope})
        return row

    return tx.run(session, work), secret


def revoke(session: Session, *, actor: SisUser, token_id: int,
           now: datetime | None = None) -> ApiToken:
    def work() -> ApiToken:
        row = session.get(ApiToken, token_id)
        if row is None or (row.user_key != actor.key and not actor.has_role("admin")):
            raise NotFound(f"token {token_id} does not exist")
        if row.revoked_at is None:
            row.revoked_at = now or utcnow()
            audit.record(session, actor_key=actor.key, action="token.revoked",
                         entity_type="token", entity_id=row.id)
        return row

    return tx.run(session, work)


def listed(session: Session, actor: SisUser, own: bool = False) -> list[ApiToken]:
    """The actor's tokens (an admin's: everyone's, unless ``own``), oldest first."""
    query = select(ApiToken).order_by(ApiToken.id)
    if own or not actor.has_role("admin"):
        query = query.where(ApiToken.user_key == actor.key)
    return list(session.scalars(query))


def is_live(row: ApiToken, now: datetime) -> bool:
    """Whether the token still lets its holder in: not revoked, not expired."""
    return row.revoked_at is None and (row.expires_at is None or row.expires_at > now)


def authenticate(session: Session, secret: str, now: datetime | None = None) -> ApiToken | None:
    """The live token matching ``secret`` (not revoked, not expired), or None. Its use is
    noted (``last_used_at``) when the last one noted is ``USE_NOTED_EVERY`` old: a write a
    minute at most, not one per request."""
    now = now or utcnow()
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(secret)))
    if row is None or not is_live(row, now):
        return None
    if row.last_used_at is None or row.last_used_at <= now - USE_NOTED_EVERY:
        _note_use(session, row, now)
    return row


def _note_use(session: Session, row: ApiToken, now: datetime) -> None:
    """Write the token's last use, unless another request (or worker) just did: now or not
    at all (``tx.note``), so a request never waits behind another writer for it."""
    stale = or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - USE_NOTED_EVERY)
    try:
        tx.note(session, update(ApiToken).where(ApiToken.id == row.id, stale)
                .values(last_used_at=now))
    except DBAPIError as error:  # a note: the request goes on without it
        log.warning("token %s: its last use was not written (%s)", row.id, error)

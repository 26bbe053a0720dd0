"""Idempotency keys: a POST repeated with the same key gets the first response, once.

The key is reserved in its own committed transaction before the work starts, so of two
concurrent requests with one key exactly one runs; the other is told to retry and then
receives the stored response. Keys live 24 hours.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sis_appointments.models import IdempotencyKey, utcnow
from sis_appointments.services.platform import tx

LIFETIME = timedelta(hours=24)


@dataclass(frozen=True)
class Reservation:
    """What the caller should do: run the request (``run``), replay ``stored``, or wait."""

    run: bool
    stored: IdempotencyKey | None = None
    mismatch: bool = False
    in_progress: bool = False
    row_id: int | None = None


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def reserve(session: Session, *, user_key: str, key: str, method: str, path: str,
            body: bytes, now: datetime | None = None) -> Reservation:
    now = now or utcnow()
    digest = body_hash(body)

    def work() -> Reservation:
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < now - LIFETIME))
        found = session.scalar(select(IdempotencyKey).where(
            IdempotencyKey.user_key == user_key, IdempotencyKey.key == key))
        if found is not None:
            if (found.body_hash, found.method, found.path) != (digest, method, path):
                return Reservation(run=False, mismatch=True)
            if found.status_code is None:
                return Reservation(run=False, in_progress=True)
            return Reservation(run=False, stored=found)
        row = IdempotencyKey(user_key=user_key, key=key, method=method, path=path,
                             body_hash=digest, created_at=now)
        session.add(row)
        session.flush()
        return Reservation(run=True, row_id=row.id)

    try:
        return tx.run(session, work)
    except IntegrityError:  # a concurrent request reserved it first
        return Reservation(run=False, in_progress=True)


def complete(session: Session, row_id: int, status: int, body: str, content_type: str) -> None:
    """Store the response; a server error frees the key so the request can be retried."""

    def work() -> None:
        row = session.get(IdempotencyKey, row_id)
        if row is None:
            return
        if status >= 500:
            session.delete(row)
        else:
            row.status_code, row.response_body, row.content_type = status, body, content_type

    tx.run(session, work)

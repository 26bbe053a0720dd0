"""Idempotency keys: a POST repeated with the same key gets the first response, once.

The key is claimed inside the request's own write transaction (``claim``, the first statement
after BEGIN), so the key and the work commit or roll back together: a process killed before
its commit leaves no key, and the repeat runs afresh; a repeat arriving while the first runs
waits for it on the key's unique index and is told to retry. The response is stored just after
(``complete``). A key whose work committed but whose response was never stored (the process
died in between) answers, after ``LEASE``, that the request was carried out, so a client never
runs it twice and never goes without an answer. Keys live 24 hours.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from sis_appointments.domain.errors import Conflict
from sis_appointments.models import IdempotencyKey, utcnow
from sis_appointments.services.platform import tx

LIFETIME = timedelta(hours=24)
LEASE = timedelta(seconds=60)  # longer than any request may run


class InProgress(Conflict):
    """Another request with this key is running (or has just committed): retry shortly."""

    code = "idempotency_in_progress"
    retry_after = 1


@dataclass(frozen=True)
class Request:
    user_key: str
    key: str
    method: str
    path: str
    body_hash: str


@dataclass(frozen=True)
class Found:
    """What a repeat gets: ``stored`` to replay, or a refusal (``mismatch``, ``in_progress``,
    ``lost``: carried out, response not kept); all false: run the request."""

    stored: IdempotencyKey | None = None
    mismatch: bool = False
    in_progress: bool = False
    lost: bool = False


def request_of(user_key: str, key: str, method: str, path: str, body: bytes) -> Request:
    return Request(user_key, key, method, path, hashlib.sha256(body).hexdigest())


def _row(session: Session, request: Request) -> IdempotencyKey | None:
    return session.scalar(select(IdempotencyKey).where(
        IdempotencyKey.user_key == request.user_key, IdempotencyKey.key == request.key))


def lookup(session: Session, request: Request, now: datetime | None = None) -> Found:
    """What an earlier request with this key left (read only)."""
    now = now or utcnow()
    found = _row(session, request)
    if found is None or found.created_at < now - LIFETIME:
        return Found()
    if (found.body_hash, found.method, found.path) != (
            request.body_hash, request.method, request.path):
        return Found(mismatch=True)
    if found.status_code is None:
        return Found(lost=True) if found.created_at < now - LEASE else Found(in_progress=True)
    return Found(stored=found)


def claim(session: Session, request: Request, now: datetime | None = None) -> None:
    """Insert the key in the caller's open write transaction (``tx.transaction`` runs this
    first); a twin holding it makes this ``InProgress``."""
    now = now or utcnow()
    session.execute(delete(IdempotencyKey).where(
        IdempotencyKey.user_key == request.user_key, IdempotencyKey.key == request.key,
        IdempotencyKey.created_at < now - LIFETIME))
    session.add(IdempotencyKey(user_key=request.user_key, key=request.key,
                               method=request.method, path=request.path,
                               body_hash=request.body_hash, created_at=now))
    try:
        session.flush()
    except IntegrityError as exc:
        raise InProgress("a request with this Idempotency-Key is still running") from exc
    session.claiming.append(request)


def complete(session: Session, request: Request, status: int, body: str,
             content_type: str, now: datetime | None = None) -> None:
    """Keep the response for repeats: on the key this request's work committed with, or,
    when it changed nothing (a refusal), on a new key. A server error is not kept. A lost
    connection is tried once more on a new one: the work is done, its answer should be
    kept."""
    ours = request in session.claimed
    if status >= 500:
        return
    now = now or utcnow()

    def work() -> None:
        row = _row(session, request)
        if row is not None and row.status_code is None and not ours:
            return  # a twin's key, its work still running: its own answer goes there
        if row is None:
            row = IdempotencyKey(user_key=request.user_key, key=request.key,
                                 method=request.method, path=request.path,
                                 body_hash=request.body_hash, created_at=now)
            session.add(row)
        elif row.status_code is not None:
            return
        row.status_code, row.response_body, row.content_type = status, body, content_type

    for attempt in (1, 2):
        try:
            tx.run(session, work)
            return
        except IntegrityError:  # a twin stored its response first
            session.rollback()
            return
        except OperationalError:  # the connection was lost (e.g. the database restarted)
            session.rollback()
            if attempt == 2:
                raise


def prune(session: Session, now: datetime | None = None) -> int:
    """Forget keys past their lifetime; returns how many."""
    cutoff = (now or utcnow()) - LIFETIME

    def work() -> int:
        return session.execute(delete(IdempotencyKey).where(
            IdempotencyKey.created_at < cutoff)).rowcount

    return tx.run(session, work)

"""Write transactions and the locks taken inside them.

Every write goes through ``run(session, work)``: on SQLite it starts with BEGIN IMMEDIATE
(writers queue for the lock instead of failing), on PostgreSQL a deadlock or serialization
failure is retried with the whole unit of work. The locks taken inside, and their order, are
the seat ledger's (``services.scheduling.seats``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from sis_appointments.domain.errors import Conflict, NotFound
from sis_appointments.services.platform.context import AppointmentsSession

T = TypeVar("T")
RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected


@contextmanager
def transaction(session: AppointmentsSession):
    """One write transaction: committed at the end of the block, rolled back on error."""
    if session.in_transaction():
        session.commit()  # end a read transaction the caller left open
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    first = list(session.on_begin)
    try:
        for step in first:  # kept until a commit: a retried transaction runs them again
            step(session)
        yield session
        session.commit()
        if first:
            session.on_begin = []
    except BaseException:
        session.rollback()
        raise
    if session.context.after_commit is not None:
        session.context.after_commit(session)  # announce the committed events (events.deliver)


def _retryable(exc: DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code in RETRYABLE_SQLSTATES or "database is locked" in str(exc.orig)


def run(session: AppointmentsSession, work: Callable[[], T], attempts: int = 5) -> T:
    """Run ``work`` in a write transaction, retrying it whole on deadlock or lock timeout.
    Inside a batch (``batch.run``) it runs in a savepoint of the batch's transaction."""
    if session.in_batch:
        with session.begin_nested():
            return work()
    for attempt in range(1, attempts + 1):
        try:
            with transaction(session):
                return work()
        except DBAPIError as exc:
            if attempt == attempts or not _retryable(exc):
                raise
            time.sleep(random.uniform(0, 0.01 * attempt))
    raise AssertionError("unreachable")


def note(session: Session, statement, lock_wait_ms: int = 200) -> None:
    """Run one write ``statement`` now or not at all, on a connection of its own (outside
    the session's unit of work): waiting at most ``lock_wait_ms`` for a lock another writer
    holds, never retried. For notes a request goes on without (a token's last use); raises
    DBAPIError when it could not write."""
    with session.get_bind().connect() as connection, connection.begin():
        if connection.dialect.name != "sqlite":
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(lock_wait_ms)}ms'")
            connection.execute(statement)
            return
        waited = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(lock_wait_ms)}")
        try:
            connection.execute(statement)
        finally:  # the pool's connection waits as configured again
            connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(waited)}")


def get(session: Session, model: type[T], row_id: int, what: str, options=()) -> T:
    """The row of ``model`` with ``row_id``, or NotFound naming ``what``."""
    row = session.get(model, row_id, options=list(options))
    if row is None:
        raise NotFound(f"{what} {row_id} does not exist")
    return row


def add_unique(session: Session, row, message: str, code: str):
    """Insert ``row``; a unique-constraint clash (a concurrent twin) becomes a Conflict."""
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(message, code=code) from exc
    return row

"""The plugin's engine and per-app-context session, on the host's database."""

from __future__ import annotations

import re
import uuid

from flask import current_app, g, has_request_context, request
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, sqlite_busy_timeout: float, pool_size: int = 10) -> Engine:
    """Create the engine; SQLite gets WAL, foreign keys, a busy timeout and explicit BEGIN."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, pool_size=pool_size,
                             max_overflow=pool_size)
    engine = create_engine(url, connect_args={"timeout": sqlite_busy_timeout})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # BEGIN is issued by _sqlite_begin below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(sqlite_busy_timeout * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection):
        # Write transactions ask for IMMEDIATE: they take the write lock up front and wait
        # for it (busy timeout) instead of failing later with 'database is locked'.
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def make_sessionmaker(engine: Engine, pm, settings: dict | None = None) -> sessionmaker[Session]:
    """Sessions carry the plugin manager and the plugin's settings in ``info``, so services
    reach the host and post-commit events reach the host and the outbox its webhooks."""
    return sessionmaker(bind=engine, expire_on_commit=False,
                        info={"pm": pm, "settings": settings or {}})


_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def request_id() -> str:
    """The current request's id: the caller's ``X-Request-ID`` if it is a plain token of at
    most 64 characters, else a new one. Audit rows written by the request carry it."""
    if "_appt_request_id" not in g:
        given = request.headers.get("X-Request-ID", "") if has_request_context() else ""
        g._appt_request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    return g._appt_request_id


def session() -> Session:
    """The session of the current app context, opened on first use, closed at teardown."""
    if "_appt_session" not in g:
        extra = {"info": {"request_id": request_id()}} if has_request_context() else {}
        g._appt_session = current_app.extensions["sis_appointments"].sessionmaker(**extra)
    return g._appt_session


def close_session(_exc: BaseException | None = None) -> None:
    db_session = g.pop("_appt_session", None)
    if db_session is not None:
        db_session.close()

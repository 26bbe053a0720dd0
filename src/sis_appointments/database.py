"""The plugin's engine and sessionmaker, on the host's database (no Flask here)."""

from __future__ import annotations

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from sis_appointments.services.platform import events
from sis_appointments.services.platform.context import AppointmentsSession, ServiceContext


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


def make_sessionmaker(engine: Engine, pm, settings: dict | None = None
                      ) -> sessionmaker[AppointmentsSession]:
    """Sessions carry a ``ServiceContext`` (the SIS's plugin manager, the plugin's settings),
    so services reach the SIS and the outbox its webhooks; after each commit their events
    are announced (listeners on this sessionmaker only: the SIS's own sessions run no plugin
    code)."""
    factory = sessionmaker(bind=engine, class_=AppointmentsSession, expire_on_commit=False,
                           context=ServiceContext(pm=pm, settings=settings or {}))
    events.attach(factory)
    return factory

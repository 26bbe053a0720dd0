"""Declarative base, naming convention and column types shared by the appt_* tables."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, MetaData, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

PREFIX = "appt_"

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator):
    """An instant: stored as UTC (naive on SQLite), always returned as an aware UTC datetime."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# A stopped clock for the current context: set only where SIS_APPOINTMENTS_FIXED_NOW is
# configured (web.fixed_clock sets it for each app context of that app), else unset.
FIXED_NOW: ContextVar[datetime | None] = ContextVar("sis_appointments_fixed_now", default=None)


def utcnow() -> datetime:
    """The current instant, aware, in UTC (the configured fixed instant, if any)."""
    return FIXED_NOW.get() or datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = metadata


class Timestamps:
    """created_at / updated_at columns filled by the database and the ORM."""

    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, server_default=func.current_timestamp()
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, server_default=func.current_timestamp()
    )

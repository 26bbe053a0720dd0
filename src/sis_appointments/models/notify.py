"""The notification outbox, preferences, in-app notifications, feed tokens and job leases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sis_appointments.models.base import Base, JSONType, Timestamps, UTCDateTime

OUTBOX_STATUSES = ("pending", "sent", "skipped", "dead")


class Notification(Timestamps, Base):
    """One message to one recipient on one channel, written in the transaction that caused it."""

    __tablename__ = "appt_notification"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'skipped', 'dead')", name="status"),
        Index("ix_appt_notification_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(64))
    recipient_key: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict] = mapped_column(JSONType, default=dict)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class NotificationPreference(Base):
    """Whether a user wants an event on a channel; options hold e.g. reminder lead times."""

    __tablename__ = "appt_notification_preference"

    user_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    event: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    options: Mapped[dict] = mapped_column(JSONType, default=dict)


class InAppNotification(Timestamps, Base):
    """A notification shown inside the SIS until the user marks it read."""

    __tablename__ = "appt_inapp_notification"
    __table_args__ = (Index("ix_appt_inapp_user_read", "user_key", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(500))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("appt_notification.id"),
                                                        unique=True)


class FeedToken(Timestamps, Base):
    """A user's private calendar subscription URL token; only its SHA-256 hash is stored."""

    __tablename__ = "appt_feed_token"

    user_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)


class JobLease(Base):
    """Who runs a background job now and when it last started: one runner per job at a time."""

    __tablename__ = "appt_job"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(100))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_result: Mapped[str | None] = mapped_column(Text)

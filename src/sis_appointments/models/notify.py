"""The notification outbox, users' notification preferences and in-app notifications."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sis_appointments.models.base import Base, JSONType, Timestamps, UTCDateTime

OUTBOX_STATUSES = ("pending", "sent", "dead")


class Notification(Timestamps, Base):
    """One message to one recipient on one channel, written in the transaction that caused it."""

    __tablename__ = "appt_notification"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'dead')", name="status"),
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
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("appt_notification.id"))

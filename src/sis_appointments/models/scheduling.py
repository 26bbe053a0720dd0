"""Appointment types, their hosts and series, materialised slots, bookings and waitlists."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sis_appointments.models.base import Base, JSONType, Timestamps, UTCDateTime

BOOKING_STATUSES = ("confirmed", "cancelled", "late_cancelled", "attended", "no_show", "excused")
INACTIVE_BOOKING_STATUSES = ("cancelled", "late_cancelled")
ACTIVE_BOOKING_STATUSES = tuple(s for s in BOOKING_STATUSES if s not in INACTIVE_BOOKING_STATUSES)
SLOT_STATUSES = ("open", "cancelled")
WAITLIST_STATUSES = ("waiting", "offered", "promoted", "left", "expired", "removed")
OPEN_WAITLIST_STATUSES = ("waiting", "offered")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


ACTIVE_BOOKING_SQL = _in("status", ACTIVE_BOOKING_STATUSES)
OPEN_WAITLIST_SQL = _in("status", OPEN_WAITLIST_STATUSES)


class AppointmentType(Timestamps, Base):
    """A template for appointments: how long, how many, when bookable, by whom."""

    __tablename__ = "appt_type"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="positive_duration"),
        CheckConstraint("capacity >= 1", name="positive_capacity"),
        CheckConstraint("buffer_before_minutes >= 0 AND buffer_after_minutes >= 0", name="buffers"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    duration_minutes: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    buffer_before_minutes: Mapped[int] = mapped_column(Integer, default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(Integer, default=0)
    location: Mapped[str | None] = mapped_column(String(200))
    online_url: Mapped[str | None] = mapped_column(String(500))
    timezone: Mapped[str] = mapped_column(String(64))
    min_notice_minutes: Mapped[int] = mapped_column(Integer, default=0)
    max_advance_days: Mapped[int | None] = mapped_column(Integer)
    cancel_cutoff_minutes: Mapped[int] = mapped_column(Integer, default=0)
    max_active_per_student: Mapped[int | None] = mapped_column(Integer)
    max_per_student_per_day: Mapped[int | None] = mapped_column(Integer)
    max_per_student_per_week: Mapped[int | None] = mapped_column(Integer)
    eligibility: Mapped[dict] = mapped_column(JSONType, default=dict)
    waitlist_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # students booking themselves must say what the appointment is about
    reason_required: Mapped[bool] = mapped_column(Boolean, default=False,
                                                  server_default=false())
    waitlist_size: Mapped[int | None] = mapped_column(Integer)
    offer_minutes: Mapped[int | None] = mapped_column(Integer)
    colour: Mapped[str | None] = mapped_column(String(7))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    hosts: Mapped[list[TypeHost]] = relationship(
        back_populates="type", cascade="all, delete-orphan"
    )


class TypeHost(Base):
    """A staff member (host key) who may host appointments of a type."""

    __tablename__ = "appt_type_host"

    type_id: Mapped[int] = mapped_column(
        ForeignKey("appt_type.id", ondelete="CASCADE"), primary_key=True
    )
    host_key: Mapped[str] = mapped_column(String(64), primary_key=True)

    type: Mapped[AppointmentType] = relationship(back_populates="hosts")


class Series(Timestamps, Base):
    """A recurring run of slots of one type and host: an RRULE in wall-clock time of a zone."""

    __tablename__ = "appt_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("appt_type.id"), index=True)
    host_key: Mapped[str] = mapped_column(String(64), index=True)
    timezone: Mapped[str] = mapped_column(String(64))
    start_local: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    rrule: Mapped[str] = mapped_column(Text)
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    exdates: Mapped[list] = mapped_column(JSONType, default=list)
    location: Mapped[str | None] = mapped_column(String(200))
    capacity: Mapped[int | None] = mapped_column(Integer)
    materialised_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Slot(Timestamps, Base):
    """A bookable occurrence: an interval in UTC, the zone it was defined in, and its seats."""

    __tablename__ = "appt_slot"
    __table_args__ = (
        CheckConstraint("booked <= capacity", name="booked_within_capacity"),
        CheckConstraint("booked >= 0", name="booked_not_negative"),
        CheckConstraint("capacity >= 1", name="positive_capacity"),
        CheckConstraint("end_utc > start_utc", name="ends_after_start"),
        CheckConstraint(_in("status", SLOT_STATUSES), name="status"),
        UniqueConstraint("series_id", "occurrence_local", name="uq_appt_slot_series_occurrence"),
        Index("ix_appt_slot_host_start", "host_key", "start_utc"),
        Index("ix_appt_slot_type_start", "type_id", "start_utc"),
        Index("ix_appt_slot_location_start", "location", "start_utc"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("appt_type.id"))
    series_id: Mapped[int | None] = mapped_column(ForeignKey("appt_series.id", ondelete="SET NULL"))
    occurrence_local: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    host_key: Mapped[str] = mapped_column(String(64))
    location: Mapped[str | None] = mapped_column(String(200))
    start_utc: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    end_utc: Mapped[datetime] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(String(64))
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    status: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    version: Mapped[int] = mapped_column(Integer, default=1)

    type: Mapped[AppointmentType] = relationship()
    bookings: Mapped[list[Booking]] = relationship(back_populates="slot")

    @property
    def remaining(self) -> int:
        """Seats still free, as loaded (the seat ledger, services.scheduling.seats, changes
        ``booked``)."""
        return max(self.capacity - self.booked, 0)

    @property
    def is_full(self) -> bool:
        return self.remaining == 0

    @property
    def place(self) -> str:
        """Where it happens: the slot's room, else its type's, else the type's online link."""
        return self.location or self.type.location or self.type.online_url or ""


class Booking(Timestamps, Base):
    """A student's seat in a slot; at most one active booking per student and slot."""

    __tablename__ = "appt_booking"
    __table_args__ = (
        CheckConstraint(_in("status", BOOKING_STATUSES), name="status"),
        Index(
            "uq_appt_booking_active_student_slot",
            "slot_id",
            "student_key",
            unique=True,
            sqlite_where=text(ACTIVE_BOOKING_SQL),
            postgresql_where=text(ACTIVE_BOOKING_SQL),
        ),
        Index("ix_appt_booking_student_status", "student_key", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("appt_slot.id"), index=True)
    student_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="confirmed")
    reason: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    booked_by: Mapped[str | None] = mapped_column(String(64))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by: Mapped[str | None] = mapped_column(String(64))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    attendance_marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attendance_marked_by: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)

    slot: Mapped[Slot] = relationship(back_populates="bookings")

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_BOOKING_STATUSES


class WaitlistEntry(Timestamps, Base):
    """A student waiting for a seat in a full slot; position is by creation time, then id."""

    __tablename__ = "appt_waitlist_entry"
    __table_args__ = (
        CheckConstraint(_in("status", WAITLIST_STATUSES), name="status"),
        Index(
            "uq_appt_waitlist_open_student_slot",
            "slot_id",
            "student_key",
            unique=True,
            sqlite_where=text(OPEN_WAITLIST_SQL),
            postgresql_where=text(OPEN_WAITLIST_SQL),
        ),
        Index("ix_appt_waitlist_queue", "slot_id", "status", "created_at", "id"),
        Index("ix_appt_waitlist_student", "student_key", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("appt_slot.id"))
    student_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("appt_booking.id"))

    slot: Mapped[Slot] = relationship()


class ConflictOverride(Timestamps, Base):
    """A conflict staff decided to keep, with their reason; the conflict query skips it."""

    __tablename__ = "appt_conflict_override"
    __table_args__ = (UniqueConstraint("kind", "subject", name="uq_appt_conflict_override"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(200))  # the sorted entity IDs, e.g. "12,40"
    reason: Mapped[str] = mapped_column(Text)
    actor_key: Mapped[str] = mapped_column(String(64))

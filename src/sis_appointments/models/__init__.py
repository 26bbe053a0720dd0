"""SQLAlchemy models of the plugin; every table is prefixed appt_."""

from sis_appointments.models.admin import (
    ApiToken,
    AuditEntry,
    IdempotencyKey,
    RoleGrant,
    Setting,
)
from sis_appointments.models.base import PREFIX, Base, UTCDateTime, metadata, utcnow
from sis_appointments.models.notify import (
    FeedToken,
    InAppNotification,
    JobLease,
    Notification,
    NotificationPreference,
)
from sis_appointments.models.scheduling import (
    ACTIVE_BOOKING_STATUSES,
    AppointmentType,
    Booking,
    ConflictOverride,
    Series,
    Slot,
    TypeHost,
    WaitlistEntry,
)

__all__ = [
    "ACTIVE_BOOKING_STATUSES",
    "PREFIX",
    "ApiToken",
    "AppointmentType",
    "AuditEntry",
    "Base",
    "Booking",
    "ConflictOverride",
    "FeedToken",
    "IdempotencyKey",
    "InAppNotification",
    "JobLease",
    "Notification",
    "NotificationPreference",
    "RoleGrant",
    "Series",
    "Setting",
    "Slot",
    "TypeHost",
    "UTCDateTime",
    "WaitlistEntry",
    "metadata",
    "utcnow",
]

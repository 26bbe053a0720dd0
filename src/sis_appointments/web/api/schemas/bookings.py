"""Bookings (``bookings_api``, booking through ``slots_api``): booking, what a booking
shows, the list query, rescheduling, attendance and a booking's history."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from sis_appointments.web.api.schemas.common import INT_MAX, Instant, Strict, Whole
from sis_appointments.web.api.schemas.slots import SlotOut


class BookingCreate(Strict):
    student = fields.String(validate=validate.Length(min=1, max=64))
    reason = fields.String(load_default="", validate=validate.Length(max=1000))
    override_reason = fields.String(validate=validate.Length(min=1, max=1000))


class BookingOut(Schema):
    id = fields.Integer()
    slot_id = fields.Integer()
    student = fields.String()
    status = fields.String()
    reason = fields.String()
    booked_by = fields.String(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    created_at = Instant()
    version = fields.Integer()
    slot = fields.Nested(SlotOut)


class BookingQuery(Strict):
    status = fields.String(validate=validate.OneOf(["upcoming", "past", "cancelled", "no_show"]))
    student = fields.String(validate=validate.Length(max=64))
    host = fields.String(validate=validate.Length(max=64))
    start = Instant()
    end = Instant()
    cursor = fields.String(validate=validate.Length(max=100))
    limit = Whole(load_default=100, validate=validate.Range(min=1, max=500))


class Reschedule(Strict):
    slot_id = Whole(required=True, validate=validate.Range(min=1, max=INT_MAX))
    override_reason = fields.String(validate=validate.Length(min=1, max=1000))


class Attendance(Strict):
    status = fields.String(required=True, validate=validate.OneOf(
        ["attended", "no_show", "excused", "confirmed"]))


class SlotTimeOut(Schema):
    """Where and when, in the zone of ``timezone`` (the caller's)."""

    slot_id = fields.Integer(allow_none=True)
    start = Instant()
    end = Instant()
    timezone = fields.String()
    location = fields.String(allow_none=True)


class ChangeOut(Schema):
    """One thing that happened to a booking, worded for the caller. ``actor`` and ``action``
    are shown to staff only; students see staff as their office and no staff notes."""

    at = Instant()
    kind = fields.String(metadata={"description": "waitlist_joined, offered, promoted, booked, "
                                                  "moved, place_changed, cancelled, attendance, "
                                                  "merged; other (staff only)"})
    summary = fields.String()
    by = fields.String(metadata={"description": "'you', a name or an office, 'the system'"})
    by_you = fields.Boolean()
    status = fields.String(allow_none=True)
    late = fields.Boolean(allow_none=True)
    reason = fields.String(allow_none=True)
    moved_from = fields.Nested(SlotTimeOut, data_key="from", allow_none=True)
    moved_to = fields.Nested(SlotTimeOut, data_key="to", allow_none=True)
    offer_expires_at = Instant(allow_none=True)
    actor = fields.String(attribute="actor_key", allow_none=True)
    action = fields.String(allow_none=True)


class HistoryOut(Schema):
    booking_id = fields.Integer()
    items = fields.List(fields.Nested(ChangeOut))

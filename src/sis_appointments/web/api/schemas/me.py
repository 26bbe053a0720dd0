"""The caller (``me_api``)."""

from __future__ import annotations

from marshmallow import Schema, fields

from sis_appointments.web.api.schemas.bookings import BookingOut


class MeOut(Schema):
    key = fields.String()
    name = fields.String()
    email = fields.String(allow_none=True)
    timezone = fields.String()
    roles = fields.List(fields.String())
    upcoming = fields.List(fields.Nested(BookingOut))

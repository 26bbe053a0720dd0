"""Waitlist places (``waitlist_api``, joining through ``slots_api``)."""

from __future__ import annotations

from marshmallow import Schema, fields

from sis_appointments.web.api.schemas.common import Instant


class WaitlistOut(Schema):
    id = fields.Integer()
    slot_id = fields.Integer()
    student = fields.String(attribute="student_key")
    status = fields.String()
    position = fields.Integer(allow_none=True)
    offer_expires_at = Instant(allow_none=True)

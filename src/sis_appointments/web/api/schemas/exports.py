"""CSV exports (``exports_api``): the range and filters of an export."""

from __future__ import annotations

from marshmallow import fields, validate

from sis_appointments.web.api.schemas.common import Instant, Strict


class Range(Strict):
    start = Instant(required=True)
    end = Instant(required=True)
    type_id = fields.Integer(validate=validate.Range(min=1, max=2147483647))
    host = fields.String(validate=validate.Length(min=1, max=64))
    status = fields.String(validate=validate.Length(min=1, max=16))

"""CSV exports (``exports_api``): the range and filters of an export."""

from __future__ import annotations

from marshmallow import fields, validate

from sis_appointments.web.api.schemas.common import INT_MAX, Instant, Strict, Whole


class Range(Strict):
    start = Instant(required=True)
    end = Instant(required=True)
    type_id = Whole(validate=validate.Range(min=1, max=INT_MAX))
    host = fields.String(validate=validate.Length(min=1, max=64))
    status = fields.String(validate=validate.Length(min=1, max=16))

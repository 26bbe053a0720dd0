"""Calendar files and the private feed (``calendar_api``)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validates_schema

from sis_appointments.web.api.schemas.common import Instant, Strict


class CalendarQuery(Strict):
    """An optional range of a calendar file: from ``start`` (default 60 days ago) to ``end``
    (default open)."""

    start = Instant()
    end = Instant()

    @validates_schema
    def _range(self, data, **kwargs):
        if "start" in data and "end" in data and data["end"] <= data["start"]:
            raise ValidationError("end must be after start", "end")


class FeedOut(Schema):
    url = fields.String()
    token = fields.String()

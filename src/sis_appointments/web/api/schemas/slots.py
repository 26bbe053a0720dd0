"""Slots (``slots_api``): the range query, what a slot shows, creating and changing one."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from sis_appointments.web.api.schemas.common import INT_MAX, Instant, Span, Strict, Whole, _zone


class SlotQuery(Span):
    start = Instant(required=True)
    end = Instant(required=True)
    type = Whole(validate=validate.Range(min=1, max=INT_MAX))
    host = fields.String(validate=validate.Length(max=64))
    location = fields.String(validate=validate.Length(max=200))
    available_only = fields.Boolean(load_default=False)
    tz = fields.String(validate=_zone)
    cursor = fields.String(validate=validate.Length(max=100))
    limit = Whole(load_default=100, validate=validate.Range(min=1, max=500))

    @validates_schema
    def _range(self, data, **kwargs):
        if "start" in data and "end" in data and (data["end"] - data["start"]).days > 366:
            raise ValidationError("a range may span at most 366 days", "end")


class SlotOut(Schema):
    """Times carry the offset of ``timezone``: the zone asked for (``tz``) or the slot's own."""

    id = fields.Integer()
    type_id = fields.Integer()
    series_id = fields.Integer(allow_none=True)
    host = fields.String()
    location = fields.String(allow_none=True)
    start = Instant()
    end = Instant()
    timezone = fields.String()
    capacity = fields.Integer()
    booked = fields.Integer()
    remaining = fields.Integer()
    waitlist_length = fields.Integer()
    status = fields.String()
    version = fields.Integer()


class SlotCreate(Strict):
    type_id = Whole(required=True, validate=validate.Range(min=1, max=INT_MAX))
    host = fields.String(required=True, validate=validate.Length(min=1, max=64))
    start = Instant(required=True)
    end = Instant(required=True)
    split = fields.Boolean(load_default=True)
    location = fields.String(allow_none=True, validate=validate.Length(max=200))
    capacity = Whole(allow_none=True, validate=validate.Range(min=1, max=100000))


class SlotUpdate(Strict):
    start = Instant()
    end = Instant()
    location = fields.String(validate=validate.Length(max=200))
    capacity = Whole(validate=validate.Range(min=1, max=100000))

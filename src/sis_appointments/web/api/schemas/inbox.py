"""The caller's in-app notifications and notification preferences (``inbox_api``)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from sis_appointments.web.api.schemas.common import INT_MAX, Instant, Strict, Whole


class InAppOut(Schema):
    id = fields.Integer()
    title = fields.String()
    body = fields.String()
    link = fields.String(allow_none=True)
    created_at = Instant()
    read_at = Instant(allow_none=True)


class InAppList(Schema):
    items = fields.List(fields.Nested(InAppOut))
    unread = fields.Integer()


class InAppQuery(Strict):
    unread = fields.Boolean(load_default=False)
    before = Whole(validate=validate.Range(min=1, max=INT_MAX))
    limit = Whole(load_default=50, validate=validate.Range(min=1, max=200))


class Marked(Schema):
    marked_read = fields.Integer()


class Preferences(Schema):
    channels = fields.List(fields.String())
    events = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    reminder_lead_minutes = fields.List(fields.Integer())
    locked = fields.List(fields.Dict())


class PreferencesIn(Strict):
    events = fields.Dict(keys=fields.String(validate=validate.Length(max=64)),
                         values=fields.List(fields.String(validate=validate.Length(max=32)),
                                            validate=validate.Length(max=20)),
                         validate=validate.Length(max=20))
    reminder_lead_minutes = fields.List(Whole(validate=validate.Range(min=5, max=43200)),
                                        validate=validate.Length(max=5))

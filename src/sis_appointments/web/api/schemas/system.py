"""Admin (``system_api``): system settings, the notification outbox, background jobs."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from sis_appointments.web.api.schemas.common import Instant, Strict, Whole


class OutboxQuery(Strict):
    status = fields.String(load_default="dead", validate=validate.OneOf(
        ["pending", "sent", "skipped", "dead"]))
    limit = Whole(load_default=100, validate=validate.Range(min=1, max=500))


class OutboxOut(Schema):
    id = fields.Integer()
    event = fields.String()
    recipient = fields.String(attribute="recipient_key")
    channel = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    next_attempt_at = Instant(allow_none=True)
    last_error = fields.String(allow_none=True)
    sent_at = Instant(allow_none=True)
    dedupe_key = fields.String()
    created_at = Instant()


class SettingIn(Strict):
    value = fields.Raw(required=True)


class JobOut(Schema):
    name = fields.String()
    every_seconds = fields.Integer()
    running = fields.Boolean()
    last_started_at = Instant(allow_none=True)
    last_finished_at = Instant(allow_none=True)
    last_result = fields.String(allow_none=True)


class SettingsOut(Schema):
    horizon_days = fields.Integer()
    reminder_lead_minutes = fields.List(fields.Integer())
    reminder_grace_minutes = fields.Integer()
    notify_student = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    notify_staff = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    digest_hour = fields.Integer()

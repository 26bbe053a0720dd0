"""Personal API tokens (``tokens_api``)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from sis_appointments.services.accounts import tokens
from sis_appointments.web.api.schemas.common import Instant, Strict, Whole


class TokenCreate(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=tokens.NAME_MAX))
    scope = fields.String(load_default="read", validate=validate.OneOf(tokens.SCOPES))
    expires_in_days = Whole(load_default=tokens.DAYS_DEFAULT,
                                     validate=validate.Range(min=1, max=tokens.DAYS_MAX))
    user = fields.String(validate=validate.Length(min=1, max=64))


class TokenOut(Schema):
    id = fields.Integer()
    name = fields.String()
    user = fields.String(attribute="user_key")
    prefix = fields.String()
    scopes = fields.String()
    expires_at = Instant(allow_none=True)
    last_used_at = Instant(allow_none=True)
    revoked_at = Instant(allow_none=True)
    created_at = Instant()
    token = fields.String(dump_only=True, metadata={"description": "shown once, at creation"})

"""Appointment types (``types_api``): their editable fields, limited by
domain.type_limits, and the recurrence preview."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from sis_appointments.domain import type_limits as limits
from sis_appointments.web.api.schemas.common import Instant, LocalTime, Strict, Whole, _zone


class Eligibility(Strict):
    programs = fields.List(fields.String(validate=validate.Length(max=limits.GROUP_NAME_LENGTH)))
    cohorts = fields.List(fields.String(validate=validate.Length(max=limits.GROUP_NAME_LENGTH)))


def _whole(name: str, **kwargs) -> Whole:
    limit = limits.NUMBERS[name]
    return Whole(allow_none=limit.optional,
                          validate=validate.Range(min=limit.low, max=limit.high), **kwargs)


def _text(name: str, field=fields.String, **kwargs) -> fields.Field:
    return field(allow_none=name in limits.OPTIONAL_TEXT,
                 validate=validate.Length(min=1 if name == "name" else 0,
                                          max=limits.TEXT[name]), **kwargs)


_HOSTS = fields.String(validate=validate.Length(min=1, max=limits.HOST_KEY_LENGTH))


TypeFields = type("TypeFields", (Strict,), {
    "__doc__": "The editable fields of an appointment type, limited by domain.type_limits.",
    **{name: _whole(name) for name in limits.NUMBERS},
    **{name: _text(name) for name in limits.TEXT},
    "online_url": _text("online_url", fields.Url),
    "timezone": fields.String(validate=_zone),
    "eligibility": fields.Nested(Eligibility),
    "waitlist_enabled": fields.Boolean(),
    "reason_required": fields.Boolean(metadata={
        "description": "students booking themselves must give a reason (what it is about)"}),
    "colour": fields.String(allow_none=True, validate=validate.Regexp(f"^{limits.COLOUR}$")),
    "hosts": fields.List(_HOSTS, validate=validate.Length(min=1)),
})


class TypeCreate(TypeFields):
    name = _text("name", required=True)
    duration_minutes = _whole("duration_minutes", required=True)
    timezone = fields.String(required=True, validate=_zone)
    hosts = fields.List(_HOSTS, required=True, validate=validate.Length(min=1))


class TypeOut(TypeFields):
    id = fields.Integer()
    active = fields.Boolean()
    version = fields.Integer()
    hosts = fields.Method("_hosts")

    def _hosts(self, obj):
        return sorted(h.host_key for h in obj.hosts)


class PreviewIn(Strict):
    start_local = LocalTime(required=True)
    timezone = fields.String(required=True, validate=_zone)
    rrule = fields.String(required=True, validate=validate.Length(min=1, max=500))
    duration_minutes = Whole(required=True, validate=validate.Range(min=1, max=1440))
    exdates = fields.List(LocalTime(), load_default=list, validate=validate.Length(max=500))
    count = Whole(load_default=20, validate=validate.Range(min=1, max=200))


class OccurrenceOut(Schema):
    local_start = fields.NaiveDateTime()
    start = Instant()
    end = Instant()
    dst_adjusted = fields.Boolean()

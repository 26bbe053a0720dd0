"""Marshmallow schemas of API v1: what each request may set and what each response shows.

Request schemas list only the fields their action allows, and unknown fields are refused,
so a student cannot set ``status``, ``student`` or ``capacity`` by adding them to a body.
"""

from __future__ import annotations

from collections.abc import Mapping

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates_schema,
)

from sis_appointments.domain import type_limits as limits
from sis_appointments.domain.timezones import zone


def _nul_free(value, path="") -> None:
    """Refuse NUL characters anywhere: databases cannot store them in text."""
    if isinstance(value, str) and "\x00" in value:
        raise ValidationError("must not contain NUL characters", path or "_schema")
    if isinstance(value, Mapping):
        for key, item in value.items():
            _nul_free(key, path)
            _nul_free(item, str(key))
    elif isinstance(value, list | tuple):
        for item in value:
            _nul_free(item, path)


class Strict(Schema):
    class Meta:
        unknown = RAISE

    @pre_load
    def _no_nul(self, data, **kwargs):
        _nul_free(data)
        return data


def _zone(value: str) -> None:
    try:
        zone(value)
    except Exception as exc:
        raise ValidationError(f"{value!r} is not an IANA time zone") from exc


Instant = fields.AwareDateTime  # ISO 8601 with an offset; naive times are refused


class Problem(Schema):
    """An RFC 9457 problem (application/problem+json)."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    code = fields.String()
    errors = fields.Dict()
    state = fields.Dict()


class Eligibility(Strict):
    programs = fields.List(fields.String(validate=validate.Length(max=limits.GROUP_NAME_LENGTH)))
    cohorts = fields.List(fields.String(validate=validate.Length(max=limits.GROUP_NAME_LENGTH)))


def _whole(name: str, **kwargs) -> fields.Integer:
    limit = limits.NUMBERS[name]
    return fields.Integer(allow_none=limit.optional,
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
    start_local = fields.NaiveDateTime(required=True)
    timezone = fields.String(required=True, validate=_zone)
    rrule = fields.String(required=True, validate=validate.Length(min=1, max=500))
    duration_minutes = fields.Integer(required=True, validate=validate.Range(min=1, max=1440))
    exdates = fields.List(fields.NaiveDateTime(), load_default=list)
    count = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))


class OccurrenceOut(Schema):
    local_start = fields.NaiveDateTime()
    start = Instant()
    end = Instant()
    dst_adjusted = fields.Boolean()


class SlotQuery(Strict):
    start = Instant(required=True)
    end = Instant(required=True)
    type = fields.Integer()
    host = fields.String(validate=validate.Length(max=64))
    location = fields.String(validate=validate.Length(max=200))
    available_only = fields.Boolean(load_default=False)
    tz = fields.String(validate=_zone)
    cursor = fields.String(validate=validate.Length(max=100))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))

    @validates_schema
    def _range(self, data, **kwargs):
        if "start" in data and "end" in data:
            if data["end"] <= data["start"]:
                raise ValidationError("end must be after start", "end")
            if (data["end"] - data["start"]).days > 366:
                raise ValidationError("a range may span at most 366 days", "end")


class CalendarQuery(Strict):
    """An optional range of a calendar file: from ``start`` (default 60 days ago) to ``end``
    (default open)."""

    start = Instant()
    end = Instant()

    @validates_schema
    def _range(self, data, **kwargs):
        if "start" in data and "end" in data and data["end"] <= data["start"]:
            raise ValidationError("end must be after start", "end")


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
    type_id = fields.Integer(required=True)
    host = fields.String(required=True, validate=validate.Length(min=1, max=64))
    start = Instant(required=True)
    end = Instant(required=True)
    split = fields.Boolean(load_default=True)
    location = fields.String(allow_none=True, validate=validate.Length(max=200))
    capacity = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=100000))


class SlotUpdate(Strict):
    start = Instant()
    end = Instant()
    location = fields.String(validate=validate.Length(max=200))
    capacity = fields.Integer(validate=validate.Range(min=1, max=100000))


class Reason(Strict):
    reason = fields.String(load_default="", validate=validate.Length(max=1000))


class BookingCreate(Strict):
    student = fields.String(validate=validate.Length(min=1, max=64))
    reason = fields.String(load_default="", validate=validate.Length(max=1000))
    override_reason = fields.String(validate=validate.Length(min=1, max=1000))


class BookingOut(Schema):
    id = fields.Integer()
    slot_id = fields.Integer()
    student = fields.String()
    status = fields.String()
    reason = fields.String()
    booked_by = fields.String(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    created_at = Instant()
    version = fields.Integer()
    slot = fields.Nested(SlotOut)


class BookingQuery(Strict):
    status = fields.String(validate=validate.OneOf(["upcoming", "past", "cancelled", "no_show"]))
    student = fields.String(validate=validate.Length(max=64))
    host = fields.String(validate=validate.Length(max=64))
    start = Instant()
    end = Instant()
    cursor = fields.String(validate=validate.Length(max=100))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class Reschedule(Strict):
    slot_id = fields.Integer(required=True)
    override_reason = fields.String(validate=validate.Length(min=1, max=1000))


class Attendance(Strict):
    status = fields.String(required=True, validate=validate.OneOf(
        ["attended", "no_show", "excused", "confirmed"]))


class WaitlistOut(Schema):
    id = fields.Integer()
    slot_id = fields.Integer()
    student = fields.String(attribute="student_key")
    status = fields.String()
    position = fields.Integer(allow_none=True)
    offer_expires_at = Instant(allow_none=True)


class SlotTimeOut(Schema):
    """Where and when, in the zone of ``timezone`` (the caller's)."""

    slot_id = fields.Integer(allow_none=True)
    start = Instant()
    end = Instant()
    timezone = fields.String()
    location = fields.String(allow_none=True)


class ChangeOut(Schema):
    """One thing that happened to a booking, worded for the caller. ``actor`` and ``action``
    are shown to staff only; students see staff as their office and no staff notes."""

    at = Instant()
    kind = fields.String(metadata={"description": "waitlist_joined, offered, promoted, booked, "
                                                  "moved, place_changed, cancelled, attendance, "
                                                  "merged; other (staff only)"})
    summary = fields.String()
    by = fields.String(metadata={"description": "'you', a name or an office, 'the system'"})
    by_you = fields.Boolean()
    status = fields.String(allow_none=True)
    late = fields.Boolean(allow_none=True)
    reason = fields.String(allow_none=True)
    moved_from = fields.Nested(SlotTimeOut, data_key="from", allow_none=True)
    moved_to = fields.Nested(SlotTimeOut, data_key="to", allow_none=True)
    offer_expires_at = Instant(allow_none=True)
    actor = fields.String(attribute="actor_key", allow_none=True)
    action = fields.String(allow_none=True)


class HistoryOut(Schema):
    booking_id = fields.Integer()
    items = fields.List(fields.Nested(ChangeOut))


class MeOut(Schema):
    key = fields.String()
    name = fields.String()
    email = fields.String(allow_none=True)
    timezone = fields.String()
    roles = fields.List(fields.String())
    upcoming = fields.List(fields.Nested(BookingOut))


class TokenCreate(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    scope = fields.String(load_default="read", validate=validate.OneOf(["read", "write"]))
    expires_in_days = fields.Integer(load_default=90, validate=validate.Range(min=1, max=365))
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
    before = fields.Integer(validate=validate.Range(min=1, max=2147483647))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


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
    reminder_lead_minutes = fields.List(fields.Integer(), validate=validate.Length(max=5))


class FeedOut(Schema):
    url = fields.String()
    token = fields.String()


class Range(Strict):
    start = Instant(required=True)
    end = Instant(required=True)
    type_id = fields.Integer(validate=validate.Range(min=1, max=2147483647))
    host = fields.String(validate=validate.Length(min=1, max=64))
    status = fields.String(validate=validate.Length(min=1, max=16))


class OutboxQuery(Strict):
    status = fields.String(load_default="dead", validate=validate.OneOf(
        ["pending", "sent", "skipped", "dead"]))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


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

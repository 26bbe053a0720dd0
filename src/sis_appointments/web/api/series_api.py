"""Recurring series: create one (its slots are materialised up to the horizon), and edit an
occurrence with scope this, following or all."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from sis_appointments.services.scheduling import series
from sis_appointments.web import ID, db
from sis_appointments.web.api.auth import actor
from sis_appointments.web.api.groups import Blueprint
from sis_appointments.web.api.schemas.common import INT_MAX, LocalTime, Strict, Whole, _zone

blp = Blueprint("appointments_api_series", __name__, url_prefix="/series", group="Recurring slots",
                description=("Slots that repeat (e.g. every Tuesday at 10:00): create a series, "
                             "change one occurrence or the ones after it"))


class SeriesCreate(Strict):
    type_id = Whole(required=True, validate=validate.Range(min=1, max=INT_MAX))
    host = fields.String(required=True, validate=validate.Length(min=1, max=64))
    start_local = LocalTime(required=True)
    rrule = fields.String(required=True, validate=validate.Length(min=1, max=500))
    timezone = fields.String(validate=_zone)
    exdates = fields.List(LocalTime(), load_default=list, validate=validate.Length(max=500))
    location = fields.String(allow_none=True, validate=validate.Length(max=200))
    capacity = Whole(allow_none=True, validate=validate.Range(min=1, max=100000))


class SeriesOut(Schema):
    id = fields.Integer()
    type_id = fields.Integer()
    host = fields.String(attribute="host_key")
    start_local = fields.NaiveDateTime()
    timezone = fields.String()
    rrule = fields.String()
    location = fields.String(allow_none=True)
    version = fields.Integer()


class SeriesEdit(Strict):
    scope = fields.String(required=True, validate=validate.OneOf(series.SCOPES))
    new_local_start = LocalTime()
    duration_minutes = Whole(validate=validate.Range(min=1, max=1440))
    location = fields.String(validate=validate.Length(max=200))
    capacity = Whole(validate=validate.Range(min=1, max=100000))


class EditOut(Schema):
    conflicts = fields.List(fields.Dict())


@blp.route("", methods=["POST"])
@blp.arguments(SeriesCreate)
@blp.response(201, SeriesOut)
def create_series(body):
    """Create a series; refused whole if any occurrence collides or the rule is empty."""
    return series.create(db.session(), actor=actor(), type_id=body["type_id"],
                         host_key=body["host"], start_local=body["start_local"],
                         rrule=body["rrule"], timezone=body.get("timezone"),
                         exdates=[d.isoformat() for d in body["exdates"]],
                         location=body.get("location"), capacity=body.get("capacity"))


@blp.route(f"/occurrences/<{ID}:slot_id>", methods=["PATCH"])
@blp.arguments(SeriesEdit)
@blp.response(200, EditOut)
def edit_occurrence(body, slot_id: int):
    """Edit the series slot `slot_id`: only it, it and the following ones, or all future
    ones. Bookings stay with their slots; the conflicts that leaves are returned."""
    scope = body.pop("scope")
    return {"conflicts": series.edit(db.session(), actor=actor(), slot_id=slot_id,
                                     scope=scope, **body)}

"""Conflicts over a range and their resolution (staff)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from sis_appointments.services.scheduling import conflicts
from sis_appointments.web import db
from sis_appointments.web.api.auth import actor
from sis_appointments.web.api.groups import Blueprint
from sis_appointments.web.api.schemas.common import INT_MAX, Instant, Span, Strict, Whole
from sis_appointments.web.api.serialize import bookings_json

blp = Blueprint("appointments_api_conflicts", __name__, url_prefix="/conflicts", group="Conflicts",
                description=("Clashes between slots and bookings on the calendars you manage, "
                             "and resolving them"))


class Range(Span):
    start = Instant(required=True)
    end = Instant(required=True)


class ConflictOut(Schema):
    kind = fields.String()
    subject = fields.String()
    slot_ids = fields.List(fields.Integer())
    booking_ids = fields.List(fields.Integer())
    parties = fields.Dict()


class Resolution(Strict):
    action = fields.String(required=True, validate=validate.OneOf(
        ["cancel_slot", "cancel_booking", "move", "override"]))
    kind = fields.String(validate=validate.OneOf(conflicts.KINDS))
    subject = fields.String(validate=validate.Length(min=1, max=200))
    slot_id = Whole(validate=validate.Range(min=1, max=INT_MAX))
    booking_id = Whole(validate=validate.Range(min=1, max=INT_MAX))
    target_slot_id = Whole(validate=validate.Range(min=1, max=INT_MAX))
    reason = fields.String(load_default="", validate=validate.Length(max=1000))


class ResolutionOut(Schema):
    action = fields.String()
    done = fields.Boolean()
    moved = fields.List(fields.Dict())


@blp.route("")
@blp.arguments(Range, location="query")
@blp.response(200, ConflictOut(many=True))
def list_conflicts(query):
    """Every conflict among open slots and active bookings starting in the range."""
    return conflicts.find_for(db.session(), actor=actor(), start=query["start"],
                              end=query["end"])


@blp.route("/resolve", methods=["POST"])
@blp.arguments(Resolution)
@blp.response(200, ResolutionOut)
def resolve(body):
    """Cancel a slot or a booking, move a slot's bookings to another slot (all or
    nothing), or keep the conflict with a reason."""
    moved = conflicts.resolve(db.session(), actor=actor(), **body)
    return {"action": body["action"], "done": True, "moved": bookings_json(moved)}

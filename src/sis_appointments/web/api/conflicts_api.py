"""Conflicts over a range, their resolution, and the audit log (staff and admins)."""

from __future__ import annotations

from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from sis_appointments.domain.errors import Forbidden
from sis_appointments.models import AuditEntry
from sis_appointments.services.scheduling import booking, conflicts, slots
from sis_appointments.web import db
from sis_appointments.web.api import actor, paging
from sis_appointments.web.api.schemas import Instant, Strict
from sis_appointments.web.api.serialize import booking_json

blp = Blueprint("appointments_api_conflicts", __name__, url_prefix="/conflicts",
                description="Conflicts and their resolution (staff)")
audit_blp = Blueprint("appointments_api_audit", __name__, url_prefix="/audit",
                      description="The audit log (admins)")


class Range(Strict):
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
    slot_id = fields.Integer(validate=validate.Range(min=1, max=2147483647))
    booking_id = fields.Integer(validate=validate.Range(min=1, max=2147483647))
    target_slot_id = fields.Integer(validate=validate.Range(min=1, max=2147483647))
    reason = fields.String(load_default="", validate=validate.Length(max=1000))


class ResolutionOut(Schema):
    action = fields.String()
    done = fields.Boolean()
    moved = fields.List(fields.Dict())


def _staff() -> None:
    if not actor().has_role("staff", "admin"):
        raise Forbidden("only staff see and resolve conflicts")


@blp.route("")
@blp.arguments(Range, location="query")
@blp.response(200, ConflictOut(many=True))
def list_conflicts(query):
    """Every conflict among open slots and active bookings starting in the range."""
    _staff()
    if (query["end"] - query["start"]).days > 366:
        abort(422, message="a range may span at most 366 days", code="range_too_long")
    return conflicts.find(db.session(), query["start"], query["end"])


@blp.route("/resolve", methods=["POST"])
@blp.arguments(Resolution)
@blp.response(200, ResolutionOut)
def resolve(body):
    """Cancel a slot or a booking, move a slot's bookings to another slot (all or
    nothing), or keep the conflict with a reason."""
    _staff()
    session, who, action = db.session(), actor(), body["action"]
    needs = {"cancel_slot": ("slot_id",), "cancel_booking": ("booking_id",),
             "move": ("slot_id", "target_slot_id"), "override": ("kind", "subject", "reason")}
    missing = [f for f in needs[action] if not body.get(f)]
    if missing:
        abort(422, message=f"{action} needs {', '.join(missing)}", code="missing_fields",
              errors={f: ["Missing data for required field."] for f in missing})
    moved = []
    if action == "cancel_slot":
        slots.cancel(session, actor=who, slot_id=body["slot_id"], reason=body["reason"])
    elif action == "cancel_booking":
        booking.cancel(session, actor=who, booking_id=body["booking_id"], reason=body["reason"])
    elif action == "move":
        moved = [booking_json(b) for b in conflicts.move_bookings(
            session, actor=who, from_slot_id=body["slot_id"],
            to_slot_id=body["target_slot_id"])]
    else:
        conflicts.override(session, actor=who, kind=body["kind"], subject=body["subject"],
                           reason=body["reason"])
    return {"action": action, "done": True, "moved": moved}


class AuditQuery(Strict):
    entity_type = fields.String(validate=validate.Length(max=32))
    entity_id = fields.String(validate=validate.Length(max=64))
    actor = fields.String(validate=validate.Length(max=64))
    cursor = fields.String(validate=validate.Length(max=100))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class AuditOut(Schema):
    id = fields.Integer()
    at = Instant()
    actor = fields.String(attribute="actor_key", allow_none=True)
    action = fields.String()
    entity_type = fields.String()
    entity_id = fields.String(allow_none=True)
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)
    reason = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)


class AuditPage(Schema):
    items = fields.List(fields.Nested(AuditOut))
    next = fields.String(allow_none=True)


@audit_blp.route("")
@audit_blp.arguments(AuditQuery, location="query")
@audit_blp.response(200, AuditPage)
def list_audit(query):
    """Audit entries, newest first (admins only)."""
    if not actor().has_role("admin"):
        raise Forbidden("only admins read the audit log")
    stmt = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(
        query["limit"] + 1)
    for column, key in ((AuditEntry.entity_type, "entity_type"),
                        (AuditEntry.entity_id, "entity_id"), (AuditEntry.actor_key, "actor")):
        if query.get(key):
            stmt = stmt.where(column == query[key])
    after = paging.decode(query.get("cursor"))
    if after is not None:
        stmt = stmt.where((AuditEntry.at < after[0])
                          | ((AuditEntry.at == after[0]) & (AuditEntry.id < after[1])))
    return paging.page(list(db.session().scalars(stmt)), lambda e: (e.at, e.id),
                       query["limit"])

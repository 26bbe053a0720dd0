"""POST /batch: create, change or cancel many slots or bookings in one request."""

from __future__ import annotations

from datetime import datetime

from flask_smorest import abort
from marshmallow import Schema, ValidationError, fields, validate

from sis_appointments.services.platform import batch
from sis_appointments.services.scheduling import booking, slots
from sis_appointments.web import db
from sis_appointments.web.api.auth import actor
from sis_appointments.web.api.groups import Blueprint
from sis_appointments.web.api.schemas.bookings import BookingCreate
from sis_appointments.web.api.schemas.common import INT_MAX, Problem, Reason, Strict, Whole
from sis_appointments.web.api.schemas.slots import SlotCreate, SlotUpdate
from sis_appointments.web.api.serialize import booking_json, slot_json

blp = Blueprint("appointments_api_batch", __name__, url_prefix="/batch", group="Batch changes",
                description=("Create, change or cancel many slots or bookings in one request: "
                             "all or nothing, or as many as succeed"))
ID = Whole(required=True, validate=validate.Range(min=1, max=INT_MAX))


class _Op(Strict):
    op = fields.String(required=True)


class CreateSlotsOp(_Op, SlotCreate):
    pass


class UpdateSlotOp(_Op, SlotUpdate):
    slot_id = ID


class CancelSlotOp(_Op, Reason):
    slot_id = ID


class BookOp(_Op, BookingCreate):
    slot_id = ID


class CancelBookingOp(_Op, Reason):
    booking_id = ID


OPERATIONS = {
    "create_slots": (CreateSlotsOp, lambda s, a, b: [slot_json(x) for x in slots.create_custom(
        s, actor=a, type_id=b["type_id"], host_key=b["host"], start=b["start"], end=b["end"],
        split=b["split"], location=b.get("location"), capacity=b.get("capacity"))]),
    "update_slot": (UpdateSlotOp, lambda s, a, b: {"conflicts": slots.update(
        s, actor=a, slot_id=b["slot_id"], **{k: v for k, v in b.items()
                                             if k not in ("op", "slot_id")})}),
    "cancel_slot": (CancelSlotOp, lambda s, a, b: slot_json(slots.cancel(
        s, actor=a, slot_id=b["slot_id"], reason=b["reason"]))),
    "book": (BookOp, lambda s, a, b: booking_json(booking.book(
        s, actor=a, slot_id=b["slot_id"], student_key=b.get("student"), reason=b["reason"],
        override_reason=b.get("override_reason")))),
    "cancel_booking": (CancelBookingOp, lambda s, a, b: booking_json(booking.cancel(
        s, actor=a, booking_id=b["booking_id"], reason=b["reason"]))),
}


class BatchIn(Strict):
    mode = fields.String(load_default="all_or_nothing",
                         validate=validate.OneOf(["all_or_nothing", "best_effort"]))
    operations = fields.List(fields.Dict(), required=True, validate=validate.Length(
        min=1, max=batch.MAX_OPERATIONS), metadata={"description": "each with an 'op' of "
                                                    + ", ".join(OPERATIONS)})


class Report(Schema):
    index = fields.Integer()
    ok = fields.Boolean()
    rolled_back = fields.Boolean()
    result = fields.Raw()
    error = fields.Nested(Problem)


class BatchOut(Schema):
    mode = fields.String()
    applied = fields.Boolean()
    results = fields.List(fields.Nested(Report))


def _iso(value):
    """A result with its times as ISO 8601 with their offset, as every other answer gives
    them (`fields.Raw` would leave them to Flask's RFC 1123 dates)."""
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value.isoformat() if isinstance(value, datetime) else value


@blp.route("", methods=["POST"])
@blp.arguments(BatchIn)
@blp.response(200, BatchOut)
def run_batch(body):
    """Run the operations in order. `all_or_nothing` (default) applies all or none;
    `best_effort` applies those that succeed. Each gets a report."""
    parsed, errors = [], {}
    for index, raw in enumerate(body["operations"]):
        kind = OPERATIONS.get(raw.get("op")) if isinstance(raw.get("op"), str) else None
        if kind is None:
            errors[str(index)] = {"op": [f"must be one of {', '.join(OPERATIONS)}"]}
            continue
        try:
            parsed.append((kind[1], kind[0]().load(raw)))
        except ValidationError as exc:
            errors[str(index)] = exc.messages
    if errors:
        abort(422, message="some operations are not valid; nothing was run",
              code="invalid_operations", errors=errors)
    session, who = db.session(), actor()
    applied, reports = batch.run(
        session, [lambda f=f, b=b: f(session, who, b) for f, b in parsed],
        all_or_nothing=body["mode"] == "all_or_nothing")
    for report in reports:
        if "result" in report:
            report["result"] = _iso(report["result"])
        if "error" in report:
            error = report["error"]
            report["error"] = {"type": f"urn:sis-appointments:problem:{error.code}",
                               "status": error.status, "code": error.code,
                               "detail": error.message, "state": error.details}
    return {"mode": body["mode"], "applied": applied, "results": reports}

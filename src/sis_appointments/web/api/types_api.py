"""Appointment types: list, create, read, update (If-Match), archive, recurrence preview."""

from __future__ import annotations

from datetime import timedelta

from flask import request
from flask_smorest import abort

from sis_appointments.domain.recurrence import Recurrence
from sis_appointments.models import AppointmentType
from sis_appointments.services.scheduling import appointment_types
from sis_appointments.web import ID, db
from sis_appointments.web.api.auth import actor
from sis_appointments.web.api.groups import Blueprint
from sis_appointments.web.api.schemas.appointment_types import (
    OccurrenceOut,
    PreviewIn,
    TypeCreate,
    TypeFields,
    TypeOut,
)

blp = Blueprint("appointments_api_types", __name__, url_prefix="/appointment-types",
                group="Appointment types",
                description=("Kinds of appointment (e.g. advising, 30 minutes): their hosts, "
                             "rules and defaults, and a preview of a recurrence"))


def _expected_version() -> int | None:
    """The version named by If-Match ("3" or W/"3"); 412 if it is not one."""
    header = request.headers.get("If-Match")
    if header is None:
        return None
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        abort(412, message="If-Match must be an ETag this API gave out", code="bad_etag")
    return int(value)


def _with_etag(appointment_type: AppointmentType):
    return appointment_type, 200, {"ETag": f'"{appointment_type.version}"'}


@blp.route("")
@blp.response(200, TypeOut(many=True))
def list_types():
    """Every appointment type, active ones first."""
    return appointment_types.listed(db.session())


@blp.route("", methods=["POST"])
@blp.arguments(TypeCreate)
@blp.response(201, TypeOut)
def create_type(body):
    """Create a type; staff may create types only for calendars they manage."""
    return appointment_types.create(db.session(), actor=actor(), known_hosts=True, **body)


@blp.route(f"/<{ID}:type_id>")
@blp.response(200, TypeOut, headers={"ETag": {"schema": {"type": "string"}}})
def get_type(type_id: int):
    return _with_etag(appointment_types.get(db.session(), type_id))


@blp.route(f"/<{ID}:type_id>", methods=["PATCH"])
@blp.arguments(TypeFields)
@blp.response(200, TypeOut)
def update_type(body, type_id: int):
    """Change fields; send If-Match with the ETag you read to refuse lost updates (409)."""
    updated = appointment_types.update(db.session(), actor=actor(), type_id=type_id,
                                       expected_version=_expected_version(), known_hosts=True,
                                       **body)
    return _with_etag(updated)


@blp.route(f"/<{ID}:type_id>/archive", methods=["POST"])
@blp.response(200, TypeOut)
def archive_type(type_id: int):
    """Stop new bookings of this type; existing bookings stay."""
    return _with_etag(appointment_types.update(db.session(), actor=actor(), type_id=type_id,
                                               expected_version=_expected_version(),
                                               active=False))


@blp.route("/preview", methods=["POST"])
@blp.arguments(PreviewIn)
@blp.response(200, OccurrenceOut(many=True))
def preview(body):
    """The first occurrences a recurrence would create, DST moves flagged; nothing is saved."""
    rule = Recurrence(body["start_local"], body["timezone"], body["rrule"],
                      timedelta(minutes=body["duration_minutes"]),
                      frozenset(body["exdates"]))
    rule.check_not_empty()
    return rule.first(body["count"])

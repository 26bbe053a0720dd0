"""The audit log, newest first (admins: all; other staff: the calendars they manage)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from sis_appointments.services.platform import audit
from sis_appointments.web import db
from sis_appointments.web.api import paging
from sis_appointments.web.api.auth import actor
from sis_appointments.web.api.groups import Blueprint
from sis_appointments.web.api.schemas.common import Instant, Strict, Whole, page_of

blp = Blueprint("appointments_api_audit", __name__, url_prefix="/audit", group="Audit log",
                description=("Who changed what and when: admins read all of it, other staff what "
                             "concerns their calendars"))


class AuditQuery(Strict):
    entity_type = fields.String(validate=validate.Length(max=32))
    action = fields.String(validate=validate.Length(max=64))
    request_id = fields.String(validate=validate.Length(max=64))
    since = Instant()
    until = Instant()
    entity_id = fields.String(validate=validate.Length(max=64))
    actor = fields.String(validate=validate.Length(max=64))
    cursor = fields.String(validate=validate.Length(max=100))
    limit = Whole(load_default=100, validate=validate.Range(min=1, max=500))


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


AuditPage = page_of("AuditPage", AuditOut)


@blp.route("")
@blp.arguments(AuditQuery, location="query")
@blp.response(200, AuditPage)
def list_audit(query):
    """Audit entries, newest first: admins read every entry, other staff those about the
    slots, series, bookings and waitlists of the calendars they manage. `since` is
    inclusive, `until` exclusive."""
    found = audit.page(db.session(), actor=actor(), entity_type=query.get("entity_type"),
                       entity_id=query.get("entity_id"), actor_key=query.get("actor"),
                       action=query.get("action"), request_id=query.get("request_id"),
                       since=query.get("since"), until=query.get("until"),
                       after=paging.decode(query.get("cursor")), limit=query["limit"] + 1)
    return paging.page(found, lambda e: (e.at, e.id), query["limit"])

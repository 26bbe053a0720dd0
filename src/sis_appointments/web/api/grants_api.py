"""Grants (admins): let staff manage another host's calendar, or every calendar."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from sis_appointments.services.accounts import grants
from sis_appointments.web import ID, db
from sis_appointments.web.api.auth import actor
from sis_appointments.web.api.groups import Blueprint
from sis_appointments.web.api.schemas.common import Strict

blp = Blueprint("appointments_api_grants", __name__, url_prefix="/grants", group="Access grants",
                description=("Admins only: let a staff member manage another host's calendar, or "
                             "every calendar"), admins_only=True)


class GrantIn(Strict):
    user = fields.String(required=True, validate=validate.Length(min=1, max=64))
    grant = fields.String(required=True, validate=validate.OneOf(grants.GRANTS))
    target = fields.String(validate=validate.Length(min=1, max=64))


class GrantOut(Schema):
    id = fields.Integer()
    user = fields.String(attribute="user_key")
    grant = fields.String()
    target = fields.String(attribute="target_key", allow_none=True)
    created_by = fields.String(allow_none=True)


@blp.route("")
@blp.response(200, GrantOut(many=True))
def list_grants():
    return grants.listed(db.session(), actor())


@blp.route("", methods=["POST"])
@blp.arguments(GrantIn)
@blp.response(201, GrantOut)
def give_grant(body):
    """Let `user` manage `target`'s calendar (manage_calendar) or all (manage_all)."""
    return grants.give(db.session(), actor=actor(), user_key=body["user"],
                       grant=body["grant"], target_key=body.get("target"), known_users=True)


@blp.route(f"/<{ID}:grant_id>", methods=["DELETE"])
@blp.response(204)
def revoke_grant(grant_id: int):
    grants.revoke(db.session(), actor=actor(), grant_id=grant_id)

"""Personal API tokens: list, create (shown once), revoke."""

from __future__ import annotations

from sis_appointments.services.accounts import tokens
from sis_appointments.web import ID, db
from sis_appointments.web.api import caching
from sis_appointments.web.api.auth import actor
from sis_appointments.web.api.groups import Blueprint
from sis_appointments.web.api.schemas.tokens import TokenCreate, TokenOut

blp = Blueprint("appointments_api_tokens", __name__, url_prefix="/tokens", group="API tokens",
                description=("Personal API tokens: list, create and revoke your own (an admin "
                             "lists everyone's)"))


@blp.route("")
@blp.response(200, TokenOut(many=True))
def list_tokens():
    """The caller's tokens (an admin sees everyone's); never the secrets."""
    return tokens.listed(db.session(), actor())


@blp.route("", methods=["POST"])
@blp.arguments(TokenCreate)
@blp.response(201, TokenOut)
def create_token(body):
    """Create a token; the response is the only time its secret is shown."""
    row, secret = tokens.create(db.session(), actor=actor(), name=body["name"],
                                scope=body["scope"], expires_in_days=body["expires_in_days"],
                                user_key=body.get("user"))
    row.token = secret  # a plain attribute: dumped once, never stored
    return row


@blp.route(f"/<{ID}:token_id>", methods=["DELETE"])
@blp.response(200, TokenOut)
def revoke_token(token_id: int):
    """Revoke a token at once (every worker sharing Redis stops accepting it at once; see
    the README for a setup without Redis)."""
    revoked = tokens.revoke(db.session(), actor=actor(), token_id=token_id)
    caching.forget_tokens()
    return revoked

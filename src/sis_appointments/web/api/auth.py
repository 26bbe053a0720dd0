"""Who is calling: the SIS's session (writes then need the X-CSRFToken header) or a personal
token (``Authorization: Bearer ...``; read tokens may only read)."""

from __future__ import annotations

from flask import current_app, g, request
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from sis_appointments.contract import SisUser
from sis_appointments.services.accounts import tokens
from sis_appointments.web import db, permissions
from sis_appointments.web.api.problem import problem

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def authenticate():
    """Resolve the caller once per request; refuse anonymous callers with 401."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        token = tokens.authenticate(db.session(), header[7:].strip())
        pm = current_app.extensions["sis_appointments"].pm
        user = pm.hook.appointments_get_user(user_key=token.user_key) if token else None
        if user is None:
            return _unauthorized("the token is unknown, revoked or expired")
        if request.method not in SAFE_METHODS and token.scopes != "write":
            return problem(403, "read_only_token", "this token may only read")
        g._appt_api_actor = user
        return None
    identity = permissions.current_identity()
    if identity is None:
        return _unauthorized("log in, or send a personal token as Authorization: Bearer")
    if request.method not in SAFE_METHODS:
        try:
            validate_csrf(request.headers.get("X-CSRFToken"))
        except ValidationError:
            return problem(400, "csrf", "a session-authenticated write needs a valid "
                                        "X-CSRFToken header")
    g._appt_api_actor = identity
    return None


def _unauthorized(detail: str):
    response = problem(401, "unauthenticated", detail)
    response.headers["WWW-Authenticate"] = 'Bearer realm="sis-appointments"'
    return response


def actor() -> SisUser:
    """The authenticated caller of the current API request."""
    return g._appt_api_actor

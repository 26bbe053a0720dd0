"""REST API v1 under /api/appointments/v1: flask-smorest blueprints over the services.

Errors are RFC 9457 problems (application/problem+json) with a stable ``type`` and ``code``.
Callers authenticate with the host's session (writes then need the X-CSRFToken header) or
with a personal token (``Authorization: Bearer ...``; read tokens may only read).
"""

from __future__ import annotations

import http

from flask import Flask, current_app, g, jsonify, request
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from flask_wtf.csrf import validate_csrf
from werkzeug.exceptions import HTTPException, default_exceptions
from werkzeug.http import HTTP_STATUS_CODES
from wtforms import ValidationError

from sis_appointments.contract import SisUser
from sis_appointments.domain.errors import SchedulingError
from sis_appointments.services.accounts import tokens
from sis_appointments.web import db, permissions
from sis_appointments.web.api import idempotency
from sis_appointments.web.api.schemas import Problem

PREFIX = "/api/appointments/v1"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
PROBLEM_TYPE = "application/problem+json"


def problem(status: int, code: str, detail: str, **extra):
    """An application/problem+json response."""
    body = {"type": f"urn:sis-appointments:problem:{code}",
            "title": HTTP_STATUS_CODES.get(status, "Error"), "status": status,
            "detail": detail, "code": code, **extra}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_TYPE
    return response


def http_problem(error: HTTPException):
    """An HTTP error (including webargs' 422 validation errors) as a problem."""
    data = getattr(error, "data", None) or {}
    errors = data.get("messages") or data.get("errors")
    if isinstance(errors, dict) and len(errors) == 1 and next(iter(errors)) in (
            "json", "query", "headers", "files", "form"):
        errors = next(iter(errors.values()))
    response = problem(error.code or 500, data.get("code") or _code(error),
                       data.get("message") or error.description,
                       **({"errors": errors} if errors else {}))
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    return response


class ProblemApi(Api):
    """flask-smorest's Api, with problem+json errors kept to the API's own blueprints."""

    ERROR_SCHEMA = Problem

    def _register_responses(self):
        """Document every error response as application/problem+json."""
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not 100 <= status < 200 and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_TYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def _register_error_handlers(self):
        """Registered per blueprint in ``register`` instead: the host keeps its own pages."""

    def handle_http_exception(self, error: HTTPException):
        return http_problem(error)

    def register(self, blueprint) -> None:
        if not getattr(blueprint, "_appt_ready", False):  # blueprints outlive one app
            blueprint.register_error_handler(HTTPException, http_problem)
            for code in default_exceptions:  # by code too, or the host's 404 page would win
                blueprint.register_error_handler(code, http_problem)
            blueprint.register_error_handler(SchedulingError, _scheduling_problem)
            blueprint.before_request(_authenticate)
            blueprint.before_request(idempotency.before)
            blueprint.after_request(idempotency.after)
            blueprint.after_request(_request_id_header)
            blueprint._appt_ready = True
        self.register_blueprint(blueprint, url_prefix=PREFIX + blueprint.url_prefix)


def _request_id_header(response):
    response.headers["X-Request-ID"] = db.request_id()
    return response


def _code(error: HTTPException) -> str:
    return (error.name or "error").lower().replace(" ", "_")


def _scheduling_problem(error: SchedulingError):
    """A refusal as a problem: field errors (``errors``) as in validation problems, any
    other details as the current ``state``."""
    details = dict(error.details)
    extra = {"errors": details.pop("errors")} if "errors" in details else {}
    if details:
        extra["state"] = details
    return problem(error.status, error.code, error.message, **extra)


def _authenticate():
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


def init_api(app: Flask, settings: dict) -> ProblemApi:
    from sis_appointments.web.api import (
        audit_api,
        batch_api,
        bookings_api,
        calendar_api,
        conflicts_api,
        exports_api,
        grants_api,
        inbox_api,
        me_api,
        series_api,
        slots_api,
        system_api,
        tokens_api,
        types_api,
    )
    from sis_appointments.web.api.caching import init_cache
    from sis_appointments.web.api.limits import init_limits

    for key, value in {
        "API_TITLE": "sis-appointments", "API_VERSION": "v1", "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": PREFIX, "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": settings["SIS_APPOINTMENTS_URL_PREFIX"]
        + "/static/vendor/swagger-ui/",
    }.items():
        app.config.setdefault(f"SIS_APPOINTMENTS_{key}", value)
    api = ProblemApi(app, config_prefix="SIS_APPOINTMENTS_", spec_kwargs={
        "components": {"securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "session": {"type": "apiKey", "in": "cookie", "name": "session"}}},
        "security": [{"bearer": []}, {"session": []}]})
    blueprints = [m.blp for m in (me_api, types_api, slots_api, series_api, bookings_api,
                                  batch_api, conflicts_api, grants_api, tokens_api, inbox_api,
                                  calendar_api, exports_api, audit_api, system_api)]
    for blueprint in blueprints:
        api.register(blueprint)
    init_limits(app, settings, blueprints)
    app.extensions["sis_appointments"].cache = init_cache(app, settings)
    csrf = app.extensions.get("csrf")
    if csrf is not None:  # the host's CSRFProtect: the API checks its own header instead
        for blueprint in blueprints:
            csrf.exempt(blueprint)
    return api

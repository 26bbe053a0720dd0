"""REST API v1 under /api/appointments/v1: flask-smorest blueprints over the services.

This module only wires: errors are problems (``problem``), callers are authenticated by
``auth``, and each resource lives in its ``*_api`` module.
"""

from __future__ import annotations

import http

from flask import Flask, redirect, url_for
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException, default_exceptions

from sis_appointments.domain.errors import SchedulingError
from sis_appointments.web import db
from sis_appointments.web.api import bodies, idempotency, limits
from sis_appointments.web.api.auth import authenticate
from sis_appointments.web.api.problem import (
    PROBLEM_TYPE,
    http_problem,
    scheduling_problem,
)
from sis_appointments.web.api.schemas.common import Problem

PREFIX = "/api/appointments/v1"


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
            blueprint.register_error_handler(SchedulingError, scheduling_problem)
            blueprint.before_request(bodies.check)
            blueprint.before_request(authenticate)
            blueprint.before_request(idempotency.before)
            blueprint.before_request(limits.check)
            blueprint.after_request(idempotency.after)
            blueprint.after_request(_request_id_header)
            blueprint._appt_ready = True
        self.register_blueprint(blueprint, url_prefix=PREFIX + blueprint.url_prefix)


def _docs_moved():
    return redirect(url_for("appointments_admin.api_console"), 301)


def _request_id_header(response):
    response.headers["X-Request-ID"] = db.request_id()
    return response


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
        waitlist_api,
    )
    from sis_appointments.web.api.caching import init_cache
    from sis_appointments.web.api.limits import init_limits

    for key, value in {
        "API_TITLE": "sis-appointments", "API_VERSION": "v1", "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": PREFIX, "OPENAPI_JSON_PATH": "openapi.json",
    }.items():
        app.config.setdefault(f"SIS_APPOINTMENTS_{key}", value)
    blueprints = [m.blp for m in (me_api, types_api, slots_api, series_api, bookings_api,
                                  waitlist_api, batch_api, conflicts_api, grants_api,
                                  tokens_api, inbox_api, calendar_api, exports_api, audit_api,
                                  system_api)]
    api = ProblemApi(app, config_prefix="SIS_APPOINTMENTS_", spec_kwargs={
        "components": {"securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "session": {"type": "apiKey", "in": "cookie", "name": "session"}}},
        "security": [{"bearer": []}, {"session": []}],
        # the groups as named in plain English (web/api/groups.py), not the blueprints' names
        "tags": [blueprint.tag for blueprint in blueprints]})
    app.extensions["sis_appointments"].api = api
    for blueprint in blueprints:
        api.register(blueprint)
    # flask-smorest's own Swagger UI page is off (an inline script, no CSRF header): the
    # console is the staff pages' API page (web/admin_api.py), where the old address leads.
    app.add_url_rule(PREFIX + "/docs", "appointments_api_docs", _docs_moved)
    app.before_request(bodies.unknown_address(PREFIX))
    init_limits(app, settings)
    app.extensions["sis_appointments"].cache = init_cache(app, settings)
    csrf = app.extensions.get("csrf")
    if csrf is not None:  # the host's CSRFProtect: the API checks its own header instead
        for blueprint in blueprints:
            csrf.exempt(blueprint)
    return api

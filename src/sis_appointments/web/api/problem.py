"""Errors as RFC 9457 problems (application/problem+json) with a stable ``type`` and ``code``."""

from __future__ import annotations

from flask import jsonify
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from sis_appointments.domain.errors import SchedulingError

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


def _code(error: HTTPException) -> str:
    return (error.name or "error").lower().replace(" ", "_")


def scheduling_problem(error: SchedulingError):
    """A refusal as a problem: field errors (``errors``) as in validation problems, any
    other details as the current ``state``."""
    details = dict(error.details)
    extra = {"errors": details.pop("errors")} if "errors" in details else {}
    if details:
        extra["state"] = details
    response = problem(error.status, error.code, error.message, **extra)
    if getattr(error, "retry_after", None):
        response.headers["Retry-After"] = str(error.retry_after)
    return response

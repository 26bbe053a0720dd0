"""The Idempotency-Key header on API POSTs (see services/platform/idempotency.py)."""

from __future__ import annotations

from flask import Response, g, request

from sis_appointments.services.platform import idempotency
from sis_appointments.web import db
from sis_appointments.web.api.auth import actor
from sis_appointments.web.api.problem import problem

HEADER = "Idempotency-Key"


def before():
    """Replay, refuse or reserve; runs after authentication."""
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None:
        return None
    if not 1 <= len(key) <= 200:
        return problem(400, "bad_idempotency_key", "Idempotency-Key must be 1-200 characters")
    found = idempotency.reserve(db.session(), user_key=actor().key, key=key,
                                method=request.method, path=request.path,
                                body=request.get_data(cache=True))
    if found.mismatch:
        return problem(422, "idempotency_key_reused",
                       "this Idempotency-Key was used with another request")
    if found.in_progress:
        response = problem(409, "idempotency_in_progress",
                           "a request with this Idempotency-Key is still running")
        response.headers["Retry-After"] = "1"
        return response
    if found.stored is not None:
        response = Response(found.stored.response_body, status=found.stored.status_code,
                            content_type=found.stored.content_type)
        response.headers["Idempotent-Replayed"] = "true"
        return response
    g._appt_idempotency_row = found.row_id
    return None


def after(response: Response) -> Response:
    row_id = g.pop("_appt_idempotency_row", None)
    if row_id is not None:
        idempotency.complete(db.session(), row_id, response.status_code,
                             response.get_data(as_text=True), response.content_type)
    return response

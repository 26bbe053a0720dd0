"""The Idempotency-Key header on API POSTs (see services/platform/idempotency.py)."""

from __future__ import annotations

from flask import Response, g, request

from sis_appointments.services.platform import idempotency
from sis_appointments.web import db
from sis_appointments.web.api.auth import actor
from sis_appointments.web.api.problem import problem

HEADER = "Idempotency-Key"


def before():
    """Replay or refuse a repeat; otherwise claim the key in the request's write transaction
    (``services.platform.idempotency``). Runs after authentication."""
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None:
        return None
    if not 1 <= len(key) <= 200:
        return problem(400, "bad_idempotency_key", "Idempotency-Key must be 1-200 characters")
    wanted = idempotency.request_of(actor().key, key, request.method, request.path,
                                    request.get_data(cache=True))
    session = db.session()
    found = idempotency.lookup(session, wanted)
    if found.mismatch:
        return problem(422, "idempotency_key_reused",
                       "this Idempotency-Key was used with another request")
    if found.in_progress:
        response = problem(409, "idempotency_in_progress",
                           "a request with this Idempotency-Key is still running")
        response.headers["Retry-After"] = "1"
        return response
    if found.lost:
        return problem(409, "idempotency_completed",
                       "the request with this Idempotency-Key was carried out, but its answer "
                       "was lost; read the current state instead of repeating it")
    if found.stored is not None:
        response = Response(found.stored.response_body, status=found.stored.status_code,
                            content_type=found.stored.content_type)
        response.headers["Idempotent-Replayed"] = "true"
        return response
    session.on_begin.append(lambda s: idempotency.claim(s, wanted))
    g._appt_idempotency = wanted
    return None


def after(response: Response) -> Response:
    wanted = g.pop("_appt_idempotency", None)
    busy = response.status_code == 409 and (response.get_json(silent=True) or {}).get(
        "code") == idempotency.InProgress.code  # a twin holds the key: it answers for it
    if wanted is not None and not busy:
        db.session().on_begin.clear()  # a request that wrote nothing claims nothing
        idempotency.complete(db.session(), wanted, response.status_code,
                             response.get_data(as_text=True), response.content_type)
    return response

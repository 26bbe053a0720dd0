"""Per-user rate limits on booking writes and per-token limits on API use (Flask-Limiter;
shared between workers through Redis when SIS_APPOINTMENTS_REDIS_URL is set)."""

from __future__ import annotations

import hashlib

from flask import Flask, g, request
from flask_limiter import Limiter

from sis_appointments.services.accounts import tokens
from sis_appointments.web import db, permissions

# Endpoints that book or unbook: limited per user.
WRITES = ("book_slot", "join_waitlist", "leave_waitlist", "accept_offer", "decline_offer",
          "cancel_booking", "reschedule_booking", "create_token", "run_batch")
WRITE_METHODS = ("POST", "DELETE")


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") else None


def user_key() -> str:
    """The user behind the request (by token or session), else the client address."""
    resolved = g.get("_appt_api_actor")  # set by the API's authentication, which ran first
    if resolved is not None:
        return f"user:{resolved.key}"
    secret = _bearer()
    if secret:
        row = tokens.authenticate(db.session(), secret)
        return f"user:{row.user_key}" if row else f"anon:{request.remote_addr}"
    identity = permissions.current_identity()
    return f"user:{identity.key}" if identity else f"anon:{request.remote_addr}"


def token_key() -> str:
    secret = _bearer() or ""
    return "token:" + hashlib.sha256(secret.encode()).hexdigest()[:24]


def init_limits(app: Flask, settings: dict, blueprints) -> Limiter:
    # No X-RateLimit-* headers: they cost a storage round trip on every request; a 429
    # carries Retry-After (web/api/problem.py).
    limiter = Limiter(user_key, app=app, headers_enabled=False, key_prefix="sis-appt",
                      storage_uri=settings["SIS_APPOINTMENTS_REDIS_URL"] or "memory://",
                      strategy="moving-window")
    names = {bp.name for bp in blueprints}
    for endpoint, view in list(app.view_functions.items()):
        blueprint, _, name = endpoint.rpartition(".")
        if blueprint not in names:
            continue
        # One limit, so one Redis round trip, per request: writes that book or unbook count
        # against their user's write limit, everything else a token does against its own.
        write = name in WRITES
        view = limiter.limit(settings["SIS_APPOINTMENTS_RATE_LIMIT_TOKENS"], key_func=token_key,
                             exempt_when=lambda write=write: _bearer() is None or (
                                 write and request.method in WRITE_METHODS))(view)
        if write:
            view = limiter.limit(settings["SIS_APPOINTMENTS_RATE_LIMIT_WRITES"],
                                 methods=list(WRITE_METHODS))(view)
        app.view_functions[endpoint] = view
    return limiter

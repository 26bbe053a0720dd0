"""Who is calling: the SIS's session (writes then need the X-CSRFToken header) or a personal
token (``Authorization: Bearer ...``; read tokens may only read).

A token once resolved (its row and the SIS's user) is trusted by this process for
``TOKEN_TTL`` seconds, so a hit costs no SQL. Revoking a token through the API bumps a
generation kept with the response cache: with Redis every worker drops its resolved tokens
at once; without Redis (one process, or workers sharing nothing) other processes stop
accepting it within ``TOKEN_TTL``. Expiry is checked on every request. Resolving it again
notes its use (``tokens.authenticate``: a write a minute at most), so a token in steady use
shows a last use at most a minute and ``TOKEN_TTL`` old.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from flask import g, request
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from sis_appointments.contract import SisUser
from sis_appointments.models import utcnow
from sis_appointments.services.accounts import tokens
from sis_appointments.services.platform import sis
from sis_appointments.web import db, permissions
from sis_appointments.web.api import caching
from sis_appointments.web.api.problem import problem

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def authenticate():
    """Resolve the caller once per request; refuse anonymous callers with 401."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        known = _token(header[7:].strip())
        if known is None:
            return _unauthorized("the token is unknown, revoked or expired")
        if request.method not in SAFE_METHODS and known.scopes != "write":
            return problem(403, "read_only_token", "this token may only read")
        g._appt_api_actor = known.user
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


TOKEN_TTL = 30.0  # seconds a resolved token is trusted without asking the database again
_KNOWN_LIMIT = 10_000  # resolved tokens kept per process


@dataclass(frozen=True)
class _Known:
    user: SisUser
    scopes: str
    expires_at: datetime | None
    until: float  # time.monotonic() after which it is asked again
    generation: int


_known: dict[str, _Known] = {}


def _token(secret: str) -> _Known | None:
    """The caller behind a token: from this process's memory, or the database and the SIS."""
    digest, generation = tokens.digest(secret), caching.token_generation()
    known = _known.get(digest)
    if (known is not None and known.generation == generation
            and known.until > time.monotonic()
            and (known.expires_at is None or known.expires_at > utcnow())):
        return known
    row = tokens.authenticate(db.session(), secret)
    user = sis.user(db.session(), row.user_key) if row else None
    if user is None:
        _known.pop(digest, None)
        return None
    if len(_known) >= _KNOWN_LIMIT:
        _known.clear()
    _known[digest] = known = _Known(user, row.scopes, row.expires_at,
                                    time.monotonic() + TOKEN_TTL, generation)
    return known


def _unauthorized(detail: str):
    response = problem(401, "unauthenticated", detail)
    response.headers["WWW-Authenticate"] = 'Bearer realm="sis-appointments"'
    return response


def actor() -> SisUser:
    """The authenticated caller of the current API request."""
    return g._appt_api_actor

"""Per-user rate limits on booking writes and per-token limits on API use, with the
``limits`` library's moving window (in Redis when SIS_APPOINTMENTS_REDIS_URL is set, so every
worker shares the counts; else in the process).

One limit, so one Redis round trip, per request: writes that book or unbook count against
their user's write limit, every other request made with a token against the token's own.
Over a limit is a 429 problem with ``Retry-After`` (no ``X-RateLimit-*`` headers: they would
cost a round trip each).
"""

from __future__ import annotations

import hashlib
import logging
import time

from flask import Flask, current_app, g, request
from limits import parse_many, storage, strategies

from sis_appointments.services.accounts import tokens
from sis_appointments.web import db, permissions
from sis_appointments.web.api.problem import problem

# Endpoints that book or unbook: limited per user.
WRITES = ("book_slot", "join_waitlist", "leave_waitlist", "accept_offer", "decline_offer",
          "cancel_booking", "reschedule_booking", "create_token", "run_batch")
WRITE_METHODS = ("POST", "DELETE")
PREFIX = "sis-appt"
log = logging.getLogger(__name__)


RETRY_SECONDS = 30  # how long the counts stay in the process once Redis failed


class Limits:
    """This app's limits and where their counts live: Redis when configured (all workers
    share them), else the process. While Redis does not answer, each process counts alone
    (``RETRY_SECONDS`` before it tries Redis again): a limit is a brake, never a reason to
    refuse service."""

    def __init__(self, settings: dict):
        url = settings["SIS_APPOINTMENTS_REDIS_URL"]
        self.local = storage.MemoryStorage()
        self.storage = storage.storage_from_string(
            url, socket_connect_timeout=1, socket_timeout=1) if url else self.local
        self.window = strategies.MovingWindowRateLimiter(self.storage)
        self.fallback = strategies.MovingWindowRateLimiter(self.local)
        self.writes = parse_many(settings["SIS_APPOINTMENTS_RATE_LIMIT_WRITES"])
        self.tokens = parse_many(settings["SIS_APPOINTMENTS_RATE_LIMIT_TOKENS"])
        self.retry_at = 0.0  # monotonic time from which Redis is tried again
        self.shared_ok = True  # the last count went to the shared store

    def hit(self, rate, key: str) -> bool:
        if self.storage is not self.local and time.monotonic() >= self.retry_at:
            try:
                allowed = self.window.hit(rate, PREFIX, key)
            except Exception as exc:  # noqa: BLE001 (whatever the store's client raises)
                log.warning("rate limits: Redis unreachable (%s); counting in this process "
                            "for %s s", exc, RETRY_SECONDS)
                self.retry_at, self.shared_ok = time.monotonic() + RETRY_SECONDS, False
            else:
                self.shared_ok = True
                return allowed
        return self.fallback.hit(rate, PREFIX, key)

    def reset(self) -> None:
        self.local.reset()
        if self.storage is not self.local:
            try:
                self.storage.reset()
            except Exception:  # noqa: BLE001
                log.warning("rate limits: Redis unreachable; only this process's counts reset")


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


def check():
    """Count this request against its one limit; a 429 problem when over it (a
    ``before_request`` of the API's blueprints, after authentication)."""
    limits = current_app.extensions["sis_appointments"].limits
    name = (request.endpoint or "").rpartition(".")[2]
    if name in WRITES and request.method in WRITE_METHODS:
        rates, key = limits.writes, user_key()
    elif _bearer() is not None:
        rates, key = limits.tokens, token_key()
    else:
        return None
    for rate in rates:
        if not limits.hit(rate, key):
            response = problem(429, "too_many_requests",
                               f"more than {rate} for this {key.partition(':')[0]}; "
                               "try again later")
            response.headers["Retry-After"] = str(rate.get_expiry())
            return response
    return None


def init_limits(app: Flask, settings: dict) -> Limits:
    limits = Limits(settings)
    app.extensions["sis_appointments"].limits = limits
    return limits

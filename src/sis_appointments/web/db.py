"""The plugin's session per app context, and the request id its audit rows carry."""

from __future__ import annotations

import itertools
import os
import re

from flask import current_app, g, has_request_context, request
from sqlalchemy.orm import Session

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def _new_ids() -> None:
    """Request ids unique per process: a random prefix (drawn again in a forked worker) and a
    counter, which costs less than a random UUID per request. ``next`` on an
    ``itertools.count`` is atomic, so threads never share one (a generator would raise)."""
    global _ids
    _ids = (os.urandom(8).hex(), itertools.count(1))


_ids: tuple[str, itertools.count] = ("", itertools.count(1))
_new_ids()
os.register_at_fork(after_in_child=_new_ids)


def _next_id() -> str:
    prefix, counter = _ids
    return f"{prefix}{next(counter):016x}"


def request_id() -> str:
    """The current request's id: the caller's ``X-Request-ID`` if it is a plain token of at
    most 64 characters, else a new one. Audit rows written by the request carry it."""
    if "_appt_request_id" not in g:
        given = request.headers.get("X-Request-ID", "") if has_request_context() else ""
        g._appt_request_id = given if _REQUEST_ID.fullmatch(given) else _next_id()
    return g._appt_request_id


def session() -> Session:
    """The session of the current app context, opened on first use, closed at teardown."""
    if "_appt_session" not in g:
        extra = {"request_id": request_id()} if has_request_context() else {}
        g._appt_session = current_app.extensions["sis_appointments"].sessionmaker(**extra)
    return g._appt_session


def close_session(_exc: BaseException | None = None) -> None:
    db_session = g.pop("_appt_session", None)
    if db_session is not None:
        db_session.close()

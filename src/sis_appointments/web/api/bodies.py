"""What every API request's body must be before anything reads it, and the problem answer
to an address under the API that names nothing.

A body is at most ``MAX_BODY_BYTES`` (the host's MAX_CONTENT_LENGTH when smaller; else 413),
JSON (``application/json`` or ``+json``; else 415) and nested at most ``MAX_DEPTH`` levels
(else 422): Python's parser gives up on deep nesting with a RecursionError, and schemas walk
what it built.
"""

from __future__ import annotations

import json

from flask import Response, request
from werkzeug.exceptions import MethodNotAllowed, NotFound

from sis_appointments.web.api.problem import http_problem, problem

MAX_BODY_BYTES = 1024 * 1024
MAX_DEPTH = 32


def check() -> Response | None:
    """Before each API request: refuse a body too large, not JSON, or nested too deeply."""
    limit = min(filter(None, (request.max_content_length, MAX_BODY_BYTES)))
    if (request.content_length or 0) > limit:
        return problem(413, "body_too_large", f"a request body may be at most {limit} bytes")
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None  # a body there is never read
    request.max_content_length = limit  # a body sent in chunks stops there too (413)
    data = request.get_data(cache=True)
    if not data:
        return None
    if not request.is_json:
        return problem(415, "unsupported_media_type",
                       "a request body must be JSON, sent as Content-Type: application/json")
    try:
        body = json.loads(data)
    except RecursionError:
        return _too_deep()
    except ValueError:
        return None  # the schema's parser answers malformed JSON (400)
    return _too_deep() if _depth(body) > MAX_DEPTH else None


def _too_deep() -> Response:
    return problem(422, "body_too_deep",
                   f"a request body may nest arrays and objects at most {MAX_DEPTH} deep")


def _depth(value) -> int:
    """How deep arrays and objects nest in ``value`` (a scalar: 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item \
            if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if level <= MAX_DEPTH:
            stack.extend((child, level + 1) for child in children)
    return deepest


def unknown_address(prefix: str):
    """An app-wide ``before_request``: an address under ``prefix`` that no route serves (or
    not with this method) answers a problem, not the host's HTML error page."""

    def answer() -> Response | None:
        error = request.routing_exception
        if not isinstance(error, NotFound | MethodNotAllowed) or not (
                request.path == prefix or request.path.startswith(prefix + "/")):
            return None
        response = http_problem(error)
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            response.headers["Allow"] = ", ".join(sorted(error.valid_methods))
        return response

    return answer


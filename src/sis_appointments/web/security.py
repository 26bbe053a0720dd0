"""Security headers on every response of the plugin: its student and staff pages, its REST
API (errors included), the API's documents and its static files.

The host's own pages are the host's business: only requests to the plugin's blueprints, or
under its URL prefixes (a 404 there included), get these headers, and a header the host (or
a view) has already set on a response is left as it is.
"""

from __future__ import annotations

from flask import Flask, request


def headers(settings: dict) -> dict[str, str]:
    """The headers the plugin's responses carry, as configured (an unset policy is left out)."""
    chosen = {"X-Content-Type-Options": "nosniff"}
    policy = settings["SIS_APPOINTMENTS_CONTENT_SECURITY_POLICY"]
    if policy:
        chosen["Content-Security-Policy"] = policy
    referrer = settings["SIS_APPOINTMENTS_REFERRER_POLICY"]
    if referrer:
        chosen["Referrer-Policy"] = referrer
    return chosen


def init_security_headers(app: Flask, settings: dict, blueprints: set[str],
                          prefixes: tuple[str, ...]) -> None:
    """Add ``headers(settings)`` to the responses of ``blueprints`` and of the paths under
    ``prefixes``, without replacing a header the response already has."""
    chosen = headers(settings)
    under = tuple(prefix.rstrip("/") + "/" for prefix in prefixes)

    @app.after_request
    def _security_headers(response):
        if request.blueprint in blueprints or (request.path + "/").startswith(under):
            for name, value in chosen.items():
                response.headers.setdefault(name, value)
        return response

"""Thin web layers: parse input, check permission, call one service, render."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path

from flask import Blueprint, abort, current_app

from sis_appointments.domain.timezones import format_local
from sis_appointments.resources import package_path
from sis_appointments.services.platform import sis

DEFAULT_BASE_TEMPLATE = "appointments/_partials/standalone_base.html"
# Route converter for row IDs: larger numbers are no ID of ours (and overflow the database).
ID = "int(max=2147483647)"


def make_blueprint(name: str, import_name: str, **kwargs) -> Blueprint:
    """A blueprint with the plugin's templates, the host's base template and time filters."""
    bp = Blueprint(name, import_name, template_folder=package_path("templates"), **kwargs)

    @bp.context_processor
    def _layout():
        pm = current_app.extensions["sis_appointments"].pm
        base = pm.hook.appointments_base_template() or DEFAULT_BASE_TEMPLATE
        return {"appointments_base_template": base, "appt_asset_version": asset_version}

    return bp


@cache
def asset_version(name: str) -> str:
    """A short token that changes with a static file (its size and time), for cache busting
    (templates/appointments/_partials/assets.html)."""
    try:
        found = Path(package_path("static"), name).stat()
    except OSError:
        return "0"
    return f"{found.st_size:x}{int(found.st_mtime):x}"


EXPIRED = "The form expired or was not valid; reload the page and try again."


def require_valid(form) -> None:
    """A POSTed form whose CSRF token or fields do not validate is a 400, changing nothing."""
    if not form.validate_on_submit():
        abort(400, EXPIRED)


def submitted(form) -> bool:
    """Whether a POSTed form validates. One whose CSRF token does not is a 400, changing
    nothing; other fields' errors stay on the form for the page to show in place."""
    if form.validate_on_submit():
        return True
    if form.csrf_token.errors:
        abort(400, EXPIRED)
    return False


def unread(user_key: str) -> int:
    """The user's unread in-app notifications, counted once per request (the portal tab's
    badge and the page both show it)."""
    from flask import g

    from sis_appointments.services.notifications import inbox
    from sis_appointments.web import db

    counted = g.setdefault("_appt_unread", {})
    if user_key not in counted:
        counted[user_key] = inbox.unread_count(db.session(), user_key)
    return counted[user_key]


def user_name(user_key: str) -> str:
    """The SIS's name for a user key, or the key itself; asked once per key and request."""
    from sis_appointments.web import db

    return sis.user_name(db.session(), user_key)


def fixed_clock(app, instant) -> None:
    """Stop the clock at ``instant`` for ``app`` (SIS_APPOINTMENTS_FIXED_NOW): each of its app
    contexts (a request, a socket event, a CLI command) sets models.FIXED_NOW, which utcnow
    reads, and puts it back when it ends, so other apps in the process keep the real time."""
    from flask import appcontext_pushed, g

    from sis_appointments.models.base import FIXED_NOW

    def stop(sender, **_):
        if "_appt_fixed_now" not in g:
            g._appt_fixed_now = FIXED_NOW.set(instant)

    def restart(_error=None):
        token = g.pop("_appt_fixed_now", None)
        if token is not None:
            FIXED_NOW.reset(token)

    appcontext_pushed.connect(stop, app, weak=False)
    app.teardown_appcontext(restart)


def register_filters(app) -> None:
    app.add_template_filter(format_local, "appt_local")
    app.add_template_filter(user_name, "appt_user_name")
    app.add_template_filter(datetime.fromisoformat, "appt_instant")  # ISO text -> datetime

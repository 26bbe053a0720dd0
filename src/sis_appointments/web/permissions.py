"""Who the current user is to the plugin, and what they may see. Every view asks here."""

from __future__ import annotations

from functools import wraps
from zoneinfo import ZoneInfo

from flask import abort, current_app, g
from flask_login import current_user

from sis_appointments.contract import SisUser
from sis_appointments.domain.timezones import zone_or_default


def identify(user) -> SisUser | None:
    """Map a host user object to a ``SisUser`` through the host's hook (None if anonymous)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    pm = current_app.extensions["sis_appointments"].pm
    return pm.hook.appointments_identify(user=user)


def current_identity() -> SisUser | None:
    """The ``SisUser`` of the request's logged-in user, asked of the host once per request."""
    if "_appt_identity" not in g:
        g._appt_identity = identify(current_user)
    return g._appt_identity


def require_roles(*roles: str):
    """View decorator: anonymous users go to the host's login, users without a role get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            identity = current_identity()
            if identity is None:
                return current_app.login_manager.unauthorized()
            if not identity.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def can_view_student(viewer: SisUser | None, student_key: str) -> bool:
    """Students see only themselves; staff and admins see every student."""
    if viewer is None:
        return False
    return viewer.key == str(student_key) or viewer.has_role("staff", "admin")


def display_zone(viewer: SisUser | None) -> ZoneInfo:
    """The zone to show times in: the viewer's own, else the plugin's default."""
    default = current_app.extensions["sis_appointments"].settings[
        "SIS_APPOINTMENTS_DEFAULT_TIMEZONE"
    ]
    return zone_or_default(viewer.timezone if viewer else None, default)

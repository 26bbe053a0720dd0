"""Staff pages: the blueprint and its navigation, notification delivery (the dashboard is
web/admin_dashboard.py, the audit log web/admin_system.py, other areas modules of their own).

Every staff page is on this blueprint (mounted under the admin prefix) and extends
``appointments/admin/base.html``, whose navigation lists the pages ``page`` registered for
the viewer's roles. Other areas live in modules of their own (``web/admin_<area>.py``) that
add routes to ``bp`` and call ``page`` once; plugin.py imports them.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, redirect, render_template, request, url_for

from sis_appointments import jobs
from sis_appointments.domain.errors import SchedulingError
from sis_appointments.notify import delivery
from sis_appointments.services.notifications import outbox
from sis_appointments.web import ID, db, make_blueprint, permissions, require_valid
from sis_appointments.web.forms import ActionForm

bp = make_blueprint("appointments_admin", __name__)


@dataclass(frozen=True)
class AdminPage:
    """An entry of the staff pages' navigation: ``endpoint`` (with any sub-pages starting
    with ``endpoint_prefix``) for users with one of ``roles``; lower ``order`` first."""

    label: str
    endpoint: str
    roles: tuple[str, ...] = ("staff", "admin")
    order: int = 100
    endpoint_prefix: str | None = None


PAGES: list[AdminPage] = []


def page(label: str, endpoint: str, roles: tuple[str, ...] = ("staff", "admin"),
         order: int = 100, endpoint_prefix: str | None = None) -> None:
    """Add a page to the staff navigation (once, at import)."""
    PAGES.append(AdminPage(label, endpoint, roles, order, endpoint_prefix))
    PAGES.sort(key=lambda p: (p.order, p.label))


@bp.context_processor
def _navigation():
    identity = permissions.current_identity()
    shown = [p for p in PAGES if identity is not None and identity.has_role(*p.roles)]
    here = request.endpoint or ""
    current = next((p for p in shown if here == p.endpoint or (
        p.endpoint_prefix and here.startswith(p.endpoint_prefix))), None)
    return {"admin_pages": shown, "admin_current": current}


page("Notification delivery", "appointments_admin.notifications", roles=("admin",), order=90)
page("My notifications", "appointments_me.notifications", order=95)


@bp.get("/notifications")
@permissions.require_roles("admin")
def notifications():
    """Delivery at a glance: counts by status, the dead letters, the jobs' last runs."""
    session, identity = db.session(), permissions.current_identity()
    return render_template(
        "appointments/admin/notifications.html",
        counts=outbox.counts(session, actor=identity),
        dead=outbox.listed(session, actor=identity, status="dead", limit=200),
        jobs=jobs.status(session, actor=identity), form=ActionForm(),
        zone=permissions.display_zone(identity))


@bp.post(f"/notifications/<{ID}:notification_id>/retry")
@permissions.require_roles("admin")
def retry(notification_id: int):
    require_valid(ActionForm())
    try:
        delivery.retry_dead(db.session(), actor=permissions.current_identity(),
                            notification_id=notification_id)
        flash("It will be sent again with the next delivery run.")
    except SchedulingError as error:
        flash(error.message, "error")
    return redirect(url_for("appointments_admin.notifications"), 303)

"""Staff pages: the appointments dashboard, the audit log, notification delivery."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from sis_appointments import jobs
from sis_appointments.domain.errors import SchedulingError
from sis_appointments.notify import delivery
from sis_appointments.services.notifications import outbox
from sis_appointments.services.platform import audit
from sis_appointments.services.scheduling import queries
from sis_appointments.web import ID, db, make_blueprint, permissions, require_valid
from sis_appointments.web.forms import ActionForm

bp = make_blueprint("appointments_admin", __name__)


@bp.get("/")
@permissions.require_roles("staff", "admin")
def dashboard():
    identity = permissions.current_identity()
    slots, hosts = queries.dashboard_slots(db.session(), identity)
    return render_template(
        "appointments/admin/dashboard.html", slots=slots, hosts=hosts,
        days=queries.DASHBOARD_WINDOW.days, zone=permissions.display_zone(identity),
    )


@bp.get("/audit")
@permissions.require_roles("admin")
def audit_log():
    identity = permissions.current_identity()
    return render_template(
        "appointments/admin/audit.html", entries=audit.page(db.session(), actor=identity),
        zone=permissions.display_zone(identity),
    )


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

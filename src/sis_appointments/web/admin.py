"""Staff pages: the appointments dashboard and the audit log."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template

from sis_appointments import db, permissions
from sis_appointments.models import utcnow
from sis_appointments.services import audit, bookings
from sis_appointments.web import make_blueprint

bp = make_blueprint("appointments_admin", __name__)


@bp.get("/")
@permissions.require_roles("staff", "admin")
def dashboard():
    identity = permissions.current_identity()
    now = utcnow()
    host_key = None if identity.has_role("admin") else identity.key
    slots = bookings.upcoming_slots(db.session(), now, now + timedelta(days=7), host_key)
    return render_template(
        "appointments/admin_dashboard.html", slots=slots,
        zone=permissions.display_zone(identity), all_hosts=host_key is None,
    )


@bp.get("/audit")
@permissions.require_roles("admin")
def audit_log():
    return render_template(
        "appointments/admin_audit.html", entries=audit.recent(db.session()),
        zone=permissions.display_zone(permissions.current_identity()),
    )

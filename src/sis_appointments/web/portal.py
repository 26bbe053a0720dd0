"""The students' Appointments tab."""

from __future__ import annotations

from flask import render_template

from sis_appointments import db, permissions
from sis_appointments.resources import package_path
from sis_appointments.services import bookings
from sis_appointments.web import make_blueprint

bp = make_blueprint(
    "appointments_portal", __name__,
    static_folder=package_path("static"), static_url_path="/static",
)


@bp.get("/")
@permissions.require_roles("student")
def index():
    identity = permissions.current_identity()
    upcoming, past = bookings.student_bookings(db.session(), identity.key)
    return render_template(
        "appointments/portal.html", upcoming=upcoming, past=past,
        zone=permissions.display_zone(identity),
    )

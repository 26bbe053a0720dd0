"""Admin: system settings, the notification outbox (dead letters), background jobs."""

from __future__ import annotations

from sis_appointments import jobs
from sis_appointments.notify import delivery
from sis_appointments.services.notifications import outbox
from sis_appointments.services.platform import settings
from sis_appointments.web import ID, db
from sis_appointments.web.api.auth import actor
from sis_appointments.web.api.groups import Blueprint
from sis_appointments.web.api.schemas.system import (
    JobOut,
    OutboxOut,
    OutboxQuery,
    SettingIn,
    SettingsOut,
)

blp = Blueprint("appointments_api_system", __name__, url_prefix="/system", group="System",
                description=("Admins only: system settings, notification delivery (retry failed "
                             "ones) and background jobs"), admins_only=True)


@blp.route("/settings")
@blp.response(200, SettingsOut)
def get_settings():
    """Every system default, as set or built in."""
    return settings.all_settings(db.session(), actor=actor())


@blp.route("/settings/<string(maxlength=64):key>", methods=["PUT"])
@blp.arguments(SettingIn)
@blp.response(200, SettingsOut)
def put_setting(body, key: str):
    """Change one system default (validated, audited)."""
    settings.put(db.session(), actor=actor(), key=key, value=body["value"])
    return settings.all_settings(db.session(), actor=actor())


@blp.route("/notifications")
@blp.arguments(OutboxQuery, location="query")
@blp.response(200, OutboxOut(many=True))
def outbox_listed(query):
    """Notifications by delivery status, newest first: by default the dead letters."""
    return outbox.listed(db.session(), actor=actor(), status=query["status"],
                         limit=query["limit"])


@blp.route(f"/notifications/<{ID}:notification_id>/retry", methods=["POST"])
@blp.response(200, OutboxOut)
def retry(notification_id: int):
    """Send a dead letter again (its attempts start over)."""
    return delivery.retry_dead(db.session(), actor=actor(), notification_id=notification_id)


@blp.route("/jobs")
@blp.response(200, JobOut(many=True))
def job_status():
    """Each background job: its interval and its last run."""
    return jobs.status(db.session(), actor=actor())

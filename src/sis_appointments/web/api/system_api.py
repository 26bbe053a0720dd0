"""Admin: system settings, the notification outbox (dead letters), background jobs."""

from __future__ import annotations

from flask_smorest import Blueprint
from sqlalchemy import select

from sis_appointments import db
from sis_appointments.domain.errors import Forbidden
from sis_appointments.models import Notification
from sis_appointments.notify import delivery, jobs
from sis_appointments.services import settings
from sis_appointments.web import ID
from sis_appointments.web.api import actor
from sis_appointments.web.api.schemas import (
    JobOut,
    OutboxOut,
    OutboxQuery,
    SettingIn,
    SettingsOut,
)

blp = Blueprint("appointments_api_system", __name__, url_prefix="/system",
                description="Settings, notification delivery and jobs (admins)")


def _admin():
    who = actor()
    if not who.has_role("admin"):
        raise Forbidden("this is for admins")
    return who


@blp.route("/settings")
@blp.response(200, SettingsOut)
def get_settings():
    """Every system default, as set or built in."""
    _admin()
    return settings.all_settings(db.session())


@blp.route("/settings/<string(maxlength=64):key>", methods=["PUT"])
@blp.arguments(SettingIn)
@blp.response(200, SettingsOut)
def put_setting(body, key: str):
    """Change one system default (validated, audited)."""
    settings.put(db.session(), actor=_admin(), key=key, value=body["value"])
    return settings.all_settings(db.session())


@blp.route("/notifications")
@blp.arguments(OutboxQuery, location="query")
@blp.response(200, OutboxOut(many=True))
def outbox(query):
    """Notifications by delivery status, newest first: by default the dead letters."""
    _admin()
    return list(db.session().scalars(select(Notification).where(
        Notification.status == query["status"]).order_by(Notification.id.desc())
        .limit(query["limit"])))


@blp.route(f"/notifications/<{ID}:notification_id>/retry", methods=["POST"])
@blp.response(200, OutboxOut)
def retry(notification_id: int):
    """Send a dead letter again (its attempts start over)."""
    return delivery.retry_dead(db.session(), actor=_admin(), notification_id=notification_id)


@blp.route("/jobs")
@blp.response(200, JobOut(many=True))
def job_status():
    """Each background job: its interval and its last run."""
    _admin()
    return jobs.status(db.session())

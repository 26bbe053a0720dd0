"""The caller's own notifications and preferences: /me/notifications, /me/preferences."""

from __future__ import annotations

from sis_appointments.services.notifications import inbox, preferences
from sis_appointments.web import ID, db
from sis_appointments.web.api.auth import actor
from sis_appointments.web.api.groups import Blueprint
from sis_appointments.web.api.schemas.inbox import (
    InAppList,
    InAppQuery,
    Marked,
    Preferences,
    PreferencesIn,
)

blp = Blueprint("appointments_api_inbox", __name__, url_prefix="/me", group="Your notifications",
                description=("Your in-app notifications, and which events reach you on which "
                             "channels"))


@blp.route("/notifications")
@blp.arguments(InAppQuery, location="query")
@blp.response(200, InAppList)
def list_notifications(query):
    """In-app notifications, newest first, and how many are unread."""
    items, unread = inbox.listed(db.session(), actor().key, unread=query["unread"],
                                 before=query.get("before"), limit=query["limit"])
    return {"items": items, "unread": unread}


@blp.route(f"/notifications/<{ID}:notification_id>/read", methods=["POST"])
@blp.response(200, Marked)
def read_one(notification_id: int):
    """Mark one notification read."""
    return {"marked_read": inbox.mark_read(db.session(), user=actor(),
                                           notification_id=notification_id)}


@blp.route("/notifications/read", methods=["POST"])
@blp.response(200, Marked)
def read_all():
    """Mark every notification read."""
    return {"marked_read": inbox.mark_read(db.session(), user=actor())}


@blp.route("/preferences")
@blp.response(200, Preferences)
def get_preferences():
    """Which events reach the caller on which channels, and reminder lead times."""
    return preferences.view(db.session(), actor())


@blp.route("/preferences", methods=["PUT"])
@blp.arguments(PreferencesIn)
@blp.response(200, Preferences)
def put_preferences(body):
    """Change them: `events` maps an event to the channels wanted (others are switched
    off); cancellations by staff always reach a student by email."""
    return preferences.update(db.session(), user=actor(), events=body.get("events"),
                              reminder_lead_minutes=body.get("reminder_lead_minutes"))

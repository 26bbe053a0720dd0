"""GET /me: the caller, their roles, time zone and upcoming bookings."""

from __future__ import annotations

from sis_appointments.services.scheduling import queries
from sis_appointments.web import db, permissions
from sis_appointments.web.api.auth import actor
from sis_appointments.web.api.groups import Blueprint
from sis_appointments.web.api.schemas.me import MeOut
from sis_appointments.web.api.serialize import bookings_json

blp = Blueprint("appointments_api_me", __name__, url_prefix="/me", group="You",
                description=("Who you are to the API: your name, roles, time zone and upcoming "
                             "bookings"))


@blp.route("")
@blp.response(200, MeOut)
def me():
    """Who am I, in which zone, and what have I booked."""
    who = actor()
    tz = permissions.display_zone(who)
    upcoming, _ = queries.student_bookings(db.session(), who.key)
    return {"key": who.key, "name": who.name, "email": who.email, "timezone": tz.key,
            "roles": sorted(who.roles), "upcoming": bookings_json(upcoming, tz)}

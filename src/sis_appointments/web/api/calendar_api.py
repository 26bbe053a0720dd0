"""Calendar files (text/calendar): a booking, the caller's calendar, the private feed URL."""

from __future__ import annotations

from flask import Response, current_app, url_for
from flask_smorest import Blueprint

from sis_appointments.notify.delivery import calendar_domain
from sis_appointments.services.notifications import inbox
from sis_appointments.services.reports import calendars
from sis_appointments.web import ID, db
from sis_appointments.web.api.auth import actor
from sis_appointments.web.api.schemas import FeedOut

blp = Blueprint("appointments_api_calendar", __name__, url_prefix="/calendar",
                description="iCalendar files and the private subscription feed")
ICS = "text/calendar"
TEXT = {"type": "string"}


def site_domain() -> str:
    """The domain that ends calendar UIDs (the sender address's)."""
    return calendar_domain(current_app.extensions["sis_appointments"].settings)


def ics_response(body: bytes, filename: str) -> Response:
    return Response(body, mimetype=ICS, headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


@blp.route(f"/bookings/<{ID}:booking_id>")
@blp.response(200, TEXT, content_type=ICS)
def booking_file(booking_id: int):
    """One booking as an .ics file to add to a calendar program."""
    return ics_response(calendars.booking_file(db.session(), actor=actor(),
                                               booking_id=booking_id, domain=site_domain()),
                        f"appointment-{booking_id}.ics")


@blp.route("/mine")
@blp.response(200, TEXT, content_type=ICS)
def my_calendar():
    """The caller's appointments (and, for staff, the slots they host) as one file."""
    return ics_response(calendars.user_calendar(db.session(), actor(), site_domain()),
                        "appointments.ics")


@blp.route("/hosts/<string(maxlength=64):host_key>")
@blp.response(200, TEXT, content_type=ICS)
def host_calendar(host_key: str):
    """The slots a staff member hosts (series with their RRULE), for who manages them."""
    return ics_response(calendars.host_calendar(db.session(), actor=actor(), host_key=host_key,
                                                domain=site_domain()), "appointments.ics")


@blp.route("/feed", methods=["POST"])
@blp.response(201, FeedOut)
def new_feed():
    """A private subscription URL for calendar programs; a new one replaces the old."""
    token = inbox.new_feed_token(db.session(), user=actor())
    return {"token": token,
            "url": url_for("appointments_me.feed", token=token, _external=True)}


@blp.route("/feed", methods=["DELETE"])
@blp.response(204)
def revoke_feed():
    """Turn the subscription URL off."""
    inbox.revoke_feed_token(db.session(), user=actor())

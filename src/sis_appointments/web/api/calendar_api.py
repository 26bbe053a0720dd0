"""Calendar files (text/calendar): a booking, the caller's calendar, the private feed URL."""

from __future__ import annotations

from flask import Response, current_app, url_for

from sis_appointments.notify.delivery import calendar_domain
from sis_appointments.services.accounts import access
from sis_appointments.services.notifications import inbox
from sis_appointments.services.reports import calendars
from sis_appointments.web import ID, db
from sis_appointments.web.api import caching
from sis_appointments.web.api.auth import actor
from sis_appointments.web.api.groups import Blueprint
from sis_appointments.web.api.schemas.calendars import CalendarQuery, FeedOut

blp = Blueprint("appointments_api_calendar", __name__, url_prefix="/calendar",
                group="Calendar files",
                description=("iCalendar (.ics) files of a booking or a calendar, and your "
                             "private subscription feed"))
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


def user_file(user, start=None, end=None) -> Response:
    """`user`'s calendar file, kept by the process until the next committed change."""
    def compute() -> bytes:
        return calendars.user_calendar(db.session(), user, site_domain(), start=start, end=end)

    key = ("ics", user.key, tuple(sorted(user.roles)), start, end)
    return ics_response(caching.body(key, compute), "appointments.ics")


@blp.route("/mine")
@blp.arguments(CalendarQuery, location="query")
@blp.response(200, TEXT, content_type=ICS)
def my_calendar(query):
    """The caller's appointments (and, for staff, the slots they host) as one file, from
    `start` (default 60 days ago) to `end` (default open)."""
    return user_file(actor(), query.get("start"), query.get("end"))


@blp.route("/hosts/<string(maxlength=64):host_key>")
@blp.arguments(CalendarQuery, location="query")
@blp.response(200, TEXT, content_type=ICS)
def host_calendar(query, host_key: str):
    """The slots a staff member hosts (series with their RRULE), for who manages them, from
    `start` (default 60 days ago) to `end` (default open)."""
    if "\x00" not in host_key:  # checked on every request; the file may come from the cache
        access.require_manage_host(db.session(), actor(), host_key)

    def compute() -> bytes:
        return calendars.host_calendar(db.session(), actor=actor(), host_key=host_key,
                                       domain=site_domain(), start=query.get("start"),
                                       end=query.get("end"))

    key = ("ics-host", host_key, query.get("start"), query.get("end"))
    return ics_response(caching.body(key, compute), "appointments.ics")


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

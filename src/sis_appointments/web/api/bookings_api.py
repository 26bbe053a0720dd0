"""Bookings: list (students see their own), read, cancel, reschedule, attendance."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import select

from sis_appointments.domain.errors import Forbidden, NotFound
from sis_appointments.models import Booking, RoleGrant
from sis_appointments.services.accounts import access
from sis_appointments.services.scheduling import booking, queries
from sis_appointments.web import ID, db, permissions
from sis_appointments.web.api import actor, paging
from sis_appointments.web.api.schemas import (
    Attendance,
    BookingOut,
    BookingQuery,
    Reason,
    Reschedule,
)
from sis_appointments.web.api.serialize import booking_json

blp = Blueprint("appointments_api_bookings", __name__, url_prefix="/bookings",
                description="Bookings and what can be done to them")


class BookingPage(Schema):
    items = fields.List(fields.Nested(BookingOut))
    next = fields.String(allow_none=True)


def _visible(booking_id: int) -> Booking:
    """The booking, if the caller may see it (else 404: others' bookings do not exist)."""
    session, who = db.session(), actor()
    found = session.get(Booking, booking_id)
    if found is None:
        raise NotFound(f"booking {booking_id} does not exist")
    try:
        access.require_booking_access(session, who, found.student_key, found.slot.host_key)
    except Forbidden as exc:
        raise NotFound(f"booking {booking_id} does not exist") from exc
    return found


def _scope(query: dict) -> tuple[list[str] | None, list[str] | None]:
    """Whose bookings the caller may list: a student only their own; staff those on the
    calendars they manage; admins everyone's."""
    who, session = actor(), db.session()
    students = [query["student"]] if query.get("student") else None
    hosts = [query["host"]] if query.get("host") else None
    if who.has_role("admin"):
        return students, hosts
    if who.has_role("staff"):
        if hosts and not access.can_manage_host(session, who, hosts[0]):
            raise Forbidden("you cannot see this calendar")
        if hosts is None and not session.scalar(select(RoleGrant.id).where(
                RoleGrant.user_key == who.key, RoleGrant.grant == "manage_all").limit(1)):
            hosts = [who.key] + [g.target_key for g in session.scalars(select(RoleGrant).where(
                RoleGrant.user_key == who.key, RoleGrant.grant == "manage_calendar"))]
        return students, hosts
    if students and students != [who.key]:
        raise Forbidden("students see only their own bookings")
    return [who.key], hosts


@blp.route("")
@blp.arguments(BookingQuery, location="query")
@blp.response(200, BookingPage)
def list_bookings(query):
    """Bookings the caller may see, by slot start, with a ``next`` link per page."""
    students, hosts = _scope(query)
    found = queries.list_bookings(
        db.session(), students=students, hosts=hosts, status=query.get("status"),
        start=query.get("start"), end=query.get("end"),
        after=paging.decode(query.get("cursor")), limit=query["limit"] + 1)
    body = paging.page(found, lambda b: (b.slot.start_utc, b.id), query["limit"])
    tz = permissions.display_zone(actor())
    body["items"] = [booking_json(b, tz) for b in body["items"]]
    return body


@blp.route(f"/<{ID}:booking_id>")
@blp.response(200, BookingOut)
def get_booking(booking_id: int):
    return booking_json(_visible(booking_id), permissions.display_zone(actor()))


@blp.route(f"/<{ID}:booking_id>/cancel", methods=["POST"])
@blp.arguments(Reason)
@blp.response(200, BookingOut)
def cancel_booking(body, booking_id: int):
    """Cancel; a student after the type's cutoff makes it a late cancellation. The freed
    seat goes to the first valid student on the waitlist."""
    _visible(booking_id)
    done = booking.cancel(db.session(), actor=actor(), booking_id=booking_id,
                          reason=body["reason"])
    return booking_json(done, permissions.display_zone(actor()))


@blp.route(f"/<{ID}:booking_id>/reschedule", methods=["POST"])
@blp.arguments(Reschedule)
@blp.response(200, BookingOut)
def reschedule_booking(body, booking_id: int):
    """Move to another slot: the new seat is taken first; nothing changes on failure."""
    _visible(booking_id)
    moved = booking.reschedule(db.session(), actor=actor(), booking_id=booking_id,
                               target_slot_id=body["slot_id"],
                               override_reason=body.get("override_reason"))
    return booking_json(moved, permissions.display_zone(actor()))


@blp.route(f"/<{ID}:booking_id>/attendance", methods=["POST"])
@blp.arguments(Attendance)
@blp.response(200, BookingOut)
def mark_attendance(body, booking_id: int):
    """Staff mark attended, no_show or excused once it started; confirmed undoes it."""
    _visible(booking_id)
    marked = booking.mark_attendance(db.session(), actor=actor(), booking_id=booking_id,
                                     status=body["status"])
    return booking_json(marked, permissions.display_zone(actor()))

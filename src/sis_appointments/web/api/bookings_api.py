"""Bookings: list (students see their own), read, history, cancel, reschedule, attendance."""

from __future__ import annotations

from sis_appointments.services.accounts import access
from sis_appointments.services.scheduling import booking, history, queries
from sis_appointments.web import ID, db, permissions
from sis_appointments.web.api import paging
from sis_appointments.web.api.auth import actor
from sis_appointments.web.api.groups import Blueprint
from sis_appointments.web.api.schemas.bookings import (
    Attendance,
    BookingOut,
    BookingQuery,
    HistoryOut,
    Reschedule,
)
from sis_appointments.web.api.schemas.common import Reason, page_of
from sis_appointments.web.api.serialize import booking_json, bookings_json, change_json

blp = Blueprint("appointments_api_bookings", __name__, url_prefix="/bookings", group="Bookings",
                description=("Booked appointments: list and read them, cancel or reschedule one, "
                             "record attendance, see its history"))


BookingPage = page_of("BookingPage", BookingOut)


@blp.route("")
@blp.arguments(BookingQuery, location="query")
@blp.response(200, BookingPage)
def list_bookings(query):
    """Bookings the caller may see, by slot start, with a `next` link per page."""
    students, hosts = access.booking_scope(db.session(), actor(), query.get("student"),
                                           query.get("host"))
    found = queries.list_bookings(
        db.session(), students=students, hosts=hosts, status=query.get("status"),
        start=query.get("start"), end=query.get("end"),
        after=paging.decode(query.get("cursor")), limit=query["limit"] + 1)
    body = paging.page(found, lambda b: (b.slot.start_utc, b.id), query["limit"])
    tz = permissions.display_zone(actor())
    body["items"] = bookings_json(body["items"], tz)
    return body


@blp.route(f"/<{ID}:booking_id>")
@blp.response(200, BookingOut)
def get_booking(booking_id: int):
    found = access.visible_booking(db.session(), actor(), booking_id)
    return booking_json(found, permissions.display_zone(actor()))


@blp.route(f"/<{ID}:booking_id>/history")
@blp.response(200, HistoryOut)
def booking_history(booking_id: int):
    """What happened to the booking, oldest first: booked or given from the waitlist,
    moved, cancelled, attendance. Its student sees staff as their office and no staff
    notes; staff who manage its calendar see who and why; anyone else gets 404."""
    changes = history.booking_history(db.session(), actor(), booking_id)
    tz = permissions.display_zone(actor())
    return {"booking_id": booking_id, "items": [change_json(c, tz) for c in changes]}


@blp.route(f"/<{ID}:booking_id>/cancel", methods=["POST"])
@blp.arguments(Reason)
@blp.response(200, BookingOut)
def cancel_booking(body, booking_id: int):
    """Cancel; a student after the type's cutoff makes it a late cancellation. The freed
    seat goes to the first valid student on the waitlist."""
    done = booking.cancel(db.session(), actor=actor(), booking_id=booking_id,
                          reason=body["reason"])
    return booking_json(done, permissions.display_zone(actor()))


@blp.route(f"/<{ID}:booking_id>/reschedule", methods=["POST"])
@blp.arguments(Reschedule)
@blp.response(200, BookingOut)
def reschedule_booking(body, booking_id: int):
    """Move to another slot: the new seat is taken first; nothing changes on failure.

    A student may move their booking only while cancelling it would be free (before the
    type's cancellation cutoff): later it is refused with `too_late_to_move` (422). Staff
    may move it until it starts."""
    moved = booking.reschedule(db.session(), actor=actor(), booking_id=booking_id,
                               target_slot_id=body["slot_id"],
                               override_reason=body.get("override_reason"))
    return booking_json(moved, permissions.display_zone(actor()))


@blp.route(f"/<{ID}:booking_id>/attendance", methods=["POST"])
@blp.arguments(Attendance)
@blp.response(200, BookingOut)
def mark_attendance(body, booking_id: int):
    """Staff mark attended, no_show or excused once it started; confirmed undoes it."""
    marked = booking.mark_attendance(db.session(), actor=actor(), booking_id=booking_id,
                                     status=body["status"])
    return booking_json(marked, permissions.display_zone(actor()))

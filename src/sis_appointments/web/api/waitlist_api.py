"""Waitlist places: answering a seat held for one (offer mode: accept or decline)."""

from __future__ import annotations

from sis_appointments.services.scheduling import waitlist
from sis_appointments.web import ID, db, permissions
from sis_appointments.web.api.auth import actor
from sis_appointments.web.api.groups import Blueprint
from sis_appointments.web.api.problem import PROBLEM_TYPE
from sis_appointments.web.api.schemas.bookings import BookingOut
from sis_appointments.web.api.schemas.common import Problem
from sis_appointments.web.api.schemas.waitlist import WaitlistOut
from sis_appointments.web.api.serialize import booking_json, waitlist_json

blp = Blueprint("appointments_api_waitlist", __name__, url_prefix="/waitlist",
                group="Waitlist offers",
                description=("Answer a seat held for a waitlist place: accept it (it becomes a "
                             "booking) or decline it"))

NOT_FOUND = ("No such place, or not the caller's (students see only their own; staff "
             "those on calendars they manage)")
REFUSED = ("No open offer: `offer_expired` (the offer ran out; the seat passes to the "
           "next student waiting) or `no_offer` (still waiting, or the place is closed); "
           "`state` has the place's status and offer expiry")


@blp.route(f"/<{ID}:entry_id>/accept", methods=["POST"])
@blp.response(201, BookingOut)
@blp.alt_response(404, schema=Problem, description=NOT_FOUND, content_type=PROBLEM_TYPE)
@blp.alt_response(409, schema=Problem, description=REFUSED, content_type=PROBLEM_TYPE)
def accept_offer(entry_id: int):
    """Accept the seat held for this place before the offer expires: it becomes a booking
    (the student's rules are checked again, as for any booking)."""
    made = waitlist.accept_offer(db.session(), actor=actor(), entry_id=entry_id)
    return booking_json(made, permissions.display_zone(actor()))


@blp.route(f"/<{ID}:entry_id>/decline", methods=["POST"])
@blp.response(200, WaitlistOut)
@blp.alt_response(404, schema=Problem, description=NOT_FOUND, content_type=PROBLEM_TYPE)
@blp.alt_response(409, schema=Problem, description=REFUSED, content_type=PROBLEM_TYPE)
def decline_offer(entry_id: int):
    """Decline the seat held for this place: the place closes (`left`) and the seat is
    offered to the next student waiting."""
    entry = waitlist.decline_offer(db.session(), actor=actor(), entry_id=entry_id)
    return waitlist_json(entry, None)

"""The students' book page and booking from it (routes of the portal's blueprint)."""

from __future__ import annotations

from flask import render_template, request, url_for

from sis_appointments.services.scheduling import availability, booking, queries, waitlist
from sis_appointments.web import ID, db, permissions
from sis_appointments.web.forms import ActionForm
from sis_appointments.web.portal import act, bp


@bp.get("/book")
@permissions.require_roles("student")
def book_page():
    identity = permissions.current_identity()
    session = db.session()
    type_id = request.args.get("type", type=int)
    slots = availability.book_page(session, identity.key, type_id)
    return render_template("appointments/portal/book.html", slots=slots,
                           days=availability.BOOK_PAGE_HORIZON.days,
                           types=queries.active_types(session), type_id=type_id,
                           zone=permissions.display_zone(identity), action_form=ActionForm())


@bp.post(f"/slots/<{ID}:slot_id>/book")
@permissions.require_roles("student")
def book(slot_id: int):
    actor = permissions.current_identity()
    return act(ActionForm(), lambda: booking.book(db.session(), actor=actor, slot_id=slot_id),
                "Booked. It is listed under your upcoming appointments.",
                url_for("appointments_portal.book_page"))


@bp.post(f"/slots/<{ID}:slot_id>/waitlist")
@permissions.require_roles("student")
def join_waitlist(slot_id: int):
    actor = permissions.current_identity()
    return act(ActionForm(), lambda: waitlist.join(db.session(), actor=actor, slot_id=slot_id),
                _joined_message, url_for("appointments_portal.book_page"))


def _joined_message(entry) -> str:
    """What joining promises: a seat booked for you, or (offer mode) held for you to accept."""
    minutes = entry.slot.type.offer_minutes
    if minutes:
        return (f"You are on the waitlist. If a seat frees up it is held for you for "
                f"{minutes} minutes: accept it under your appointments before then, or it "
                "passes to the next student waiting.")
    return "You are on the waitlist; a freed seat is booked for you automatically."

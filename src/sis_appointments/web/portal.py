"""The students' Appointments tab: their bookings, history and waitlist places, cancelling
and rescheduling with a confirmation page, and what happened to each booking (booking and
the book page are in ``portal_book``, on the same blueprint)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from sis_appointments.domain.errors import Forbidden, NotFound, SchedulingError
from sis_appointments.resources import package_path
from sis_appointments.services.accounts import access
from sis_appointments.services.platform import sis
from sis_appointments.services.scheduling import booking, history, my_appointments, waitlist
from sis_appointments.web import ID, db, make_blueprint, permissions, require_valid, unread
from sis_appointments.web.forms import ActionForm, CancelForm, RescheduleForm

bp = make_blueprint(
    "appointments_portal", __name__,
    static_folder=package_path("static"), static_url_path="/static",
)

# Refusals worded for students, with the next step; other refusals show the rule's message.
PLAIN_WORDS = {
    "slot_full": "Someone took the last seat of that time a moment ago. Pick another time.",
    "slot_closed": "That time is no longer open for booking. Pick another time.",
    "student_overlap": "You already have another appointment at that time. Pick another time.",
    "student_busy": "That time clashes with your timetable. Pick another time.",
    "slot_in_past": "That appointment has already started, so it cannot be changed here.",
    "not_active": "This booking is no longer active; nothing was changed.",
    "same_slot": "Your appointment is already at that time.",
    "offer_expired": "The held seat was not accepted in time and has passed on; "
                     "you are still on the waitlist.",
    "no_offer": "There is no seat held for you at the moment.",
    "not_waiting": "You are no longer on this waitlist.",
}


def plain(error: SchedulingError) -> str:
    """A refusal in the words of PLAIN_WORDS, else the rule's own message."""
    return PLAIN_WORDS.get(error.code) or error.message


@bp.get("/")
@permissions.require_roles("student")
def index():
    """My appointments; with ``fragment=1`` only its body (what mine.js refetches)."""
    identity = permissions.current_identity()
    session = db.session()
    mine = my_appointments.overview(session, identity.key)
    template = ("appointments/portal/mine_body.html" if request.args.get("fragment") == "1"
                else "appointments/portal/index.html")
    return render_template(template, mine=mine, zone=permissions.display_zone(identity),
                           action_form=ActionForm(), rooms=_rooms(mine),
                           unread=unread(identity.key))


def _rooms(mine) -> str:
    """The live rooms the page follows: the student's own events, and the types of the slots
    it shows (a slot moved or cancelled by staff)."""
    types = {b.slot.type_id for b in mine.upcoming} | {e.slot.type_id for e, _ in mine.waiting}
    return " ".join(["me", *(f"type:{t}" for t in sorted(types))])


def act(form, action, success, back: str, words=lambda error: error.message,
        done: str | None = None):
    """Run one service call for a POSTed form; rule refusals become a message (worded by
    ``words``). ``success`` is the message, or a function of what the call returned that
    words it, said on ``done`` (default: My appointments)."""
    require_valid(form)
    try:
        result = action()
    except Forbidden:
        abort(403)
    except NotFound:
        abort(404)
    except SchedulingError as error:
        flash(words(error), "error")
        return redirect(back, 303)
    flash(success(result) if callable(success) else success)
    return redirect(done or url_for("appointments_portal.index"), 303)


def _at(booking, zone) -> str:
    """'Tue 8 Dec 10:00' in the viewer's zone."""
    local = booking.slot.start_utc.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def _named(booking) -> str:
    """'Advising with Dr Lee': the appointment's type and its staff member."""
    host = sis.users(db.session(), [booking.slot.host_key]).get(booking.slot.host_key)
    name = getattr(host, "name", None)
    return f"{booking.slot.type.name} with {name}" if name else booking.slot.type.name


def cancelled_words(done, zone) -> str:
    """'Cancelled: Advising with Dr Lee, Tue 8 Dec 10:00.' (and the late cancellation)."""
    words = f"Cancelled: {_named(done)}, {_at(done, zone)}."
    return words + (" It counts as a late cancellation." if done.status == "late_cancelled"
                    else "")


def moved_words(done, zone) -> str:
    """'Moved: Advising is now Thu 10 Dec 15:00.'"""
    return f"Moved: {done.slot.type.name} is now {_at(done, zone)}."


def own_booking(booking_id: int):
    """The current student's booking; anyone else's does not exist (404)."""
    identity = permissions.current_identity()
    try:
        found = access.visible_booking(db.session(), identity, booking_id)
    except NotFound:
        abort(404)
    if found.student_key != identity.key:
        abort(404)
    return identity, found


def unchangeable(found) -> str | None:
    """Why a booking can no longer be cancelled or moved from these pages, if it cannot."""
    if found.status != "confirmed":
        return "This booking is not active any more."
    if my_appointments.started(found):
        return PLAIN_WORDS["slot_in_past"]
    return None


@bp.get(f"/bookings/<{ID}:booking_id>")
@permissions.require_roles("student", "staff", "admin")
def booking_details(booking_id: int):
    """What happened to a booking: its student, or staff who manage its calendar."""
    identity = permissions.current_identity()
    session = db.session()
    try:
        changes = history.booking_history(session, identity, booking_id)
    except NotFound:
        abort(404)
    found = access.visible_booking(session, identity, booking_id)
    mine = found.student_key == identity.key
    return render_template(
        "appointments/portal/booking.html", booking=found, changes=changes, mine=mine,
        host=sis.users(session, [found.slot.host_key])[found.slot.host_key],
        student_name=None if mine else sis.name(session, found.student_key),
        zone=permissions.display_zone(identity))


@bp.route(f"/bookings/<{ID}:booking_id>/cancel", methods=["GET", "POST"])
@permissions.require_roles("student")
def cancel(booking_id: int):
    """GET: the confirmation (reason, late-cancellation warning); POST: cancel."""
    identity, found = own_booking(booking_id)
    form = CancelForm()
    if request.method == "POST":
        return act(form, lambda: booking.cancel(
            db.session(), actor=identity, booking_id=booking_id,
            reason=(form.reason.data or "").strip()),
            lambda done: cancelled_words(done, permissions.display_zone(identity)),
            url_for("appointments_portal.index"), plain)
    if refusal := unchangeable(found):
        flash(refusal, "error")
        return redirect(url_for("appointments_portal.index"), 303)
    session = db.session()
    return render_template(
        "appointments/portal/cancel.html", booking=found, form=form,
        terms=my_appointments.cancel_terms(found),
        host=sis.users(session, [found.slot.host_key])[found.slot.host_key],
        zone=permissions.display_zone(identity))


@bp.route(f"/bookings/<{ID}:booking_id>/reschedule", methods=["GET", "POST"])
@permissions.require_roles("student")
def reschedule(booking_id: int):
    """GET: open slots of the same type to move to; POST: move to the chosen one."""
    identity, found = own_booking(booking_id)
    form = RescheduleForm()
    back = url_for("appointments_portal.reschedule", booking_id=booking_id)
    if request.method == "POST":
        require_valid(form)
        if not form.slot.data:
            flash("Pick a new time first.", "error")
            return redirect(back, 303)
        return act(form, lambda: booking.reschedule(
            db.session(), actor=identity, booking_id=booking_id, target_slot_id=form.slot.data),
            lambda done: moved_words(done, permissions.display_zone(identity)), back, plain)
    if refusal := unchangeable(found):
        flash(refusal, "error")
        return redirect(url_for("appointments_portal.index"), 303)
    session = db.session()
    zone = permissions.display_zone(identity)
    terms = my_appointments.cancel_terms(found)
    days, cut = my_appointments.reschedule_options(session, found, zone)
    return render_template(
        "appointments/portal/reschedule.html", booking=found, days=days, cut=cut, form=form,
        terms=terms,
        users=sis.users(session, {s.host_key for _, slots in days for s in slots}
                        | {found.slot.host_key}),
        zone=zone)


@bp.post(f"/waitlist/<{ID}:entry_id>/leave")
@permissions.require_roles("student")
def leave_waitlist(entry_id: int):
    actor = permissions.current_identity()
    here = url_for("appointments_portal.index")
    return act(ActionForm(),
                lambda: waitlist.leave(db.session(), actor=actor, entry_id=entry_id),
                "You left the waitlist.", here, done=_book_page(request.form.get("back")))


def _book_page(address: str | None) -> str | None:
    """``address`` when it is a week of the Book page (the form came from there), else None:
    never somewhere else."""
    page = url_for("appointments_portal.book_page")
    if address and (address == page or address.startswith(page + "?")):
        return address
    return None


@bp.post(f"/waitlist/<{ID}:entry_id>/accept")
@permissions.require_roles("student")
def accept_offer(entry_id: int):
    actor = permissions.current_identity()
    return act(ActionForm(),
                lambda: waitlist.accept_offer(db.session(), actor=actor, entry_id=entry_id),
                "Accepted. The seat is yours: it is listed under your upcoming appointments.",
                url_for("appointments_portal.index"), plain)


@bp.post(f"/waitlist/<{ID}:entry_id>/decline")
@permissions.require_roles("student")
def decline_offer(entry_id: int):
    actor = permissions.current_identity()
    return act(ActionForm(),
                lambda: waitlist.decline_offer(db.session(), actor=actor, entry_id=entry_id),
                "Declined. The seat passes to the next student waiting.",
                url_for("appointments_portal.index"), plain)

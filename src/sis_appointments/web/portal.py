"""The students' Appointments tab: their bookings and waitlist places (booking and the book
page are in ``portal_book``, on the same blueprint)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for

from sis_appointments.domain.errors import Forbidden, NotFound, SchedulingError
from sis_appointments.resources import package_path
from sis_appointments.services.scheduling import booking, queries, waitlist
from sis_appointments.web import ID, db, make_blueprint, permissions, require_valid
from sis_appointments.web.forms import ActionForm, CancelForm

bp = make_blueprint(
    "appointments_portal", __name__,
    static_folder=package_path("static"), static_url_path="/static",
)


@bp.get("/")
@permissions.require_roles("student")
def index():
    identity = permissions.current_identity()
    session = db.session()
    upcoming, past = queries.student_bookings(session, identity.key)
    return render_template(
        "appointments/portal/index.html", upcoming=upcoming, past=past,
        waiting=queries.student_waitlist(session, identity.key),
        zone=permissions.display_zone(identity), action_form=ActionForm(),
        cancel_form=CancelForm(),
    )


def act(form, action, success, back: str):
    """Run one service call for a POSTed form; rule refusals become a message. ``success``
    is the message, or a function of what the call returned that words it."""
    require_valid(form)
    try:
        done = action()
    except Forbidden:
        abort(403)
    except NotFound:
        abort(404)
    except SchedulingError as error:
        flash(error.message, "error")
        return redirect(back, 303)
    flash(success(done) if callable(success) else success)
    return redirect(url_for("appointments_portal.index"), 303)


@bp.post(f"/bookings/<{ID}:booking_id>/cancel")
@permissions.require_roles("student")
def cancel(booking_id: int):
    actor = permissions.current_identity()
    form = CancelForm()
    return act(form, lambda: booking.cancel(db.session(), actor=actor, booking_id=booking_id,
                                             reason=(form.reason.data or "").strip()),
                "Cancelled.", url_for("appointments_portal.index"))


@bp.post(f"/waitlist/<{ID}:entry_id>/leave")
@permissions.require_roles("student")
def leave_waitlist(entry_id: int):
    actor = permissions.current_identity()
    return act(ActionForm(),
                lambda: waitlist.leave(db.session(), actor=actor, entry_id=entry_id),
                "You left the waitlist.", url_for("appointments_portal.index"))


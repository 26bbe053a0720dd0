"""The staff dashboard: a week of slots on the calendars the viewer manages, who booked
them, attendance and cancelling, and the figures (services/scheduling/dashboard.py).

``?fragment=1`` renders only the body (what static/js/live_body.js refetches when a live
event says something changed). Actions POST, redirect back with 303 and flash; a cancel
without a reason shows the page again with the error beside that slot's form.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import AnyOf, DataRequired, Length, Regexp

from sis_appointments.domain.errors import Forbidden, NotFound, SchedulingError
from sis_appointments.models import utcnow
from sis_appointments.services.scheduling import booking, slots
from sis_appointments.services.scheduling import dashboard as board
from sis_appointments.web import ID, db, permissions, require_valid, submitted
from sis_appointments.web.admin import bp, page
from sis_appointments.web.forms import query_day

page("Dashboard", "appointments_admin.dashboard", order=10)


OUTCOMES = (("attended", "Attended"), ("no_show", "No-show"), ("excused", "Excused"))
FILTERS = ("start", "host", "office")


class AttendanceForm(FlaskForm):
    """The outcome a booking's button sends (one button per outcome)."""

    status = StringField("Attendance", validators=[
        DataRequired(), AnyOf([value for value, _ in OUTCOMES])])


class CancelSlotForm(FlaskForm):
    reason = StringField("Reason (told to the students booked)", validators=[
        DataRequired(message="Say why the slot is cancelled: the students are told."),
        Length(max=500), Regexp(r"^[^\x00]*$", message="must not contain NUL characters")])


def _filters() -> dict:
    """The dashboard's filters from the query string (a bad date is ignored)."""
    given = {k: (request.args.get(k) or "").strip()[:200] for k in FILTERS}
    return {"start": query_day(given["start"]), "host": given["host"] or None,
            "office": given["office"] or None}


def _query(filters: dict) -> dict:
    """The filters as query-string arguments (what links and redirects carry)."""
    return {k: (v.isoformat() if isinstance(v, date) else v)
            for k, v in filters.items() if v}


def _render(filters: dict, *, errors: dict | None = None, status: int = 200):
    identity = permissions.current_identity()
    zone = permissions.display_zone(identity)
    try:
        found = board.dashboard(db.session(), identity, zone, **filters)
    except Forbidden:
        abort(403)
    fragment = request.args.get("fragment") == "1"
    template = ("appointments/admin/dashboard_body.html" if fragment
                else "appointments/admin/dashboard.html")
    week = timedelta(days=7)
    args = _query({**filters, "start": None})
    return render_template(
        template, board=found, zone=zone, filters=filters, args=_query(filters),
        previous=_query({**args, "start": found.start - week}),
        following=_query({**args, "start": found.start + week}), today=args,
        attendance=AttendanceForm(formdata=None), cancel=CancelSlotForm(formdata=None),
        outcomes=OUTCOMES, errors=errors or {}, is_admin=identity.has_role("admin"),
        current_key=identity.key, today_date=utcnow().astimezone(zone).date(),
        hm=lambda instant: instant.astimezone(zone).strftime("%H:%M"), chart=_chart(found),
        max_listed=board.MAX_LISTED,
    ), status


def _chart(found: board.Dashboard) -> dict:
    """What dashboard.js draws: each week's Monday and utilisation in percent (or null)."""
    weeks = found.figures.weeks
    return {"labels": [w.monday.strftime("%-d %b") for w in weeks],
            "rates": [None if w.rate is None else round(w.rate * 100, 1) for w in weeks]}


@bp.get("/")
@permissions.require_roles("staff", "admin")
def dashboard():
    """Today and the next 7 days (or from ``start``), narrowed by ``host`` or ``office``."""
    return _render(_filters())


def _back():
    return redirect(url_for("appointments_admin.dashboard", **_query(_filters())), 303)


def _act(work, done: str):
    """Run a service call; its refusal is flashed, a hidden row is a 404 (no probing)."""
    try:
        work()
        flash(done)
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    except SchedulingError as error:
        flash(error.sentence, "error")
    return _back()


@bp.post(f"/bookings/<{ID}:booking_id>/attendance")
@permissions.require_roles("staff", "admin")
def mark_attendance(booking_id: int):
    form = AttendanceForm()
    require_valid(form)
    label = dict(OUTCOMES)[form.status.data]
    return _act(lambda: booking.mark_attendance(
        db.session(), actor=permissions.current_identity(), booking_id=booking_id,
        status=form.status.data), f"Marked {label.lower()}.")


@bp.post(f"/slots/<{ID}:slot_id>/cancel")
@permissions.require_roles("staff", "admin")
def cancel_slot(slot_id: int):
    form = CancelSlotForm()
    if not submitted(form):
        return _render(_filters(), errors={slot_id: form.reason.errors}, status=422)
    return _act(lambda: slots.cancel(
        db.session(), actor=permissions.current_identity(), slot_id=slot_id,
        reason=form.reason.data.strip()), "The slot is cancelled; its students are told.")

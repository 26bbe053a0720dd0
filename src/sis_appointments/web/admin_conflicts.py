"""Conflicts as a page: what clashes on the calendars the viewer manages over a range, and
resolving each by cancelling, moving the bookings to a suggested free slot, or keeping it
with a reason (services/scheduling/conflicts.py; every resolution is audited there)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import AnyOf, Length, NumberRange, Optional, Regexp

from sis_appointments.domain.errors import Forbidden, NotFound, SchedulingError
from sis_appointments.models import utcnow
from sis_appointments.services.accounts import access
from sis_appointments.services.scheduling import conflicts, queries
from sis_appointments.web import db, permissions, submitted
from sis_appointments.web.admin import bp, page
from sis_appointments.web.admin_calendar import live_rooms
from sis_appointments.web.forms import query_day

page("Conflicts", "appointments_admin.conflicts", order=40,
     endpoint_prefix="appointments_admin.conflicts")

DEFAULT_DAYS = 30
KIND_LABELS = {"host_overlap": "A host's slots overlap",
               "location_overlap": "Two slots share a place at the same time",
               "student_overlap": "A student is booked twice at the same time",
               "student_busy": "A booking clashes with the student's timetable",
               "off_availability": "A slot was moved off its series' published time"}
DONE = {"cancel_slot": "The slot is cancelled; its students are told.",
        "cancel_booking": "The booking is cancelled; the student is told.",
        "move": "The bookings are moved; the students are told.",
        "override": "The conflict is kept; it leaves the list."}
ROW_ID = [Optional(), NumberRange(1, 2147483647)]


class ResolveForm(FlaskForm):
    action = HiddenField(validators=[AnyOf(list(conflicts.RESOLUTIONS))])
    slot_id = IntegerField(validators=ROW_ID)
    booking_id = IntegerField(validators=ROW_ID)
    target_slot_id = IntegerField("Move the bookings to", validators=ROW_ID)
    kind = HiddenField(validators=[Optional(), AnyOf(list(conflicts.KINDS))])
    subject = HiddenField(validators=[Optional(), Length(max=200)])
    item = HiddenField(validators=[Optional(), Length(max=250)])  # the conflict shown
    reason = StringField("Reason", validators=[
        Length(max=1000), Regexp(r"^[^\x00]*$", message="must not contain NUL characters")])


def _range() -> tuple[date, int]:
    start = query_day(request.args.get("start"))
    days = request.args.get("days", type=int) or DEFAULT_DAYS
    return start, max(1, min(days, conflicts.MAX_RANGE.days))


@bp.get("/conflicts", endpoint="conflicts")
@permissions.require_roles("staff", "admin")
def conflicts_page():
    """The conflicts from ``start`` (default: today) for ``days`` days (``fragment=1``:
    the list alone, what static/js/live_body.js refetches when a calendar changes)."""
    return _render()


def _render(refused: dict | None = None, status: int = 200):
    """The conflicts page; ``refused``: a resolution just refused ({"item", "action",
    "message", "reason", "slot_id"}), said at its conflict."""
    identity = permissions.current_identity()
    zone = permissions.display_zone(identity)
    session = db.session()
    start, days = _range()
    start = start or utcnow().astimezone(zone).date()
    begin = datetime.combine(start, time(), zone)
    items = conflicts.find_for(session, actor=identity, start=begin,
                               end=begin + timedelta(days=days))
    found_slots, found_bookings = conflicts.involved(session, items)
    fragment = request.args.get("fragment") == "1"
    rooms = [] if fragment else live_rooms(access.managed_hosts(session, identity),
                                           queries.active_types(session))
    return render_template(
        f"appointments/admin/conflicts{'_body' if fragment else ''}.html", rooms=rooms,
        items=items, slots=found_slots,
        bookings=found_bookings, suggested=conflicts.suggestions(session, items),
        labels=KIND_LABELS, zone=zone, start=start, days=days, form=ResolveForm(formdata=None),
        back={"start": start.isoformat(), "days": days}, refused=refused or {},
        published=lambda local: datetime.fromisoformat(local).strftime("%a %-d %b %Y, %H:%M"),
    ), status


@bp.post("/conflicts/resolve", endpoint="conflicts_resolve")
@permissions.require_roles("staff", "admin")
def resolve_conflict():
    """Resolve one conflict; a refusal is said at that conflict (the page again, 422), a
    success flashed on the page it came from."""
    form = ResolveForm()
    if not submitted(form):
        message = "That did not work: " + "; ".join(
            f"{name.replace('_', ' ')} {' '.join(e)}" for name, e in form.errors.items())
    else:
        fields = {k: getattr(form, k).data for k in
                  ("slot_id", "booking_id", "target_slot_id", "kind", "subject")}
        try:
            conflicts.resolve(db.session(), actor=permissions.current_identity(),
                              action=form.action.data, reason=(form.reason.data or "").strip(),
                              slot_reason_required=True,
                              **{k: v for k, v in fields.items() if v})
        except NotFound:
            abort(404)
        except Forbidden:
            abort(403)
        except SchedulingError as error:
            db.session().rollback()
            message = error.sentence
        else:
            flash(DONE[form.action.data])
            args = {k: request.args[k] for k in ("start", "days") if request.args.get(k)}
            return redirect(url_for("appointments_admin.conflicts", **args), 303)
    return _render({"item": form.item.data, "action": form.action.data, "message": message,
                    "reason": form.reason.data or "", "slot_id": form.slot_id.data}, 422)

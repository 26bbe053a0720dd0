"""The staff scheduling calendar: the week of the calendars one manages (FullCalendar where
scripts run, a day-grouped list where they do not) and adding availability (a one-off range
or a series) with a preview first; a slot's own pages are ``admin_slot``. Rules stay in
services (``staff_calendar``, ``slots``, ``series``); times are entered and shown in the
viewer's zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from itertools import groupby

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from sis_appointments.domain.errors import Forbidden, NotFound, SchedulingError
from sis_appointments.domain.timezones import to_utc
from sis_appointments.models import AppointmentType, utcnow
from sis_appointments.services.platform import sis
from sis_appointments.services.scheduling import (
    queries,
    series,
    slots,
    staff_calendar,
)
from sis_appointments.web import db, permissions
from sis_appointments.web.admin import bp, page
from sis_appointments.web.forms import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    choices,
    in_window,
    query_day,
    query_id,
)

NO_NUL = Regexp(r"^[^\x00]*$", message="must not contain NUL characters")
WEEKDAYS = choices({"MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday",
                    "FR": "Friday", "SA": "Saturday", "SU": "Sunday"}, by_label=False)
REPEATS = choices({"none": "Once", "daily": "Every day", "weekly": "Every week on the days below",
                   "monthly": "Every month on the same day"}, by_label=False)
# Rules staff may override with a reason (services.scheduling.eligibility).
page("Calendar", "appointments_admin.calendar", order=15,
     endpoint_prefix="appointments_admin.calendar")


# -- forms

class AvailabilityForm(FlaskForm):
    host = SelectField("Calendar of", validators=[DataRequired()])
    type_id = SelectField("Appointment type", coerce=int, validators=[DataRequired()])
    day = DateField("Date", validators=[DataRequired(), in_window])
    start = TimeField("From", validators=[DataRequired()])
    end = TimeField("To", validators=[DataRequired()])
    split = BooleanField("Split into slots of the type's length (with its buffers)",
                         default=True)
    capacity = IntegerField("Seats per slot (empty: the type's)",
                            validators=[Optional(), NumberRange(1, 100_000)])
    location = StringField("Place (empty: the type's)", validators=[
        Optional(), Length(max=200), NO_NUL])
    repeat = SelectField("Repeat", choices=REPEATS, default="none")
    weekdays = SelectMultipleField("On", choices=WEEKDAYS, option_widget=CheckboxInput(),
                                   widget=ListWidget(prefix_label=False),
                                   validators=[Optional()])
    until = DateField("Until (inclusive)", validators=[Optional(), in_window])
    count = IntegerField("Or this many times", validators=[Optional(), NumberRange(1, 500)])




# -- helpers

def context():
    identity = permissions.current_identity()
    return identity, db.session(), permissions.display_zone(identity)


def live_rooms(hosts: list[str] | None, types) -> list[str]:
    """The live rooms a staff page showing the calendars ``hosts`` (None: all) joins: the
    hosts' rooms, or, for many calendars, the rooms of the ``types`` (pushes are hints)."""
    if hosts is not None and len(hosts) <= 50:
        return [f"host:{k}" for k in hosts]
    return [f"type:{t.id}" for t in types]


def calendars_of(session, identity) -> dict[str, str]:
    """The calendars the viewer manages, key -> name, their own first."""
    keys = staff_calendar.calendars(session, identity)
    users = sis.users(session, keys)
    return {k: (users[k].name if users.get(k) else k) for k in keys}


def _week_start(value: str | None, zone) -> date:
    today = utcnow().astimezone(zone).date()
    day = query_day(value) or today
    return day - timedelta(days=day.weekday())


def instant(day: date, at: time, zone) -> datetime:
    return to_utc(datetime.combine(day, at), zone)


def wall_clock(value: str | None) -> datetime | None:
    """A FullCalendar time ("2026-11-30T00:00:00" or with "Z"): the viewer's wall clock."""
    if not value:
        return None
    try:
        found = datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None
    return found if EARLIEST_YEAR <= found.year <= LATEST_YEAR else None


def guarded(action):
    """Run ``action``; another's calendar is a 403, a missing thing a 404."""
    try:
        return action()
    except Forbidden:
        abort(403)
    except NotFound:
        abort(404)


# -- the calendar

@bp.get("/calendar")
@permissions.require_roles("staff", "admin")
def calendar():
    identity, session, zone = context()
    hosts = calendars_of(session, identity)
    host = request.args.get("host") or None
    if host and host not in hosts:
        if not identity.has_role("admin"):  # admins see every calendar, hosting or not
            abort(403)
        hosts[host] = sis.name(session, host)
    type_id = query_id("type")
    start = _week_start(request.args.get("week"), zone)
    first, last = instant(start, time(0), zone), instant(start + timedelta(days=7), time(0),
                                                           zone)
    rows = guarded(lambda: staff_calendar.events(session, identity, first, last,
                                                  host_key=host, type_id=type_id))
    types = queries.active_types(session)
    days = [(day, list(found)) for day, found in groupby(
        rows, key=lambda row: row[0].start_utc.astimezone(zone).date())]
    many = not host and len(hosts) > 1  # several people's slots: each says whose it is
    data = {"feed": url_for("appointments_admin.calendar_events", host=host or None,
                            type=type_id),
            "slot": url_for("appointments_admin.calendar_slot", slot_id=0),
            "add": url_for("appointments_admin.calendar_add"),
            "move": url_for("appointments_admin.calendar_move", slot_id=0),
            "week": start.isoformat(), "zone": zone.key, "host": host, "many": many}
    rooms = " ".join(live_rooms([host] if host else list(hosts), types))
    return render_template(
        "appointments/admin/calendar.html", days=days, hosts=hosts, host=host, types=types,
        type_id=type_id, week=start, zone=zone, data=data, rooms=rooms, many=many,
        types_by_id={t.id: t for t in types}, timedelta_week=timedelta(days=7))


@bp.get("/calendar/events")
@permissions.require_roles("staff", "admin")
def calendar_events():
    """FullCalendar's event feed: wall-clock times of the viewer's zone (the calendar runs
    in "UTC" so no time zone plugin is needed)."""
    identity, session, zone = context()
    start, end = wall_clock(request.args.get("start")), wall_clock(request.args.get("end"))
    if start is None or end is None:
        return jsonify({"error": "start and end are required ISO times"}), 422
    try:
        rows = staff_calendar.events(session, identity, to_utc(start, zone), to_utc(end, zone),
                                     host_key=request.args.get("host") or None,
                                     type_id=query_id("type"))
    except Forbidden:
        abort(403)
    except SchedulingError as error:
        return jsonify({"error": error.message}), 422
    types = {t.id: t for t in session.scalars(select(AppointmentType))}
    names = sis.users(session, {slot.host_key for slot, _ in rows})

    def local(instant):
        return instant.astimezone(zone).replace(tzinfo=None).isoformat()

    return jsonify([{
        "id": str(slot.id), "start": local(slot.start_utc), "end": local(slot.end_utc),
        "title": types[slot.type_id].name,
        "url": url_for("appointments_admin.calendar_slot", slot_id=slot.id),
        "backgroundColor": types[slot.type_id].colour, "borderColor": types[slot.type_id].colour,
        "extendedProps": {
            "booked": slot.booked, "capacity": slot.capacity, "waiting": waiting,
            "host": names[slot.host_key].name if names.get(slot.host_key) else slot.host_key,
            "place": slot.location or types[slot.type_id].location or "",
            "seriesId": slot.series_id},
    } for slot, waiting in rows])


# -- adding availability

def _availability_form(identity, session, zone) -> AvailabilityForm:
    form = AvailabilityForm()
    hosts = calendars_of(session, identity)
    form.host.choices = choices(hosts, by_label=False)
    form.type_id.choices = choices({t.id: t.name for t in queries.active_types(session)},
                                   by_label=False)
    if request.method == "GET":  # prefilled from a range selected in the calendar
        start, end = wall_clock(request.args.get("start")), wall_clock(request.args.get("end"))
        if start and end and end > start:
            form.day.data, form.start.data, form.end.data = start.date(), start.time(), \
                end.time() if end.date() == start.date() else time(23, 59)
        if request.args.get("host") in hosts:
            form.host.data = request.args["host"]
        elif identity.key in hosts:
            form.host.data = identity.key
    return form


def _rrule(form: AvailabilityForm) -> str | None:
    """The form's repetition as an RRULE, or None for a one-off range."""
    kind = form.repeat.data
    if kind == "none":
        return None
    parts = [f"FREQ={kind.upper()}"]
    if kind == "weekly":
        days = form.weekdays.data or [WEEKDAYS[form.day.data.weekday()].value]
        parts.append("BYDAY=" + ",".join(d.value for d in WEEKDAYS if d.value in days))
    if form.count.data:
        parts.append(f"COUNT={form.count.data}")
    elif form.until.data:
        parts.append(f"UNTIL={form.until.data:%Y%m%d}T235959")
    else:
        form.until.errors = [*form.until.errors, "say until when, or how many times"]
        return ""
    return ";".join(parts)


@bp.route("/calendar/add", methods=["GET", "POST"])
@permissions.require_roles("staff", "admin")
def calendar_add():
    """Add availability: the form, then (POST "preview") the slots it would make with their
    clashes and DST shifts, then (POST "create") saving them."""
    identity, session, zone = context()
    form = _availability_form(identity, session, zone)
    plan = error = None
    if request.method == "POST":
        valid = form.validate_on_submit()
        if "csrf_token" in form.errors:
            abort(400, "The form expired; reload the page and try again.")
        if form.start.data and form.end.data and form.end.data <= form.start.data:
            form.end.errors = [*form.end.errors, "must be after the start"]
            valid = False
        rule = _rrule(form) if valid else ""
        if valid and rule != "":
            plan, error = _plan_or_save(identity, session, zone, form, rule)
            if plan is None and error is None:
                return redirect(url_for("appointments_admin.calendar", host=form.host.data,
                                        week=form.day.data.isoformat()), 303)
    return render_template("appointments/admin/calendar_add.html", form=form, plan=plan,
                           error=error, zone=zone), 422 if request.method == "POST" and (
        form.errors or error) else 200


def _plan_or_save(identity, session, zone, form, rule):
    """(plan, None) to preview, (None, None) once saved, (None or plan, words) if refused."""
    start = instant(form.day.data, form.start.data, zone)
    end = instant(form.day.data, form.end.data, zone)
    common = {"type_id": form.type_id.data, "host_key": form.host.data,
              "location": form.location.data or None}
    try:
        if rule:
            plan = staff_calendar.plan_series(
                session, identity, start_local=datetime.combine(form.day.data, form.start.data),
                rrule=rule, timezone=zone.key, **common)
        else:
            plan = staff_calendar.plan_range(session, identity, start=start, end=end,
                                             split=form.split.data, **common)
        if request.form.get("action") != "create" or plan.clashing:
            return plan, ("Some of these slots collide with others: change the times first."
                          if request.form.get("action") == "create" else None)
        if rule:
            made = series.create(session, actor=identity, start_local=datetime.combine(
                form.day.data, form.start.data), rrule=rule, timezone=zone.key,
                capacity=form.capacity.data, **common)
            flash(f"Series saved: its slots are on the calendar (series {made.id}).")
        else:
            made = slots.create_custom(session, actor=identity, start=start, end=end,
                                       split=form.split.data, capacity=form.capacity.data,
                                       **common)
            flash(f"{len(made)} slot{'' if len(made) == 1 else 's'} added.")
        return None, None
    except Forbidden:
        abort(403)
    except SchedulingError as refused:
        session.rollback()
        return None, refused.sentence

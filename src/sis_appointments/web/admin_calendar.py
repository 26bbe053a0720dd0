"""The staff scheduling calendar: the week of the calendars one manages (FullCalendar where
scripts run, a day-grouped list where they do not), adding availability (a one-off range or a
series) with a preview first, and a slot's panel: its bookings (attendance), its waitlist,
capacity and place, moving it (a confirmation naming the students who will be told) and
cancelling it. Rules stay in services (``staff_calendar``, ``slots``, ``series``,
``booking``); times are entered and shown in the viewer's zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from sis_appointments.domain.errors import Forbidden, NotFound, SchedulingError
from sis_appointments.domain.timezones import to_utc
from sis_appointments.models import AppointmentType, TypeHost, utcnow
from sis_appointments.services.accounts import access
from sis_appointments.services.platform import sis
from sis_appointments.services.scheduling import (
    booking,
    queries,
    series,
    slots,
    staff_calendar,
)
from sis_appointments.web import ID, db, permissions, require_valid
from sis_appointments.web.admin import bp, page

NO_NUL = Regexp(r"^[^\x00]*$", message="must not contain NUL characters")
WEEKDAYS = [("MO", "Monday"), ("TU", "Tuesday"), ("WE", "Wednesday"), ("TH", "Thursday"),
            ("FR", "Friday"), ("SA", "Saturday"), ("SU", "Sunday")]
REPEATS = [("none", "Once"), ("daily", "Every day"), ("weekly", "Every week on the days below"),
           ("monthly", "Every month on the same day")]
# Rules staff may override with a reason (services.scheduling.eligibility).
OVERRIDABLE = {"limit_active", "limit_day", "limit_week", "not_eligible", "student_busy",
               "too_early_to_book", "too_late_to_book"}
SCOPES = [("this", "Only this one"), ("following", "This one and the ones after it"),
          ("all", "All future ones")]
ATTENDANCE_WORDS = {"attended": "Attended", "no_show": "No-show", "excused": "Excused",
                    "confirmed": "Not marked"}

page("Calendar", "appointments_admin.calendar", order=15,
     endpoint_prefix="appointments_admin.calendar")


# -- forms

class AvailabilityForm(FlaskForm):
    host = SelectField("Calendar of", validators=[DataRequired()])
    type_id = SelectField("Appointment type", coerce=int, validators=[DataRequired()])
    day = DateField("Date", validators=[DataRequired()])
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
    until = DateField("Until (inclusive)", validators=[Optional()])
    count = IntegerField("Or this many times", validators=[Optional(), NumberRange(1, 500)])


class MoveForm(FlaskForm):
    day = DateField("Date", validators=[DataRequired()])
    start = TimeField("From", validators=[DataRequired()])
    end = TimeField("To", validators=[DataRequired()])
    scope = RadioField("Which slots of the series", choices=SCOPES, default="this")


class BookStudentForm(FlaskForm):
    student = StringField("Student", validators=[DataRequired(), Length(max=64), NO_NUL])
    reason = StringField("What it is about (optional)", validators=[
        Optional(), Length(max=500), NO_NUL])
    override = StringField("Book despite the rules, because (optional)", validators=[
        Optional(), Length(max=500), NO_NUL])


class SlotEditForm(FlaskForm):
    capacity = IntegerField("Seats", validators=[DataRequired(), NumberRange(1, 100_000)])
    location = StringField("Place", validators=[Optional(), Length(max=200), NO_NUL])


class CancelSlotForm(FlaskForm):
    reason = TextAreaField("Reason (the students are told)", validators=[
        DataRequired(message="say why: the students are told"), Length(max=1000), NO_NUL])


class AttendanceForm(FlaskForm):
    status = SelectField("Attendance", choices=list(ATTENDANCE_WORDS.items()))


# -- helpers

def _context():
    identity = permissions.current_identity()
    return identity, db.session(), permissions.display_zone(identity)


def calendars_of(session, identity) -> dict[str, str]:
    """The calendars the viewer manages, key -> name, their own first."""
    managed = access.managed_hosts(session, identity)
    if managed is None:  # admins: everyone who hosts a type
        managed = sorted(set(session.scalars(select(TypeHost.host_key))))
    keys = list(dict.fromkeys(([identity.key] if identity.key in managed else []) + managed))
    users = sis.users(session, keys)
    return {k: (users[k].name if users.get(k) else k) for k in keys}


def _week_start(value: str | None, zone) -> date:
    today = utcnow().astimezone(zone).date()
    try:
        day = date.fromisoformat(value) if value else today
    except ValueError:
        day = today
    return day - timedelta(days=day.weekday())


def _instant(day: date, at: time, zone) -> datetime:
    return to_utc(datetime.combine(day, at), zone)


def _wall(value: str | None) -> datetime | None:
    """A FullCalendar time ("2026-11-30T00:00:00" or with "Z"): the viewer's wall clock."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None


def _refused(error: SchedulingError, back: str):
    flash(error.message[:1].upper() + error.message[1:] + ".", "error")
    return redirect(back, 303)


def _guarded(action):
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
    identity, session, zone = _context()
    hosts = calendars_of(session, identity)
    host = request.args.get("host") or None
    if host and host not in hosts:
        if not identity.has_role("admin"):  # admins see every calendar, hosting or not
            abort(403)
        hosts[host] = sis.name(session, host)
    type_id = request.args.get("type", type=int)
    start = _week_start(request.args.get("week"), zone)
    first, last = _instant(start, time(0), zone), _instant(start + timedelta(days=7), time(0),
                                                           zone)
    rows = _guarded(lambda: staff_calendar.events(session, identity, first, last,
                                                  host_key=host, type_id=type_id))
    types = queries.active_types(session)
    days = [(day, list(found)) for day, found in groupby(
        rows, key=lambda row: row[0].start_utc.astimezone(zone).date())]
    data = {"feed": url_for("appointments_admin.calendar_events", host=host or None,
                            type=type_id),
            "slot": url_for("appointments_admin.calendar_slot", slot_id=0),
            "add": url_for("appointments_admin.calendar_add"),
            "move": url_for("appointments_admin.calendar_move", slot_id=0),
            "week": start.isoformat(), "zone": zone.key, "host": host}
    shown = [host] if host else list(hosts)
    rooms = " ".join(f"host:{k}" for k in shown) if len(shown) <= 50 else " ".join(
        f"type:{t.id}" for t in types)  # (hints: many calendars are followed by type)
    return render_template(
        "appointments/admin/calendar.html", days=days, hosts=hosts, host=host, types=types,
        type_id=type_id, week=start, zone=zone, data=data, rooms=rooms,
        types_by_id={t.id: t for t in types}, timedelta_week=timedelta(days=7))


@bp.get("/calendar/events")
@permissions.require_roles("staff", "admin")
def calendar_events():
    """FullCalendar's event feed: wall-clock times of the viewer's zone (the calendar runs
    in "UTC" so no time zone plugin is needed)."""
    identity, session, zone = _context()
    start, end = _wall(request.args.get("start")), _wall(request.args.get("end"))
    if start is None or end is None:
        return jsonify({"error": "start and end are required ISO times"}), 422
    try:
        rows = staff_calendar.events(session, identity, to_utc(start, zone), to_utc(end, zone),
                                     host_key=request.args.get("host") or None,
                                     type_id=request.args.get("type", type=int))
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
    form.host.choices = list(hosts.items())
    form.type_id.choices = [(t.id, t.name) for t in queries.active_types(session)]
    if request.method == "GET":  # prefilled from a range selected in the calendar
        start, end = _wall(request.args.get("start")), _wall(request.args.get("end"))
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
        days = form.weekdays.data or [WEEKDAYS[form.day.data.weekday()][0]]
        parts.append("BYDAY=" + ",".join(d for d, _ in WEEKDAYS if d in days))
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
    identity, session, zone = _context()
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
    start = _instant(form.day.data, form.start.data, zone)
    end = _instant(form.day.data, form.end.data, zone)
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
        return None, refused.message[:1].upper() + refused.message[1:] + "."


# -- one slot

def _details(slot_id: int):
    identity, session, zone = _context()
    found = _guarded(lambda: staff_calendar.details(session, identity, slot_id))
    return identity, session, zone, found


@bp.get(f"/calendar/slots/<{ID}:slot_id>")
@permissions.require_roles("staff", "admin")
def calendar_slot(slot_id: int):
    identity, session, zone, found = _details(slot_id)
    people = sis.users(session, [found.slot.host_key])
    names = {k: sis.name(session, k) for k in
             {b.student_key for b in found.bookings} | {e.student_key for e in found.waiting}}
    slot = found.slot
    edit = SlotEditForm(formdata=None, capacity=slot.capacity, location=slot.location or "")
    local = slot.start_utc.astimezone(zone)
    move = MoveForm(formdata=None, day=local.date(), start=local.time(),
                    end=slot.end_utc.astimezone(zone).time())
    return render_template(
        "appointments/admin/calendar_slot.html", found=found, slot=slot, names=names,
        host=people.get(slot.host_key), zone=zone, edit=edit, move=move,
        cancel=CancelSlotForm(formdata=None), attendance=AttendanceForm(formdata=None),
        started=slot.start_utc <= utcnow(), words=ATTENDANCE_WORDS)


@bp.post(f"/calendar/slots/<{ID}:slot_id>/edit")
@permissions.require_roles("staff", "admin")
def calendar_slot_edit(slot_id: int):
    identity, session, zone, found = _details(slot_id)
    form = SlotEditForm()
    back = url_for("appointments_admin.calendar_slot", slot_id=slot_id)
    if not form.validate_on_submit():
        flash("Seats must be a whole number of at least 1; the place at most 200 characters.",
              "error")
        return redirect(back, 303)
    try:
        slots.update(session, actor=identity, slot_id=slot_id, capacity=form.capacity.data,
                     location=form.location.data or None)
    except SchedulingError as error:
        return _refused(error, back)
    flash("Saved.")
    return redirect(back, 303)


@bp.route(f"/calendar/slots/<{ID}:slot_id>/move", methods=["GET", "POST"])
@permissions.require_roles("staff", "admin")
def calendar_move(slot_id: int):
    """GET (from a drag, or the panel's form): the confirmation naming who will be told;
    POST: move."""
    identity, session, zone, found = _details(slot_id)
    form = MoveForm(request.args) if request.method == "GET" else MoveForm()
    start, end = _wall(request.args.get("start")), _wall(request.args.get("end"))
    if request.method == "GET" and start and end:  # from a drag in the calendar
        form.day.data, form.start.data, form.end.data = start.date(), start.time(), end.time()
    back = url_for("appointments_admin.calendar_slot", slot_id=slot_id)
    if not (form.day.data and form.start.data and form.end.data) or (
            request.method == "POST" and not form.validate_on_submit()):
        flash("Give the new date and times.", "error")
        return redirect(back, 303)
    new_start = _instant(form.day.data, form.start.data, zone)
    new_end = _instant(form.day.data, form.end.data, zone)
    if new_end <= new_start:
        flash("The new end must be after the new start.", "error")
        return redirect(back, 303)
    booked = [b for b in found.bookings if b.status == "confirmed"]
    if request.method == "POST":
        try:
            conflicts = _move(session, identity, found.slot, new_start, new_end,
                              form.scope.data or "this")
        except SchedulingError as error:
            return _refused(error, back)
        told = f" {len(booked)} student{'' if len(booked) == 1 else 's'} will be told." \
            if booked else ""
        flash(f"Moved.{told}" + (f" {len(conflicts)} of them now clash with something else: "
                                 "see Conflicts." if conflicts else ""))
        return redirect(back, 303)
    names = {b.student_key: sis.name(session, b.student_key) for b in booked}
    return render_template("appointments/admin/calendar_move.html", found=found,
                           slot=found.slot, form=form, booked=booked, names=names, zone=zone,
                           new_start=new_start, new_end=new_end)


def _move(session, identity, slot, new_start, new_end, scope: str) -> list[dict]:
    """A slot of a series moves through the series (its wall-clock time in the series' zone,
    for this one, the following ones or all); any other slot on its own."""
    if slot.series_id is None:
        return slots.update(session, actor=identity, slot_id=slot.id, start=new_start,
                            end=new_end)
    local = new_start.astimezone(ZoneInfo(slot.timezone)).replace(tzinfo=None)
    return series.edit(session, actor=identity, slot_id=slot.id, scope=scope,
                       new_local_start=local,
                       duration_minutes=int((new_end - new_start).total_seconds() // 60))


@bp.route(f"/calendar/slots/<{ID}:slot_id>/book", methods=["GET", "POST"])
@permissions.require_roles("staff", "admin")
def calendar_book(slot_id: int):
    """Book a student into the slot: GET searches the host's students (``q``), POST books
    one; a rule may be overridden with a reason, which is audited."""
    identity, session, zone, found = _details(slot_id)
    form = BookStudentForm()
    back = url_for("appointments_admin.calendar_slot", slot_id=slot_id)
    if request.method == "POST":
        require_valid(form)
        try:
            booking.book(session, actor=identity, slot_id=slot_id,
                         student_key=form.student.data, reason=form.reason.data or "",
                         override_reason=form.override.data or None)
        except SchedulingError as error:
            session.rollback()
            flash(error.message[:1].upper() + error.message[1:] + "." + (
                " You may book anyway: say why in the override field."
                if error.code in OVERRIDABLE else ""), "error")
            return redirect(url_for("appointments_admin.calendar_book", slot_id=slot_id,
                                    q=request.form.get("q", "")), 303)
        flash(f"Booked: {sis.name(session, form.student.data)}.")
        return redirect(back, 303)
    query = request.args.get("q", "")
    found_students = sis.search_students(session, query) if query else []
    return render_template("appointments/admin/calendar_book.html", found=found,
                           slot=found.slot, query=query, students=found_students, form=form,
                           zone=zone)


@bp.post(f"/calendar/slots/<{ID}:slot_id>/cancel")
@permissions.require_roles("staff", "admin")
def calendar_slot_cancel(slot_id: int):
    identity, session, zone, found = _details(slot_id)
    form = CancelSlotForm()
    back = url_for("appointments_admin.calendar_slot", slot_id=slot_id)
    if not form.validate_on_submit():
        flash("Say why the slot is cancelled: the students are told.", "error")
        return redirect(back, 303)
    try:
        slots.cancel(session, actor=identity, slot_id=slot_id, reason=form.reason.data.strip())
    except SchedulingError as error:
        return _refused(error, back)
    flash("Slot cancelled; its students are told.")
    local = found.slot.start_utc.astimezone(zone).date()
    return redirect(url_for("appointments_admin.calendar", week=local.isoformat()), 303)


@bp.post(f"/calendar/slots/<{ID}:slot_id>/bookings/<{ID}:booking_id>/attendance")
@permissions.require_roles("staff", "admin")
def calendar_attendance(slot_id: int, booking_id: int):
    identity, session, zone, found = _details(slot_id)
    form = AttendanceForm()
    back = url_for("appointments_admin.calendar_slot", slot_id=slot_id)
    require_valid(form)
    if booking_id not in {b.id for b in found.bookings}:
        abort(404)
    try:
        booking.mark_attendance(session, actor=identity, booking_id=booking_id,
                                status=form.status.data)
    except SchedulingError as error:
        return _refused(error, back)
    flash(f"Marked: {ATTENDANCE_WORDS[form.status.data].lower()}.")
    return redirect(back, 303)

"""A slot of the staff calendar: its panel (bookings with attendance, waitlist, seats and
place), booking a student into it (a rule staff may override needs a reason), moving it
(a confirmation naming the students who will be told; a slot of a series asks which of the
series move) and cancelling it with a reason. Rules stay in services (``staff_calendar``,
``slots``, ``booking``); times are entered and shown in the viewer's zone."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from sis_appointments.domain.errors import SchedulingError
from sis_appointments.models import utcnow
from sis_appointments.services.platform import sis
from sis_appointments.services.scheduling import booking, eligibility, slots, staff_calendar
from sis_appointments.web import ID, permissions, require_valid
from sis_appointments.web.admin import bp
from sis_appointments.web.admin_calendar import NO_NUL, context, guarded, instant, wall_clock
from sis_appointments.web.forms import choices, in_window

SCOPES = choices({"this": "Only this one", "following": "This one and the ones after it",
                  "all": "All future ones"}, by_label=False)
ATTENDANCE_WORDS = {"attended": "Attended", "no_show": "No-show", "excused": "Excused",
                    "confirmed": "Not marked"}


class MoveForm(FlaskForm):
    day = DateField("Date", validators=[DataRequired(), in_window])
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
    status = SelectField("Attendance", choices=choices(ATTENDANCE_WORDS, by_label=False))


def _refused(error: SchedulingError, back: str):
    flash(error.sentence, "error")
    return redirect(back, 303)


def _details(slot_id: int):
    identity, session, zone = context()
    found = guarded(lambda: staff_calendar.details(session, identity, slot_id))
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
    start, end = wall_clock(request.args.get("start")), wall_clock(request.args.get("end"))
    if request.method == "GET" and start and end:  # from a drag in the calendar
        form.day.data, form.start.data, form.end.data = start.date(), start.time(), end.time()
    back = url_for("appointments_admin.calendar_slot", slot_id=slot_id)
    if not (form.day.data and form.start.data and form.end.data) or (
            request.method == "POST" and not form.validate_on_submit()):
        flash("Give the new date and times.", "error")
        return redirect(back, 303)
    new_start = instant(form.day.data, form.start.data, zone)
    new_end = instant(form.day.data, form.end.data, zone)
    if new_end <= new_start:
        flash("The new end must be after the new start.", "error")
        return redirect(back, 303)
    booked = [b for b in found.bookings if b.status == "confirmed"]
    if request.method == "POST":
        try:
            conflicts = staff_calendar.move(session, identity, slot_id, new_start, new_end,
                                            scope=form.scope.data or "this")
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


@bp.route(f"/calendar/slots/<{ID}:slot_id>/book", methods=["GET", "POST"])
@permissions.require_roles("staff", "admin")
def calendar_book(slot_id: int):
    """Book a student into the slot: GET searches the host's students (``q``), POST books
    one; a rule may be overridden with a reason, which is audited."""
    identity, session, zone, found = _details(slot_id)
    form = BookStudentForm()
    back = url_for("appointments_admin.calendar_slot", slot_id=slot_id)
    refused = None
    if request.method == "POST":
        require_valid(form)
        try:
            booking.book(session, actor=identity, slot_id=slot_id,
                         student_key=form.student.data, reason=form.reason.data or "",
                         override_reason=form.override.data or None)
        except SchedulingError as error:
            session.rollback()
            refused = _staff_words(session, form, error)
        else:
            flash(f"Booked: {sis.name(session, form.student.data)}.")
            return redirect(back, 303)
    query = (request.form if refused else request.args).get("q", "")
    found_students = sis.search_students(session, query) if query else []
    return render_template("appointments/admin/calendar_book.html", found=found,
                           slot=found.slot, query=query, students=found_students, form=form,
                           zone=zone, refused=refused), 422 if refused else 200


def _staff_words(session, form: BookStudentForm, error: SchedulingError) -> str:
    """A refusal said to the staff member booking: whose rule it is, and whether a reason
    lets them book anyway."""
    who = sis.name(session, form.student.data)
    if error.code not in eligibility.OVERRIDABLE_CODES:
        return f"{who} cannot be booked here: {error.message}. No reason overrides this."
    if form.override.data:
        return f"{who}: {error.message}."
    return (f"{who}: {error.message}. You may book anyway: say why in "
            "\u201cBook despite the rules, because\u201d.")


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

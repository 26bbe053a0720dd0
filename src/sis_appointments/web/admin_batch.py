"""Batch operations for staff: choose slots by filter, pick an operation, see what it would do
(the run itself, rolled back), run it all or nothing or best effort, and take the report
away as CSV; and "advisor out": an absent host's days handed to colleagues or cancelled with
a message, planned and previewed first. Rules live in ``services.scheduling.batch_ops``."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from urllib.parse import quote

from flask import abort, current_app, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from sis_appointments.domain.errors import Forbidden, NotFound, SchedulingError
from sis_appointments.models import Slot, utcnow
from sis_appointments.services.platform import sis
from sis_appointments.services.scheduling import batch_ops, queries
from sis_appointments.web import db, permissions
from sis_appointments.web.admin import bp, page
from sis_appointments.web.admin_calendar import calendars_of
from sis_appointments.web.forms import choices, in_window

NO_NUL = Regexp(r"^[^\x00]*$", message="must not contain NUL characters")
DAYS = choices(dict(zip("0123456", ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
                        strict=True)), by_label=False)

page("Batch changes", "appointments_admin.batch", order=45,
     endpoint_prefix="appointments_admin.batch")
page("Advisor out", "appointments_admin.absence", order=46)


def _checkboxes(label, **kwargs):
    return SelectMultipleField(label, option_widget=CheckboxInput(),
                               widget=ListWidget(prefix_label=False), validators=[Optional()],
                               **kwargs)


class SelectionForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search: it changes nothing

    hosts = _checkboxes("Calendars")
    types = _checkboxes("Appointment types", coerce=int)
    first = DateField("From", validators=[DataRequired(), in_window])
    last = DateField("To (inclusive)", validators=[DataRequired(), in_window])
    weekdays = _checkboxes("Weekdays", choices=DAYS)
    time_from = TimeField("Starting at or after", validators=[Optional()])
    time_to = TimeField("and before", validators=[Optional()])


class OperationForm(FlaskForm):
    op = SelectField("Do this", choices=choices(batch_ops.OPERATIONS, by_label=False))
    reason = TextAreaField("Reason (for cancelling; the students are told)", validators=[
        Optional(), Length(max=1000), NO_NUL])
    capacity = IntegerField("New seats", validators=[Optional(), NumberRange(1, 100_000)])
    location = StringField("New place", validators=[Optional(), Length(max=200), NO_NUL])
    minutes = IntegerField("Minutes (negative: earlier)",
                           validators=[Optional(), NumberRange(-10080, 10080)])
    host = SelectField("New host", validators=[Optional()])
    mode = SelectField("If a slot is refused", choices=choices({
        "all": "Change nothing (all or nothing)", "best": "Change the others (best effort)"},
        by_label=False))


class AbsenceForm(FlaskForm):
    host = SelectField("Who is out", validators=[DataRequired()])
    first = DateField("From", validators=[DataRequired(), in_window])
    last = DateField("To (inclusive)", validators=[DataRequired(), in_window])
    message = TextAreaField("Message to the students whose appointment is cancelled",
                            validators=[DataRequired(), Length(max=1000), NO_NUL])


def _context():
    identity = permissions.current_identity()
    return identity, db.session(), permissions.display_zone(identity)


def _selection_form(session, identity, zone) -> SelectionForm:
    form = SelectionForm(request.args)
    hosts = calendars_of(session, identity)
    form.hosts.choices = choices(hosts, by_label=False)
    form.types.choices = choices({t.id: t.name for t in queries.active_types(session)},
                                 by_label=False)
    if not request.args:
        today = utcnow().astimezone(zone).date()
        form.first.data, form.last.data = today, today + timedelta(days=6)
    return form


def _params(form: OperationForm) -> dict:
    return {"reason": (form.reason.data or "").strip(), "capacity": form.capacity.data,
            "location": (form.location.data or "").strip() or None,
            "minutes": form.minutes.data, "host": form.host.data or None}


def _progress(identity):
    """Live progress of a batch for the pages of the person running it (static/js/batch.js
    shows it while the request runs)."""
    state = current_app.extensions["sis_appointments"]
    return lambda done, total: state.emit("batch.progress", {"done": done, "total": total},
                                          f"user:{identity.key}")


def _csv_link(report, rows) -> str:
    """The report as a CSV file the page links to (a data: URL: nothing kept on the server)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["slot_id", "start", "end", "type", "host", "outcome", "message",
                     "people_told"])
    for outcome in report.outcomes:
        slot = rows.get(outcome.slot_id)
        writer.writerow([outcome.slot_id, slot.start_utc.isoformat() if slot else "",
                         slot.end_utc.isoformat() if slot else "",
                         slot.type.name if slot else "", slot.host_key if slot else "",
                         "done" if outcome.ok else ("not run" if outcome.rolled_back
                                                    else "refused"),
                         outcome.message, " ".join(outcome.told)])
    return "data:text/csv;charset=utf-8," + quote(out.getvalue())


@bp.route("/batch", methods=["GET", "POST"])
@permissions.require_roles("staff", "admin")
def batch():
    """GET: choose slots (and an operation for them); POST ``preview``: what it would do;
    POST ``run``: do it, and the report."""
    identity, session, zone = _context()
    selection = _selection_form(session, identity, zone)
    operation = OperationForm(formdata=request.form if request.method == "POST" else None)
    hosts = calendars_of(session, identity)
    operation.host.choices = choices(hosts, "Choose…", by_label=False)
    found, error = [], None
    if request.method == "GET" and request.args and selection.validate():
        try:
            found = batch_ops.select_slots(session, identity, batch_ops.Selection(
                selection.first.data, selection.last.data, zone,
                hosts=tuple(selection.hosts.data or ()),
                type_ids=tuple(selection.types.data or ()),
                weekdays=tuple(int(d) for d in selection.weekdays.data or ()),
                time_from=selection.time_from.data, time_to=selection.time_to.data))
        except Forbidden:
            abort(403)
        except SchedulingError as refused:
            error = refused.sentence
    report = rows = csv_link = None
    if request.method == "POST":
        if not operation.validate_on_submit():
            if "csrf_token" in operation.errors:
                abort(400, "The form expired; reload the page and try again.")
        ids = [int(i) for i in request.form.getlist("slot") if i.isdigit()][
            :batch_ops.MAX_SLOTS]
        if not operation.errors:
            try:
                report = batch_ops.run(session, identity, ids, operation.op.data,
                                       _params(operation),
                                       all_or_nothing=operation.mode.data != "best",
                                       dry_run=request.form.get("action") != "run",
                                       progress=_progress(identity))
            except SchedulingError as refused:
                error = refused.sentence
        found = list(session.scalars(select(Slot).where(Slot.id.in_(ids))
                                     .order_by(Slot.start_utc)))
        rows = {s.id: s for s in found}
        if report is not None and not report.dry_run:
            csv_link = _csv_link(report, rows)
    counts = batch_ops.booked_counts(session, [s.id for s in found])
    names = sis.users(session, {s.host_key for s in found})
    told = {k: sis.name(session, k) for k in (report.told if report else [])}
    return render_template(
        "appointments/admin/batch.html", selection=selection, operation=operation,
        found=found, counts=counts, names=names, zone=zone, error=error, report=report,
        rows=rows, told=told, csv_link=csv_link, hosts=hosts,
        limit=batch_ops.MAX_SLOTS), 422 if (error or operation.errors) else 200


@bp.route("/absence", methods=["GET", "POST"])
@permissions.require_roles("staff", "admin")
def absence():
    """An advisor out: GET the form; POST ``plan``: who goes where (the run, rolled back);
    POST ``run``: do it."""
    identity, session, zone = _context()
    form = AbsenceForm()
    hosts = calendars_of(session, identity)
    form.host.choices = choices(hosts, by_label=False)
    if request.method == "GET":
        today = utcnow().astimezone(zone).date()
        form.first.data = form.last.data = today
    plan = report = error = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            plan = batch_ops.plan_absence(session, identity, host_key=form.host.data,
                                          first=form.first.data, last=form.last.data,
                                          zone=zone)
            report = batch_ops.run_absence(
                session, identity, plan, message=form.message.data,
                rebook_url=lambda slot: url_for("appointments_portal.book_page",
                                                type=slot.type_id, _external=True),
                dry_run=request.form.get("action") != "run", progress=_progress(identity))
        except (Forbidden, NotFound):
            abort(403)
        except SchedulingError as refused:
            error = refused.sentence
    elif request.method == "POST" and "csrf_token" in form.errors:
        abort(400, "The form expired; reload the page and try again.")
    told = {k: sis.name(session, k) for k in (report.told if report else [])}
    names = sis.users(session, {h.to.host_key for h in plan or [] if h.to})
    return render_template("appointments/admin/absence.html", form=form, plan=plan,
                           report=report, error=error, zone=zone, told=told, names=names,
                           hosts=hosts), \
        422 if (error or (request.method == "POST" and form.errors)) else 200

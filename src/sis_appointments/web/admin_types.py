"""Staff pages for appointment types (templates): list, create, edit, deactivate, reactivate.

The rules (who may create or change a type, the limits of every field, the version check,
the audit) are the service's (``services.scheduling.appointment_types``); these views parse
the form, call it, and show its refusals next to the fields they name. A stale edit (the
type was saved by someone else meanwhile) is refused with the saved values and what
differed.
"""

from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, request, url_for
from wtforms import SelectChoice

from sis_appointments.domain import type_limits
from sis_appointments.domain.errors import Conflict, Forbidden, NotFound, SchedulingError
from sis_appointments.services.scheduling import appointment_types, type_hosts
from sis_appointments.services.scheduling.availability import sentence
from sis_appointments.web import ID, db, permissions, user_name
from sis_appointments.web.admin import bp, page
from sis_appointments.web.forms import ActionForm
from sis_appointments.web.type_form import IN_UNITS, TypeForm

page("Appointment types", "appointments_admin.types", order=20,
     endpoint_prefix="appointments_admin.types")

# The service's field names -> the form's (where they differ).
FORM_FIELD = {**{key: name for name, key in IN_UNITS.items()}, "eligibility": "programs"}
LABELS = {"name": "Name", "description": "Description", "hosts": "Hosts",
          "timezone": "Time zone", "duration_minutes": "Duration", "capacity": "Seats per slot",
          "buffer_before_minutes": "Buffer before", "buffer_after_minutes": "Buffer after",
          "min_notice_minutes": "Minimum notice", "max_advance_days": "Days ahead at most",
          "cancel_cutoff_minutes": "Free cancellation until",
          "max_active_per_student": "Upcoming bookings at once",
          "max_per_student_per_day": "Bookings per day",
          "max_per_student_per_week": "Bookings per week", "eligibility": "Eligibility",
          "location": "Place", "online_url": "Online link", "colour": "Colour",
          "waitlist_enabled": "Waitlist", "waitlist_size": "Waitlist places",
          "offer_minutes": "Time to accept a freed seat", "reason_required": "Reason required",
          "active": "Active"}


def minutes_words(minutes: int | None) -> str:
    """'90 minutes', '2 hours', '3 days'."""
    if minutes is None:
        return "no limit"
    for size, unit in ((24 * 60, "day"), (60, "hour"), (1, "minute")):
        if minutes and minutes % size == 0:
            count = minutes // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return "none"


def value_words(key: str, value) -> str:
    """A field's value as a person reads it, for the differences of a stale edit."""
    if key.endswith("_minutes"):
        return minutes_words(value) if value is not None else "not set"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key == "hosts":
        return ", ".join(user_name(k) for k in value) or "none"
    if key == "eligibility":
        value = value or {}
        parts = [f"{k}: {', '.join(value[k])}" for k in ("programs", "cohorts") if value.get(k)]
        return "; ".join(parts) or "everyone"
    if value in (None, ""):
        return "not set" if key.startswith("max_") or key == "waitlist_size" else "none"
    return str(value)


def _same(key: str, a, b) -> bool:
    if key == "eligibility":
        return {k: v for k, v in (a or {}).items() if v} == {
            k: v for k, v in (b or {}).items() if v}
    if key == "hosts":
        return sorted(a or []) == sorted(b or [])
    return (a if a != "" else None) == (b if b != "" else None)


def _host_choices(session, identity, form: TypeForm, current=()) -> list:
    hosts = type_hosts.choices(session, identity, current)
    form.hosts.choices = [SelectChoice(h.key, h.name) for h in hosts]
    return hosts


def _submitted(session, identity, form: TypeForm) -> dict | None:
    """The form's fields for the service, with a host named by key added; None (errors set
    on the form) if the form does not validate."""
    if not form.validate_on_submit():
        return None
    fields = form.fields_for_service()
    if form.extra_host.data and form.extra_host.data.strip():
        try:
            extra = type_hosts.known_host(session, identity, form.extra_host.data)
        except SchedulingError as error:
            form.extra_host.errors = [sentence(error.message)]
            return None
        fields["hosts"] = sorted({*fields["hosts"], extra.key})
    return fields


def _refused(form: TypeForm, error: SchedulingError) -> None:
    """Put the service's refusal next to the field it names (else above the form)."""
    if isinstance(error, Forbidden):
        abort(403)
    if isinstance(error, NotFound):
        abort(404)
    key = error.details.get("field") or ("hosts" if error.code == "host_has_slots" else None)
    name = FORM_FIELD.get(key, key)
    if name in form._fields:
        form[name].errors = [*form[name].errors, sentence(error.message)]
    else:
        form.form_errors.append(sentence(error.message))


def _render_form(form, hosts, identity, appointment_type=None, stale=None, status=200):
    session = db.session()
    return render_template(
        "appointments/admin/types_form.html", form=form, hosts=hosts,
        appointment_type=appointment_type, stale=stale,
        may_name_any=type_hosts.may_name_any(session, identity),
        limits=type_limits, zone=permissions.display_zone(identity)), status


@bp.get("/types")
@permissions.require_roles("staff", "admin")
def types():
    session, identity = db.session(), permissions.current_identity()
    listed = appointment_types.listed(session)
    return render_template(
        "appointments/admin/types.html", types=listed, form=ActionForm(),
        editable=type_hosts.editable(session, identity, listed),
        minutes_words=minutes_words)


@bp.route("/types/new", methods=["GET", "POST"])
@permissions.require_roles("staff", "admin")
def types_new():
    session, identity = db.session(), permissions.current_identity()
    form = TypeForm()
    hosts = _host_choices(session, identity, form)
    if not form.is_submitted():
        form.timezone.data = permissions.display_zone(identity).key
        if not identity.has_role("admin") and any(h.key == identity.key for h in hosts):
            form.hosts.data = [identity.key]  # staff make types for their own calendar
    fields = _submitted(session, identity, form)
    if fields is not None:
        try:
            created = appointment_types.create(session, actor=identity, **fields)
        except SchedulingError as error:
            _refused(form, error)
        else:
            flash(f"Appointment type “{created.name}” created.")
            return redirect(url_for("appointments_admin.types"), 303)
    return _render_form(form, hosts, identity,
                        status=422 if form.is_submitted() else 200)


@bp.route(f"/types/<{ID}:type_id>/edit", methods=["GET", "POST"])
@permissions.require_roles("staff", "admin")
def types_edit(type_id: int):
    session, identity = db.session(), permissions.current_identity()
    try:
        appointment_type = appointment_types.get(session, type_id)
    except NotFound:
        abort(404)
    if type_id not in type_hosts.editable(session, identity, [appointment_type]):
        abort(403)
    saved = appointment_types.state(appointment_type)
    form = TypeForm()
    hosts = _host_choices(session, identity, form, saved["hosts"])
    if not form.is_submitted():
        _show_saved(form, appointment_type, saved)
    fields = _submitted(session, identity, form)
    if fields is None:
        return _render_form(form, hosts, identity, appointment_type,
                            status=422 if form.is_submitted() else 200)
    changes = {k: v for k, v in fields.items() if not _same(k, v, saved.get(k))}
    if not changes:
        flash("Nothing was changed.")
        return redirect(url_for("appointments_admin.types"), 303)
    try:
        appointment_types.update(session, actor=identity, type_id=type_id,
                                 expected_version=_version(form.version.data), **changes)
    except Conflict as error:
        if error.code != "version_mismatch":
            _refused(form, error)
            return _render_form(form, hosts, identity, appointment_type, status=409)
        return _stale(session, identity, type_id, fields, form.original.data)
    except SchedulingError as error:
        _refused(form, error)
        return _render_form(form, hosts, identity, appointment_type, status=422)
    flash(f"Appointment type “{appointment_type.name}” saved.")
    return redirect(url_for("appointments_admin.types"), 303)


def _version(value: str | None) -> int:
    """The version the editor read; a form without one is stale by definition."""
    return int(value) if value and value.isdigit() and len(value) < 10 else 0


def _show_saved(form: TypeForm, appointment_type, saved: dict) -> None:
    form.fill(saved)
    form.version.data = appointment_type.version
    form.original.data = json.dumps(saved, sort_keys=True)


def _read(original: str | None) -> dict:
    """The values the editor read, as the form carried them ({} if missing or garbled: only
    the labels of the differences depend on them)."""
    try:
        read = json.loads(original or "{}")
    except ValueError:
        return {}
    return read if isinstance(read, dict) else {}


def _who(key: str, yours, saved, read: dict) -> str:
    if key not in read:
        return "unknown"
    if _same(key, yours, read[key]):
        return "someone else"
    return "you" if _same(key, saved, read[key]) else "you and someone else"


def _stale(session, identity, type_id: int, yours: dict, original: str | None):
    """Refuse a stale edit: the form shows the saved values, and a table what differed
    (each with who changed it since the editor read the type)."""
    session.rollback()
    current = appointment_types.get(session, type_id)
    saved, read = appointment_types.state(current), _read(original)
    differed = [(LABELS.get(k, k), value_words(k, v), value_words(k, saved.get(k)),
                 _who(k, v, saved.get(k), read))
                for k, v in yours.items() if not _same(k, v, saved.get(k))]
    form = TypeForm(formdata=None)
    hosts = _host_choices(session, identity, form, saved["hosts"])
    _show_saved(form, current, saved)
    return _render_form(form, hosts, identity, current, stale=differed, status=409)


@bp.post(f"/types/<{ID}:type_id>/<any(deactivate, reactivate):change>")
@permissions.require_roles("staff", "admin")
def types_active(type_id: int, change: str):
    session, identity = db.session(), permissions.current_identity()
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    try:
        changed = appointment_types.update(
            session, actor=identity, type_id=type_id, active=change == "reactivate",
            expected_version=_version(request.form.get("version")))
    except Forbidden:
        abort(403)
    except NotFound:
        abort(404)
    except SchedulingError as error:
        flash(sentence(error.message) + ": reload the list and look again."
              if error.code == "version_mismatch" else sentence(error.message), "error")
    else:
        flash(f"Appointment type “{changed.name}” " + (
            "reactivated: students can book it again." if changed.active
            else "deactivated: no new bookings; existing ones stay."))
    return redirect(url_for("appointments_admin.types"), 303)

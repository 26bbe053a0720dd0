"""Staff pages of the system: the audit log (staff: their calendars; admins: all), roles and
permissions (grants), and the system settings (admins)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import flash, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from sis_appointments.domain.errors import SchedulingError
from sis_appointments.domain.timezones import to_utc
from sis_appointments.services.accounts import grants
from sis_appointments.services.platform import audit, audit_view, settings
from sis_appointments.web import ID, db, permissions, require_valid
from sis_appointments.web.admin import bp, page
from sis_appointments.web.admin_system_forms import (
    AuditFilterForm,
    GrantForm,
    channel_columns,
    settings_form,
    settings_values,
)
from sis_appointments.web.api import paging
from sis_appointments.web.forms import ActionForm, choices

page("Roles and permissions", "appointments_admin.roles", roles=("admin",), order=70,
     endpoint_prefix="appointments_admin.grant")
page("Settings", "appointments_admin.settings", roles=("admin",), order=75)
page("Audit log", "appointments_admin.audit_log", order=80)

AUDIT_PAGE_SIZE = 50
CHANNEL_WORDS = {"email": "Email", "inapp": "In-app"}


def entity_link(row: audit_view.Row) -> str | None:
    """The page of the entity an audit row is about, where one exists."""
    if row.entity_id is None:
        return None
    numbered = {"booking": ("appointments_portal.booking_details", "booking_id"),
                "slot": ("appointments_admin.calendar_slot", "slot_id"),
                "type": ("appointments_admin.types_edit", "type_id")}
    if row.entity_type in numbered and row.entity_id.isdigit():
        endpoint, name = numbered[row.entity_type]
        return url_for(endpoint, **{name: int(row.entity_id)})
    if row.entity_type == "conflict":
        return url_for("appointments_admin.conflicts")
    if row.entity_type == "setting":
        return url_for("appointments_admin.settings", _anchor=f"setting-{row.entity_id}")
    if row.entity_type == "grant":
        return url_for("appointments_admin.roles")
    return None


def _cursor(text: str | None):
    """A cursor of this page's, or None (a stale or made-up one starts from the top)."""
    try:
        return paging.decode(text)
    except HTTPException:
        return None


@bp.get("/audit")
@permissions.require_roles("staff", "admin")
def audit_log():
    """The audit log: filters, newest first, a page at a time (``cursor``)."""
    identity = permissions.current_identity()
    zone = permissions.display_zone(identity)
    form = AuditFilterForm(request.args, meta={"csrf": False})
    if not identity.has_role("admin"):  # what staff may read is about calendars only
        form.entity_type.choices = [c for c in form.entity_type.choices
                                    if c.value in ("", *audit.CALENDAR_ENTITIES)]
    rows, after, filters = [], None, {}
    if form.validate():
        filters = {k: v for k, v in {
            "actor_key": form.actor.data, "action": form.action.data,
            "entity_type": form.entity_type.data, "entity_id": form.entity_id.data,
            "request_id": form.request_id.data,
            "since": form.since.data and to_utc(datetime.combine(form.since.data, time()), zone),
            "until": form.until.data and to_utc(
                datetime.combine(form.until.data + timedelta(days=1), time()), zone),
        }.items() if v}
        rows, after = audit_view.page(db.session(), actor=identity, limit=AUDIT_PAGE_SIZE,
                                      after=_cursor(request.args.get("cursor")), **filters)
    query = {k: v for k, v in request.args.items() if k != "cursor" and v}
    next_url = (url_for("appointments_admin.audit_log", **query,
                        cursor=paging.encode(*after)) if after else None)
    return render_template(
        "appointments/admin/audit.html", rows=rows, form=form, zone=zone,
        next_url=next_url, first_url=url_for("appointments_admin.audit_log", **query)
        if request.args.get("cursor") else None, filtered=bool(filters),
        everything=identity.has_role("admin"), link=entity_link)


def _people(form: GrantForm):
    """Staff with their rights (and the one looked up), the form's choices filled."""
    look_up = (request.args.get("look_up") or "").strip()[:64] or None
    listed, found = grants.staff(db.session(), actor=permissions.current_identity(),
                                 look_up=look_up)
    people = listed + ([found] if found and found.key not in {p.key for p in listed} else [])
    form.user.choices = choices({p.key: f"{p.name} ({p.key})" for p in people
                                 if p.role == "staff"}, "Choose a staff member", False)
    form.target.choices = choices({p.key: f"{p.name} ({p.key})" for p in people
                                   if p.role is not None}, "Choose a calendar", False)
    return {"people": listed, "found": found, "look_up": look_up}


def _roles_page(form: GrantForm, shown: dict, status: int = 200):
    return render_template("appointments/admin/roles.html", form=form,
                           revoke_form=ActionForm(), **shown), status


@bp.get("/roles")
@permissions.require_roles("admin")
def roles():
    """Staff with their effective rights; the form that grants a calendar or all."""
    form = GrantForm()
    shown = _people(form)
    if request.args.get("user"):
        form.user.data = request.args["user"]
    return _roles_page(form, shown)


@bp.post("/roles/grants")
@permissions.require_roles("admin")
def grant_give():
    form = GrantForm()
    _people(form)  # the choices the form is validated against
    if form.validate_on_submit():
        try:
            grants.give(db.session(), actor=permissions.current_identity(),
                        user_key=form.user.data, grant=form.grant.data,
                        target_key=form.target.data if form.grant.data == "manage_calendar"
                        else None)
        except SchedulingError as error:
            form.grant.errors = [error.sentence]
        else:
            flash("The right is granted.")
            return redirect(url_for("appointments_admin.roles"), 303)
    return _roles_page(form, _people(form), 422)


@bp.post(f"/roles/grants/<{ID}:grant_id>/revoke")
@permissions.require_roles("admin")
def grant_revoke(grant_id: int):
    require_valid(ActionForm())
    try:
        grants.revoke(db.session(), actor=permissions.current_identity(), grant_id=grant_id)
        flash("The right is revoked.")
    except SchedulingError as error:
        flash(error.sentence, "error")
    return redirect(url_for("appointments_admin.roles"), 303)


@bp.route("/settings", methods=["GET", "POST"], endpoint="settings")
@permissions.require_roles("admin")
def settings_page():
    """The system defaults as a form, each with its meaning; saved all or none."""
    identity = permissions.current_identity()
    session = db.session()
    current = settings.all_settings(session, actor=identity)
    channels = channel_columns(current, list(session.context.channels))
    form = settings_form(current, channels)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                changed = settings.put_many(session, actor=identity,
                                            values=settings_values(form, channels))
            except SchedulingError as error:
                for key, problems in error.details.get("errors", {"": [error.message]}).items():
                    target = form[key] if key in form else form.horizon_days
                    target.errors = [p[:1].upper() + p[1:] + "." for p in problems]
            else:
                flash(f"Saved: {len(changed)} setting{'s' if len(changed) != 1 else ''} "
                      "changed." if changed else "Nothing changed.")
                return redirect(url_for("appointments_admin.settings"), 303)
        status = 422
    return render_template(
        "appointments/admin/settings.html", form=form, meanings=settings.MEANINGS,
        channels=channels, configured=session.context.channels, channel_words=CHANNEL_WORDS,
        events=settings.ROLE_EVENTS), status


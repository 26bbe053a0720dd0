"""The REST API for staff: what it is for, its OpenAPI document, an interactive console
(Swagger UI, static/js/api_console.js, which sends the page's CSRF token so "Try it out"
works with the staff member's session) over the document less what the viewer may not call
(web/api/groups.py), and their personal API tokens: listed (with their last use), created
(shown once) and revoked through services/accounts/tokens.py, which audits both."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from sis_appointments.domain.errors import NotFound, SchedulingError
from sis_appointments.models import utcnow
from sis_appointments.services.accounts import tokens
from sis_appointments.web import ID, db, permissions, require_valid, submitted
from sis_appointments.web.admin import bp, page
from sis_appointments.web.admin_system_forms import NO_NUL
from sis_appointments.web.api import PREFIX, caching, groups
from sis_appointments.web.forms import ActionForm, choices

page("API", "appointments_admin.api_console", order=85,
     endpoint_prefix="appointments_admin.api_token")

# How long a new token lasts, offered as choices within the service's limit.
LIFETIMES = [days for days in (7, 30, 90, 180, 365) if days <= tokens.DAYS_MAX]
SCOPE_WORDS = {"read": "Read only: it may only look (GET)",
               "write": "Read and write: it may do whatever you may do"}


class TokenForm(FlaskForm):
    name = StringField("Name", filters=[lambda text: text.strip() if text else text], validators=[
        DataRequired("Give the token a name, e.g. what will use it."),
        Length(max=tokens.NAME_MAX, message=f"At most {tokens.NAME_MAX} characters."), NO_NUL])
    scope = RadioField("Access", default="read", choices=choices(
        {s: SCOPE_WORDS.get(s, s) for s in tokens.SCOPES}, by_label=False))
    expires_in_days = SelectField("Expires after", coerce=int, default=tokens.DAYS_DEFAULT,
                                  choices=choices({d: f"{d} days" for d in LIFETIMES},
                                                  by_label=False))


def _page(form: TokenForm, created: tuple | None = None, status: int = 200):
    identity = permissions.current_identity()
    response = render_template(
        "appointments/admin/api.html", form=form, revoke_form=ActionForm(), created=created,
        tokens=tokens.listed(db.session(), identity, own=True),
        zone=permissions.display_zone(identity), now=utcnow(), is_live=tokens.is_live,
        api_root=PREFIX,
        is_admin=identity.has_role("admin"),
        spec_url=url_for("sis-appointments-api-docs.openapi_json"),
        console_url=url_for("appointments_admin.api_document"))
    # a page showing a new token's secret is kept by no cache
    return response, status, {"Cache-Control": "no-store"} if created else {}


@bp.get("/api")
@permissions.require_roles("staff", "admin")
def api_console():
    """What the API is for, its document and console, and the viewer's tokens."""
    return _page(TokenForm(formdata=None))


@bp.get("/api/openapi.json")
@permissions.require_roles("staff", "admin")
def api_document():
    """The console's OpenAPI document: the operations the viewer may call."""
    api = current_app.extensions["sis_appointments"].api
    return groups.document_for(api.spec.to_dict(), permissions.current_identity())


@bp.post("/api/tokens")
@permissions.require_roles("staff", "admin")
def api_token_create():
    form = TokenForm()
    if not submitted(form):
        return _page(form, status=422)
    try:
        row, secret = tokens.create(db.session(), actor=permissions.current_identity(),
                                    name=form.name.data, scope=form.scope.data,
                                    expires_in_days=form.expires_in_days.data)
    except SchedulingError as error:
        form.name.errors = [error.sentence]
        return _page(form, status=422)
    return _page(TokenForm(formdata=None), created=(row, secret))


@bp.post(f"/api/tokens/<{ID}:token_id>/revoke")
@permissions.require_roles("staff", "admin")
def api_token_revoke(token_id: int):
    require_valid(ActionForm())
    try:
        revoked = tokens.revoke(db.session(), actor=permissions.current_identity(),
                                token_id=token_id)
    except NotFound:
        abort(404)
    caching.forget_tokens()  # as the API does: every worker stops accepting it
    flash(f"The token “{revoked.name}” is revoked: it no longer works.")
    return redirect(url_for("appointments_admin.api_console"), 303)

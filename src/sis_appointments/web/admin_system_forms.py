"""Forms of the system pages: the audit log's filters, a grant, the settings."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from sis_appointments.services.platform import settings
from sis_appointments.services.platform.audit_view import ACTION_WORDS, ENTITY_WORDS
from sis_appointments.web.forms import choices, in_window

NO_NUL = Regexp(r"^[^\x00]*$", message="must not contain NUL characters")
ROLE_GRID = (("student", "notify_student"), ("staff", "notify_staff"))


class AuditFilterForm(FlaskForm):
    """What the audit log shows (GET, no CSRF: it changes nothing)."""

    actor = StringField("Who (user key)", validators=[Optional(), Length(max=64), NO_NUL])
    action = SelectField("Action", choices=choices(ACTION_WORDS, "Any action"),
                         validators=[Optional()])
    entity_type = SelectField("Entity", choices=choices(ENTITY_WORDS, "Anything"),
                              validators=[Optional()])
    entity_id = StringField("Entity id", validators=[Optional(), Length(max=64), NO_NUL])
    since = DateField("From (date)", validators=[Optional(), in_window])
    until = DateField("To (date, included)", validators=[Optional(), in_window])
    request_id = StringField("Request id", validators=[Optional(), Length(max=64), NO_NUL])

    def validate_until(self, field):
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError("The end date is before the start date.")


class GrantForm(FlaskForm):
    """Let a staff member manage one host's calendar, or every calendar."""

    user = SelectField("Staff member", validators=[InputRequired("Choose a staff member.")])
    grant = SelectField("Right", choices=choices({  # grants.GRANTS
        "manage_calendar": "Manage one colleague's calendar",
        "manage_all": "Manage all calendars"}, by_label=False), validators=[InputRequired()])
    target = SelectField("Calendar of (for one colleague's calendar)", default="")

    def validate_target(self, field):
        if self.grant.data == "manage_calendar" and not field.data:
            raise ValidationError("Choose whose calendar.")
        if self.grant.data == "manage_calendar" and field.data == self.user.data:
            raise ValidationError("Everyone manages their own calendar already.")


class SettingsBase(FlaskForm):
    horizon_days = IntegerField("Booking horizon (days)", validators=[
        InputRequired("Write a number of days.")])
    reminder_lead_minutes = StringField("Reminder lead times (minutes before)", validators=[
        Length(max=100), Regexp(r"^[0-9 ,]*$", message="Write minutes, e.g. 1440, 60.")])
    reminder_grace_minutes = IntegerField("Reminder grace (minutes)", validators=[
        InputRequired("Write a number of minutes.")])
    digest_hour = IntegerField("Staff digest hour (0-23)", validators=[
        InputRequired("Write an hour from 0 to 23.")])


def channel_columns(current: dict, configured: list[str]) -> list[str]:
    """The channels of the routing grids: those configured, and any the settings name that
    are not (so saving the form never drops them)."""
    named = [c for _, key in ROLE_GRID for chans in current[key].values() for c in chans]
    return list(dict.fromkeys([*configured, *named]))


def settings_form(current: dict, channels: list[str]) -> SettingsBase:
    """The settings form filled with ``current``: a checkbox per role, event and channel."""
    class Form(SettingsBase):
        pass

    for role, key in ROLE_GRID:
        for event in settings.ROLE_EVENTS[role]:
            for channel in channels:
                setattr(Form, f"{key}__{event}__{channel}", BooleanField(
                    f"{event.replace('_', ' ')} to {role} by {channel}",
                    default=channel in current[key].get(event, ())))
    return Form(data={k: current[k] for k in ("horizon_days", "reminder_grace_minutes",
                                              "digest_hour")}
                | {"reminder_lead_minutes": ", ".join(
                    str(m) for m in current["reminder_lead_minutes"])})


def settings_values(form: SettingsBase, channels: list[str]) -> dict:
    """The form's values as the settings service takes them (the service validates)."""
    values = {"horizon_days": form.horizon_days.data,
              "reminder_grace_minutes": form.reminder_grace_minutes.data,
              "digest_hour": form.digest_hour.data,
              "reminder_lead_minutes": [
                  int(x) for x in form.reminder_lead_minutes.data.replace(",", " ").split()]}
    for role, key in ROLE_GRID:
        routing = {}
        for event in settings.ROLE_EVENTS[role]:
            chosen = [c for c in channels if form[f"{key}__{event}__{c}"].data]
            if chosen:
                routing[event] = chosen
        values[key] = routing
    return values


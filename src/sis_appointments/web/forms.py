"""WTForms of the plugin's pages; every POST carries a CSRF token (Flask-WTF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import Length, NumberRange, Optional, Regexp


class ActionForm(FlaskForm):
    """A button that changes something: book, join, leave."""


class CancelForm(FlaskForm):
    reason = StringField("Reason (optional)", validators=[
        Length(max=500), Regexp(r"^[^\x00]*$", message="must not contain NUL characters")])


class RescheduleForm(FlaskForm):
    """The slot a booking moves to (a radio button per open slot)."""

    slot = IntegerField("New time", validators=[Optional(), NumberRange(1, 2147483647)])


class PreferencesForm(FlaskForm):
    """Notification preferences; the page adds a checkbox per event and channel."""

    lead_times = StringField("Reminders, minutes before (e.g. 1440, 60)", validators=[
        Length(max=100), Regexp(r"^[0-9 ,]*$", message="write minutes, e.g. 1440, 60")])

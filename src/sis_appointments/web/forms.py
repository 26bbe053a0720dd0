"""WTForms of the plugin's pages; every POST carries a CSRF token (Flask-WTF)."""

from __future__ import annotations

from datetime import date

from flask import request
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from sis_appointments.domain.type_limits import EARLIEST_YEAR, INT_MAX, LATEST_YEAR


def choices(words: dict, empty: str | None = None, by_label: bool = True) -> list[SelectChoice]:
    """Options of a select: ``words`` maps values to labels (sorted by label unless
    ``by_label`` is false: then in their order); ``empty`` labels a blank first one."""
    items = sorted(words.items(), key=lambda item: item[1]) if by_label else words.items()
    return ([SelectChoice("", empty)] if empty else []) + [
        SelectChoice(value, label) for value, label in items]


def in_window(form, field) -> None:
    """A date (or time) field's validator: years 1900 to 2200 only, so that no arithmetic on
    it (a week before, a day after, a zone's offset) leaves the calendar."""
    if field.data is not None and not EARLIEST_YEAR <= field.data.year <= LATEST_YEAR:
        raise ValidationError(f"Choose a date between the years {EARLIEST_YEAR} and "
                              f"{LATEST_YEAR}.")


def query_day(value: str | None) -> date | None:
    """A day from a page's query string (ISO 8601), or None when absent, malformed or outside
    the years 1900 to 2200 (a page then shows its default)."""
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day and EARLIEST_YEAR <= day.year <= LATEST_YEAR else None


def query_id(name: str) -> int | None:
    """A row id from a page's query string, or None when absent or not a positive 32-bit
    integer (the database's ids)."""
    value = request.args.get(name, type=int)
    return value if value is not None and 1 <= value <= INT_MAX else None


class ActionForm(FlaskForm):
    """A button that changes something: book, join, leave."""


class CancelForm(FlaskForm):
    reason = StringField("Reason (optional)", validators=[
        Length(max=500), Regexp(r"^[^\x00]*$", message="must not contain NUL characters")])


class RescheduleForm(FlaskForm):
    """The slot a booking moves to (a radio button per open slot)."""

    slot = IntegerField("New time", validators=[Optional(), NumberRange(1, 2147483647)])


# Reminder times offered on the preferences page, in minutes before the appointment.
REMINDER_CHOICES = (10080, 2880, 1440, 180, 60, 30, 15)
MAX_REMINDERS = 5


def lead_words(minutes: int) -> str:
    """'1 week', '2 days', '1 day', '3 hours', '90 minutes' before."""
    for size, unit in ((10080, "week"), (1440, "day"), (60, "hour")):
        if minutes % size == 0:
            count = minutes // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{minutes} minutes"


class PreferencesForm(FlaskForm):
    """Notification preferences; the page adds a checkbox per event and channel, and sets
    the reminder choices (REMINDER_CHOICES and the user's own)."""

    lead_times = SelectMultipleField(
        "Remind me before each appointment", coerce=int, choices=[],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        validate_choice=False)

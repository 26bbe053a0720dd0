"""The appointment type form of the staff pages. Its limits come from domain.type_limits (as
the service's checks and the API's schema do), so the page and the API cannot differ."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import (
    URL,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from sis_appointments.domain import type_limits as limits

UNITS = {"minutes": 1, "hours": 60, "days": 24 * 60}
UNIT_CHOICES = [SelectChoice(name, name) for name in UNITS]
# Fields entered as a number and a unit, stored in minutes: field -> the model's key.
IN_UNITS = {"min_notice": "min_notice_minutes", "cancel_cutoff": "cancel_cutoff_minutes",
            "offer": "offer_minutes"}
ZONES = ["UTC", *sorted(z for z in available_timezones()
                        if "/" in z and not z.startswith(("Etc/", "SystemV/")))]


class WholeField(IntegerField):
    """A whole number; anything else is refused in words a person understands."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].strip() and not valuelist[0].strip().lstrip("-").isdigit():
            self.data = None
            raise ValueError("Enter a whole number, such as 30")
        super().process_formdata([v.strip() for v in valuelist])


def _whole(label: str, key: str, required: bool = False, **kwargs) -> IntegerField:
    limit = limits.NUMBERS[key]
    presence = InputRequired(f"Enter {label.lower()}") if required else Optional()
    return WholeField(label, validators=[presence, NumberRange(
        limit.low, limit.high, message=f"Enter a whole number from {limit.low} to {limit.high}")],
        **kwargs)


def _in_units(label: str, key: str, optional: bool) -> IntegerField:
    """The number half of a number-and-unit field; the range is checked in minutes."""
    low = limits.NUMBERS[key].low
    return WholeField(label, default=None if optional else 0, validators=[
        Optional() if optional else InputRequired(f"Enter {label.lower()} (0 for none)"),
        NumberRange(min=low, message=f"Enter a whole number of at least {low}")])


def _text(label: str, key: str, field=StringField, *validators, **kwargs):
    return field(label, validators=[*validators, Length(
        max=limits.TEXT[key], message=f"Use at most {limits.TEXT[key]} characters")], **kwargs)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        offered = {str(choice.value) for choice in self.iter_choices()}
        if any(value not in offered for value in self.data or ()):
            raise ValidationError("Choose among the staff listed: you can add only the "
                                  "calendars you manage")


class TypeForm(FlaskForm):
    """Create or edit an appointment type; ``version`` is the one the editor read."""

    version = HiddenField()
    original = HiddenField()  # the values the editor read (JSON), to tell who changed what
    name = _text("Name", "name", StringField, DataRequired("Enter a name"))
    description = _text("Description (shown to students)", "description", TextAreaField)
    hosts = MultiCheckboxField("Hosts", choices=[])
    extra_host = StringField("Another staff member, by user key", validators=[
        Optional(), Length(max=limits.HOST_KEY_LENGTH,
                           message=f"Use at most {limits.HOST_KEY_LENGTH} characters")])
    timezone = SelectField("Time zone", choices=[SelectChoice(z, z) for z in ZONES])
    duration_minutes = _whole("Duration in minutes", "duration_minutes", required=True,
                              default=30)
    capacity = _whole("Seats per slot (default capacity)", "capacity", required=True,
                      default=1)
    buffer_before_minutes = _whole("Buffer before, minutes", "buffer_before_minutes",
                                   required=True, default=0)
    buffer_after_minutes = _whole("Buffer after, minutes", "buffer_after_minutes",
                                  required=True, default=0)
    min_notice = _in_units("Minimum notice", "min_notice_minutes", optional=False)
    min_notice_unit = SelectField("Unit of minimum notice", choices=UNIT_CHOICES,
                                  default="hours")
    max_advance_days = _whole("Book at most this many days ahead", "max_advance_days")
    cancel_cutoff = _in_units("Free cancellation until", "cancel_cutoff_minutes",
                              optional=False)
    cancel_cutoff_unit = SelectField("Unit of the cancellation cutoff", choices=UNIT_CHOICES,
                                     default="hours")
    max_active_per_student = _whole("Upcoming bookings at once", "max_active_per_student")
    max_per_student_per_day = _whole("Bookings per day", "max_per_student_per_day")
    max_per_student_per_week = _whole("Bookings per week", "max_per_student_per_week")
    programs = TextAreaField("Programs (one per line)")
    cohorts = TextAreaField("Cohorts (one per line)")
    location = _text("Place", "location")
    online_url = _text("Online meeting link", "online_url", URLField, Optional(), URL(
        require_tld=True, message="Enter a full address starting with https://"))
    colour = StringField("Colour", default="#123c69", validators=[
        InputRequired("Pick a colour"),
        Regexp(f"^{limits.COLOUR}$", message="Pick a colour like #1a2b3c")])
    waitlist_enabled = BooleanField("Students may join a waitlist when a slot is full",
                                    default=True)
    waitlist_size = _whole("Waitlist places per slot", "waitlist_size")
    offer = _in_units("Time to accept a freed seat", "offer_minutes", optional=True)
    offer_unit = SelectField("Unit of the time to accept", choices=UNIT_CHOICES,
                             default="hours")
    reason_required = BooleanField("Students must say what the appointment is about")

    def _check_minutes(self, field, key: str) -> None:
        if field.data is None or field.errors:
            return
        limit = limits.NUMBERS[key]
        unit = getattr(self, f"{field.name}_unit").data
        if field.data * UNITS.get(unit, 1) > limit.high:
            most = limit.high // UNITS.get(unit, 1)
            raise ValidationError(f"Enter at most {most} {unit}")

    def validate_min_notice(self, field):
        self._check_minutes(field, "min_notice_minutes")

    def validate_cancel_cutoff(self, field):
        self._check_minutes(field, "cancel_cutoff_minutes")

    def validate_offer(self, field):
        self._check_minutes(field, "offer_minutes")

    def validate_programs(self, field):
        _check_names(field)

    def validate_cohorts(self, field):
        _check_names(field)

    def validate_hosts(self, field):
        if not field.data and not (self.extra_host.data or "").strip():
            raise ValidationError("Choose at least one host")

    def fields_for_service(self) -> dict:
        """The form's values as the service's fields (minutes, lists, None for blank)."""
        data = {key: getattr(self, key).data for key in (
            "name", "description", "timezone", "duration_minutes", "capacity",
            "buffer_before_minutes", "buffer_after_minutes", "max_advance_days",
            "max_active_per_student", "max_per_student_per_day", "max_per_student_per_week",
            "location", "colour", "waitlist_enabled", "waitlist_size", "reason_required")}
        data["online_url"] = self.online_url.data or None
        data["colour"] = data["colour"].lower()
        for name, key in IN_UNITS.items():
            value = getattr(self, name).data
            unit = UNITS[getattr(self, f"{name}_unit").data]
            data[key] = None if value is None else value * unit
        data["eligibility"] = {"programs": _names(self.programs.data),
                               "cohorts": _names(self.cohorts.data)}
        data["hosts"] = list(self.hosts.data)
        return data

    def fill(self, values: dict) -> None:
        """Show a type's ``values`` (the service's state) in the form."""
        for key, value in values.items():
            if key in self._fields and key not in ("hosts",):
                self[key].data = value
        for name, key in IN_UNITS.items():
            getattr(self, name).data, getattr(self, f"{name}_unit").data = in_unit(
                values.get(key))
        eligibility = values.get("eligibility") or {}
        self.programs.data = "\n".join(eligibility.get("programs", []))
        self.cohorts.data = "\n".join(eligibility.get("cohorts", []))
        self.hosts.data = list(values.get("hosts", []))
        self.colour.data = values.get("colour") or "#123c69"


def in_unit(minutes: int | None) -> tuple[int | None, str]:
    """Minutes as the largest unit that holds them whole: 2880 -> (2, "days")."""
    if not minutes:
        return minutes, "hours"
    for unit in ("days", "hours"):
        if minutes % UNITS[unit] == 0:
            return minutes // UNITS[unit], unit
    return minutes, "minutes"


def _names(text: str | None) -> list[str]:
    return sorted({line.strip() for line in (text or "").replace(",", "\n").splitlines()
                   if line.strip()})


def _check_names(field) -> None:
    too_long = [n for n in _names(field.data) if len(n) > limits.GROUP_NAME_LENGTH]
    if too_long:
        raise ValidationError(f"Each name may have at most {limits.GROUP_NAME_LENGTH} "
                              f"characters ({too_long[0][:20]}… is longer)")

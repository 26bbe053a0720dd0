"""A user's own pages: in-app notifications, notification preferences, the calendar feed."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from wtforms import BooleanField

from sis_appointments.domain.errors import SchedulingError
from sis_appointments.services.notifications import inbox, preferences
from sis_appointments.web import db, make_blueprint, permissions, require_valid
from sis_appointments.web.forms import (
    MAX_REMINDERS,
    REMINDER_CHOICES,
    ActionForm,
    PreferencesForm,
    choices,
    lead_words,
)

bp = make_blueprint("appointments_me", __name__)
ANYONE = ("student", "staff", "admin")


@bp.get("/notifications")
@permissions.require_roles(*ANYONE)
def notifications():
    identity = permissions.current_identity()
    items, unread = inbox.listed(db.session(), identity.key, limit=100)
    return render_template("appointments/me/notifications.html", items=items, unread=unread,
                           zone=permissions.display_zone(identity), form=ActionForm(),
                           summary=summary, is_student=identity.has_role("student"))


# Lines of a stored message the list leaves out: said by the title or the page already.
_BOILERPLATE = ("Hello ", "Times are shown in ", "Your appointments:", "See this appointment:",
                "When: ")


def summary(item, lines: int = 3) -> list[str]:
    """A notification's few lines worth showing in the list: what its body says beyond
    the title (no greeting, zone line, link or time, which the title has)."""
    body = (item.body or "").strip().splitlines()
    if body and body[0].strip() and item.title.startswith(body[0].strip()):
        body = body[1:]  # the headline, the title's first words
    kept = [line.strip() for line in body if line.strip()
            and not line.strip().startswith(_BOILERPLATE)]
    return kept[:lines]


@bp.post("/notifications/read")
@permissions.require_roles(*ANYONE)
def read_all():
    require_valid(ActionForm())
    count = inbox.mark_read(db.session(), user=permissions.current_identity())
    flash(f"{count} marked as read.")
    return redirect(url_for("appointments_me.notifications"), 303)


# How the preferences page names channels and events.
CHANNEL_LABELS = {"inapp": "In the app", "email": "Email", "sms": "Text message"}
EVENT_LABELS = {
    "booking_created": "A booking is made",
    "booking_cancelled": "A booking is cancelled",
    "booking_rescheduled": "A booking is moved to another time",
    "slot_changed": "An appointment's time or place changes",
    "waitlist_joined": "You join a waitlist",
    "waitlist_offered": "A seat is held for you to accept",
    "waitlist_promoted": "You get a seat from the waitlist",
    "reminder": "Reminders before an appointment",
    "digest": "The next day's appointments, the evening before",
}


def channel_label(channel: str) -> str:
    return CHANNEL_LABELS.get(channel) or channel.replace("_", " ").capitalize()


def event_label(event: str) -> str:
    return EVENT_LABELS.get(event) or event.replace("_", " ").capitalize()


def _grid_form(view):
    """The preferences form with a checkbox per event and channel, and the reminder times
    as choices (the offered ones and any the user has that are not among them)."""
    class Grid(PreferencesForm):
        pass

    for event in view["events"]:
        for channel in view["channels"]:
            setattr(Grid, f"{event}__{channel}", BooleanField(
                f"{event_label(event)}: {channel_label(channel)}",
                default=channel in view["events"][event]))
    form = Grid()
    minutes = sorted(set(REMINDER_CHOICES) | set(view["reminder_lead_minutes"]), reverse=True)
    form.lead_times.choices = choices({m: f"{lead_words(m)} before" for m in minutes},
                                      by_label=False)
    return form


@bp.route("/preferences", methods=["GET", "POST"], endpoint="preferences")
@permissions.require_roles(*ANYONE)
def edit_preferences():
    identity = permissions.current_identity()
    session = db.session()
    view = preferences.view(session, identity)
    form = _grid_form(view)
    offered = {choice.value for choice in form.lead_times.choices}
    if request.method == "GET":
        form.lead_times.data = list(view["reminder_lead_minutes"])
    elif form.validate_on_submit():
        chosen = {e: [c for c in view["channels"] if form[f"{e}__{c}"].data]
                  for e in view["events"]}
        leads = list(form.lead_times.data or [])
        try:
            if not set(leads) <= offered:
                raise ValueError
            if len(leads) > MAX_REMINDERS:
                form.lead_times.errors = [
                    f"Choose at most {MAX_REMINDERS} reminder times; nothing was saved."]
                raise _NotSaved
            preferences.update(session, user=identity, events=chosen,
                               reminder_lead_minutes=leads)
        except ValueError:
            form.lead_times.errors = ["Choose reminder times from the list; nothing was saved."]
        except _NotSaved:
            pass
        except SchedulingError as error:
            form.lead_times.errors = [error.message]
        else:
            flash("Your notification preferences are saved.")
            return redirect(url_for("appointments_me.preferences"), 303)
    return render_template("appointments/me/preferences.html", form=form, view=view,
                           feed_form=ActionForm(), channel_label=channel_label,
                           event_label=event_label,
                           has_feed=inbox.has_feed_token(session, identity.key),
                           is_student=identity.has_role("student")), \
        422 if form.lead_times.errors else 200


class _NotSaved(Exception):
    """The form's own error is set; nothing is saved."""


@bp.post("/feed")
@permissions.require_roles(*ANYONE)
def new_feed():
    require_valid(ActionForm())
    token = inbox.new_feed_token(db.session(), user=permissions.current_identity())
    flash("Your calendar address is below. Add it to your calendar program as a "
          "subscription; it replaces any earlier one.")
    return render_template("appointments/me/feed_created.html",
                           url=url_for("appointments_me.feed", token=token, _external=True))


@bp.post("/feed/off")
@permissions.require_roles(*ANYONE)
def feed_off():
    require_valid(ActionForm())
    inbox.revoke_feed_token(db.session(), user=permissions.current_identity())
    flash("Your calendar address no longer works.")
    return redirect(url_for("appointments_me.preferences"), 303)


@bp.get("/feed/<string(maxlength=100):token>.ics")
def feed(token: str):
    """A user's private calendar feed: the token in the URL is the only credential, so
    calendar programs can poll it; renewing or turning it off ends the old address."""
    from sis_appointments.web.api.calendar_api import user_file

    session = db.session()
    user_key = inbox.feed_user(session, token)
    state = current_app.extensions["sis_appointments"]
    user = state.pm.hook.appointments_get_user(user_key=user_key) if user_key else None
    if user is None:
        abort(404)
    response = user_file(user)
    response.headers["Cache-Control"] = "private, max-age=300"
    return response

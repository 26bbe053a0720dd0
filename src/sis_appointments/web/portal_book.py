"""The students' book page and booking from it (routes of the portal's blueprint).

Every view answers a whole page, or with ``fragment`` (what the page's JavaScript asks for)
only the part it swaps in: the week's list, or the confirmation shown in a dialog. Without
JavaScript, Book leads to the confirmation page, which POSTs and redirects (303) with a
flashed message; a refusal comes back to the confirmation, worded with the next step.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length, Regexp

from sis_appointments.domain.errors import Forbidden, NotFound, SchedulingError
from sis_appointments.services.scheduling import availability, booking, queries, waitlist
from sis_appointments.web import ID, db, permissions, require_valid
from sis_appointments.web.forms import ActionForm
from sis_appointments.web.portal import bp

BOOKED = "Booked. It is listed under your upcoming appointments."
LIMIT_REACHED = "Limit reached"  # a slot's own words; the page says which limit once
VIEWS = ("calendar", "list")


class BookForm(FlaskForm):
    """The confirmation: the CSRF token and what the student would like to discuss."""

    reason = TextAreaField("What would you like to discuss? (optional)", validators=[
        Length(max=500), Regexp(r"^[^\x00]*$", message="must not contain NUL characters")])


def _week_arg() -> date | None:
    try:
        return date.fromisoformat(request.args.get("week", ""))
    except ValueError:
        return None


@bp.get("/book")
@permissions.require_roles("student")
def book_page():
    identity = permissions.current_identity()
    session = db.session()
    tz = permissions.display_zone(identity)
    filters = {"type_id": request.args.get("type", type=int),
               "host_key": request.args.get("host") or None,
               "part": request.args.get("part") or None,
               "show_clashes": request.args.get("clashes") == "1",
               "show_limited": request.args.get("limited") == "1"}
    week = availability.book_page(session, identity.key, tz, week=_week_arg(), **filters)
    # the view chosen (book.js): links and the filters' form carry it on
    filters["view"] = request.args.get("view") if request.args.get("view") in VIEWS else None
    template = ("appointments/portal/book_list.html" if request.args.get("fragment") == "list"
                else "appointments/portal/book.html")
    types = queries.active_types(session)
    return render_template(template, week=week, types=types, filters=filters, zone=tz,
                           action_form=ActionForm(), rooms=_rooms(week, types),
                           calendar_data=lambda w: _calendar_data(w, filters, types))


def _rooms(week, types) -> str:
    """The live rooms the page follows: the types it shows, and the student's own events."""
    return " ".join(["me", *(f"type:{t.id}" for t in types)])


def _hours(week) -> list[int]:
    """The calendar's first and last hour, within the day (0 to 24: FullCalendar would draw
    hours past 24 in the previous day's column): from the earliest to the latest hour the
    week's slots use, all day when one goes on past midnight (8 to 18 if there are none)."""
    spans = []
    for offer in week.offers:
        start = offer.slot.start_utc.astimezone(week.tz)
        midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
        last = -(-(offer.slot.end_utc.astimezone(week.tz) - midnight) // timedelta(hours=1))
        spans.append((start.hour, last) if last <= 24 else (0, 24))
    return [min(s for s, _ in spans), max(e for _, e in spans)] if spans else [8, 18]


def _scroll_hour(week, hours: list[int]) -> int:
    """Where the calendar opens: its first hour, unless it shows the whole day because slots
    go on past midnight; then the first hour after the longest stretch of the day no slot
    uses (a student far from campus sees evening and night slots first, scrolling for those
    after midnight)."""
    if hours != [0, 24]:
        return hours[0]
    used = set()
    for offer in week.offers:
        start = offer.slot.start_utc.astimezone(week.tz)
        first = start.replace(minute=0, second=0, microsecond=0)
        count = -(-(offer.slot.end_utc - first) // timedelta(hours=1))
        used.update((first.hour + h) % 24 for h in range(count))
    if len(used) == 24:
        return 0

    def unused_before(hour: int) -> int:
        return next(n for n in range(24) if (hour - n - 1) % 24 in used)

    return max(sorted(used), key=unused_before)


def _empty_weekend(week) -> list[int]:
    """Saturday and Sunday (FullCalendar's 6 and 0) when no slot shown falls on them: the
    week calendar's columns are wider for the days that have slots."""
    weekdays = {day.weekday() for day, _offers in week.days}
    return [number for weekday, number in ((5, 6), (6, 0)) if weekday not in weekdays]


def _calendar_data(week, filters, types) -> dict:
    """What calendar.js and book.js read (no inline script: a JSON script element)."""
    hours = _hours(week)
    return {
        "start": week.start.isoformat(), "end": week.end.isoformat(), "zone": week.tz.key,
        "from": week.first_instant.isoformat(), "until": week.last_instant.isoformat(),
        "api": url_for("appointments_api_slots.list_slots"),
        "type": filters["type_id"], "host": filters["host_key"],
        "types": {t.id: t.name for t in types}, "hosts": week.hosts, "hours": hours,
        "scroll": _scroll_hour(week, hours),
        "hiddenDays": _empty_weekend(week),
        "offers": {o.slot.id: {"action": o.action, "kind": o.kind, "place": o.place,
                               "offered": o.held_until is not None,
                               "reason": LIMIT_REACHED if o.kind == "limit" else o.reason,
                               "where": o.where,
                               "confirm": url_for("appointments_portal.confirm",
                                                  slot_id=o.slot.id)}
                   for o in week.offers},
    }


def _offer_or_404(slot_id: int):
    identity = permissions.current_identity()
    found = availability.offer(db.session(), identity.key, slot_id,
                               tz=permissions.display_zone(identity))
    if found is None:
        abort(404)
    return identity, found


def _confirmation(found, form, *, refusal: str = "", status: int = 200):
    fragment = request.values.get("fragment") == "1"
    template = ("appointments/portal/book_confirm_fragment.html" if fragment
                else "appointments/portal/book_confirm.html")
    return render_template(
        template, offer=found, form=form, action_form=ActionForm(), refusal=refusal,
        rule=availability.cancellation_rule(found),
        zone=permissions.display_zone(permissions.current_identity())), status


@bp.get(f"/slots/<{ID}:slot_id>/book")
@permissions.require_roles("student")
def confirm(slot_id: int):
    _identity, found = _offer_or_404(slot_id)
    return _confirmation(found, BookForm())


@bp.post(f"/slots/<{ID}:slot_id>/book")
@permissions.require_roles("student")
def book(slot_id: int):
    actor = permissions.current_identity()
    form = BookForm()
    require_valid(form)
    try:
        booking.book(db.session(), actor=actor, slot_id=slot_id,
                     reason=(form.reason.data or "").strip())
    except (Forbidden, NotFound) as error:
        abort(error.status)
    except SchedulingError as error:
        return _refused(slot_id, error, form)
    return _done(BOOKED)


@bp.post(f"/slots/<{ID}:slot_id>/waitlist")
@permissions.require_roles("student")
def join_waitlist(slot_id: int):
    actor = permissions.current_identity()
    form = ActionForm()
    require_valid(form)
    try:
        entry = waitlist.join(db.session(), actor=actor, slot_id=slot_id)
    except (Forbidden, NotFound) as error:
        abort(error.status)
    except SchedulingError as error:
        return _refused(slot_id, error, BookForm(formdata=None))
    return _done(_joined_message(entry, waitlist.position(db.session(), entry)))


def _done(message: str):
    """Success: the dialog's closing words (fragment), or a flash and a 303 to the tab."""
    if request.values.get("fragment") == "1":
        return render_template("appointments/portal/book_done_fragment.html", message=message)
    flash(message)
    return redirect(url_for("appointments_portal.index"), 303)


def _refused(slot_id: int, error: SchedulingError, form):
    """A refusal in plain words with the next step, over the slot as it now is."""
    identity = permissions.current_identity()
    db.session().rollback()
    found = availability.offer(db.session(), identity.key, slot_id,
                               tz=permissions.display_zone(identity))
    if found is None:
        abort(404)
    words = refusal_words(error, found)
    if request.values.get("fragment") == "1":
        return _confirmation(found, form, refusal=words, status=error.status)
    flash(words, "error")
    return redirect(url_for("appointments_portal.confirm", slot_id=slot_id), 303)


def refusal_words(error: SchedulingError, found) -> str:
    """Why a booking or waitlist join was refused, and what the student can do next."""
    code = error.code
    if found.action == "held" or code == "already_booked":
        return "You have already booked this appointment; it is under My appointments."
    if code == "slot_full":
        if found.action == "waitlist":
            return (f"Someone took the last seat a moment ago. Join the waitlist? You would be "
                    f"number {found.position}.")
        return "Someone took the last seat a moment ago. Please pick another time."
    if code in {"student_overlap", "student_busy"} or code.startswith("limit_"):
        return found.reason or error.sentence
    if code == "reason_required":
        return "Please say what you would like to discuss: the office asks before booking."
    if code == "seats_available":
        return "A seat is free again: you can book it now."
    if code == "already_waiting":
        return "You are already on the waitlist for this slot; your place is under My appointments."
    if code == "waitlist_full":
        return "The waitlist for this slot is full. Please pick another time."
    if code == "not_eligible":
        return (found.reason or error.sentence) + (
            " Ask the office if you think this is wrong.")
    if code in {"slot_closed", "slot_in_past", "no_waitlist"}:
        return "This slot is no longer open for booking. Please pick another time."
    return error.sentence + " Please pick another time."


def _joined_message(entry, position: int | None) -> str:
    """What joining promises: a seat booked for you, or (offer mode) held for you to accept."""
    place = f"You are number {position} on the waitlist." if position else (
        "You are on the waitlist.")
    minutes = entry.slot.type.offer_minutes
    if minutes:
        return (f"{place} If a seat frees up it is held for you for {minutes} minutes: "
                "accept it under your appointments before then, or it passes to the next "
                "student waiting.")
    return f"{place} A freed seat is booked for you automatically."

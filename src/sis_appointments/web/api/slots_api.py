"""Slots: range query, read, create custom, update, cancel; booking and waitlists."""

from __future__ import annotations

from flask import current_app, request
from marshmallow import Schema, fields

from sis_appointments.domain.timezones import zone
from sis_appointments.services.scheduling import booking, queries, slots, waitlist
from sis_appointments.web import ID, db, permissions
from sis_appointments.web.api import caching, paging
from sis_appointments.web.api.auth import actor
from sis_appointments.web.api.groups import Blueprint
from sis_appointments.web.api.schemas.bookings import BookingCreate, BookingOut
from sis_appointments.web.api.schemas.common import Reason, page_of
from sis_appointments.web.api.schemas.slots import SlotCreate, SlotOut, SlotQuery, SlotUpdate
from sis_appointments.web.api.schemas.waitlist import WaitlistOut
from sis_appointments.web.api.serialize import booking_json, slot_json, slot_wire, waitlist_json

blp = Blueprint("appointments_api_slots", __name__, url_prefix="/slots", group="Slots",
                description=("Bookable times on a host's calendar: find, create, change and "
                             "cancel them; book a slot and manage its waitlist"))


SlotPage = page_of("SlotPage", SlotOut)


class ConflictList(Schema):
    slot = fields.Nested(SlotOut)
    conflicts = fields.List(fields.Dict())


def _viewer_zone(tz_name: str | None = None):
    return zone(tz_name) if tz_name else permissions.display_zone(actor())


def _zone_key() -> str:
    """The zone a range answer is written in, as named in the query or the viewer's."""
    return request.args.get("tz") or permissions.display_zone(actor()).key


@blp.route("")
@caching.served_first("slots", _zone_key)
@blp.arguments(SlotQuery, location="query")
@blp.response(200, SlotPage)
def list_slots(query):
    """Slots starting in [start, end), earliest first, with a `next` link per page.
    Answers are cached until the next committed change."""
    tz = _viewer_zone(query.get("tz"))

    def compute() -> bytes:
        found = queries.slot_range(
            db.session(), query["start"], query["end"], type_id=query.get("type"),
            host_key=query.get("host"), location=query.get("location"),
            available_only=query["available_only"], after=paging.decode(query.get("cursor")),
            limit=query["limit"] + 1)
        body = paging.page(found, lambda row: (row[0].start_utc, row[0].id), query["limit"])
        body["items"] = [slot_wire(slot_json(slot, tz, waiting))
                         for slot, waiting in body["items"]]
        return current_app.json.dumps(body).encode()  # what SlotPage dumps, without it

    return caching.cached_json("slots", _zone_key(), compute)


@blp.route("", methods=["POST"])
@blp.arguments(SlotCreate)
@blp.response(201, SlotOut(many=True))
def create_slots(body):
    """One-off slots: one, or the range split by the type's duration and buffers."""
    made = slots.create_custom(db.session(), actor=actor(), type_id=body["type_id"],
                               host_key=body["host"], start=body["start"], end=body["end"],
                               split=body["split"], location=body.get("location"),
                               capacity=body.get("capacity"))
    return [slot_json(s) for s in made]


@blp.route(f"/<{ID}:slot_id>")
@blp.response(200, SlotOut)
def get_slot(slot_id: int):
    slot = slots.load_slot(db.session(), slot_id)
    return slot_json(slot, _viewer_zone(),
                     queries.waitlist_lengths(db.session(), [slot.id]).get(slot.id, 0))


@blp.route(f"/<{ID}:slot_id>", methods=["PATCH"])
@blp.arguments(SlotUpdate)
@blp.response(200, ConflictList)
def update_slot(body, slot_id: int):
    """Move, relocate or resize a slot; its bookings stay, and the conflicts that leaves for
    its students are returned."""
    found = slots.update(db.session(), actor=actor(), slot_id=slot_id, **body)
    return {"slot": slot_json(slots.load_slot(db.session(), slot_id)), "conflicts": found}


@blp.route(f"/<{ID}:slot_id>/cancel", methods=["POST"])
@blp.arguments(Reason)
@blp.response(200, SlotOut)
def cancel_slot(body, slot_id: int):
    """Cancel a slot with its bookings (students are told) and close its waitlist."""
    return slot_json(slots.cancel(db.session(), actor=actor(), slot_id=slot_id,
                                  reason=body["reason"]))


@blp.route(f"/<{ID}:slot_id>/bookings", methods=["POST"])
@blp.arguments(BookingCreate)
@blp.response(201, BookingOut)
def book_slot(body, slot_id: int):
    """Book a seat: a student for themself; staff for `student`. A full slot is 409 with
    the slot's current state."""
    made = booking.book(db.session(), actor=actor(), slot_id=slot_id,
                        student_key=body.get("student"), reason=body["reason"],
                        override_reason=body.get("override_reason"))
    return booking_json(made, _viewer_zone())


@blp.route(f"/<{ID}:slot_id>/waitlist", methods=["POST"])
@blp.arguments(BookingCreate)
@blp.response(201, WaitlistOut)
def join_waitlist(body, slot_id: int):
    """Join a full slot's waitlist; the response gives the place in line."""
    session = db.session()
    entry = waitlist.join(session, actor=actor(), slot_id=slot_id,
                          student_key=body.get("student"))
    return waitlist_json(entry, waitlist.position(session, entry))


@blp.route(f"/<{ID}:slot_id>/waitlist")
@blp.response(200, WaitlistOut(many=True))
def my_waitlist(slot_id: int):
    """The caller's open place on this slot's waitlist (empty if none)."""
    session = db.session()
    slots.load_slot(db.session(), slot_id)
    entries = queries.waitlist_entries(session, slot_id, actor().key)
    return [waitlist_json(e, waitlist.position(session, e)) for e in entries]


@blp.route(f"/<{ID}:slot_id>/waitlist/<{ID}:entry_id>", methods=["DELETE"])
@blp.response(200, WaitlistOut)
def leave_waitlist(slot_id: int, entry_id: int):
    """Leave the waitlist."""
    entry = waitlist.leave(db.session(), actor=actor(), entry_id=entry_id, slot_id=slot_id)
    return waitlist_json(entry, None)

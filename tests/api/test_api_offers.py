"""Answering a seat held for a waitlist place (accept, decline), over HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta

from api.conftest import API
from api.test_api_resources import make_slot, make_type, soon
from sqlalchemy import select

from sis_appointments.models import Booking, Slot, WaitlistEntry, utcnow

PROBLEM = "application/problem+json"


def offer_world(make_caller):
    """A one-seat slot in offer mode; ``first`` holds the offer, ``second`` waits."""
    host = make_caller(role="staff", name="Dr Lee")
    holder, first, second, other = (make_caller() for _ in range(4))
    slot = make_slot(host, make_type(host, offer_minutes=30)["id"], soon(), capacity=1)
    held = holder.post(f"/slots/{slot['id']}/bookings").get_json()
    entries = [c.post(f"/slots/{slot['id']}/waitlist").get_json() for c in (first, second)]
    assert [e["position"] for e in entries] == [1, 2]
    assert holder.post(f"/bookings/{held['id']}/cancel").status_code == 200
    return host, (first, second, other), slot, entries


def place_of(caller, slot):
    (entry,) = caller.get(f"/slots/{slot['id']}/waitlist").get_json()
    return entry


def refused(response, status, code):
    body = response.get_json()
    assert (response.status_code, response.mimetype) == (status, PROBLEM), body
    assert (body["code"], body["type"]) == (code, f"urn:sis-appointments:problem:{code}")
    return body


def test_decline_passes_the_seat_on_and_the_next_accepts(make_caller):
    host, (first, second, other), slot, (mine, theirs) = offer_world(make_caller)
    assert place_of(first, slot)["status"] == "offered"
    for answer in ("accept", "decline"):
        refused(other.post(f"/waitlist/{mine['id']}/{answer}"), 404, "not_found")
        body = refused(second.post(f"/waitlist/{theirs['id']}/{answer}"), 409, "no_offer")
        assert body["state"]["status"] == "waiting"

    declined = first.post(f"/waitlist/{mine['id']}/decline")
    assert declined.status_code == 200, declined.get_json()
    assert (declined.get_json()["status"], declined.get_json()["position"]) == ("left", None)
    assert place_of(second, slot)["status"] == "offered"
    refused(first.post(f"/waitlist/{mine['id']}/accept"), 409, "no_offer")

    accepted = second.post(f"/waitlist/{theirs['id']}/accept")
    assert accepted.status_code == 201, accepted.get_json()
    made = accepted.get_json()
    assert (made["student"], made["status"], made["slot"]["remaining"]) == (
        second.key, "confirmed", 0)
    seen = second.get(f"/bookings/{made['id']}/history").get_json()["items"]
    assert [(c["kind"], c["summary"]) for c in seen] == [
        ("waitlist_joined", "Joined the waitlist"),
        ("offered", "A seat was held from the waitlist"),
        ("promoted", "Offered seat accepted by you")]
    assert seen[2]["to"]["slot_id"] == slot["id"]


def test_accepting_after_expiry_is_refused_and_changes_nothing(app, session, make_caller):
    _, (first, _, _), slot, (mine, _) = offer_world(make_caller)
    row = session.get(WaitlistEntry, mine["id"])
    row.offer_expires_at = utcnow() - timedelta(minutes=1)  # the expiry job has not run
    session.commit()

    def stored():
        session.expire_all()
        return (session.get(WaitlistEntry, mine["id"]).status,
                session.get(Slot, slot["id"]).booked,
                session.scalars(select(Booking.id).where(
                    Booking.student_key == first.key)).all())

    before = stored()
    assert before == ("offered", 1, [])
    for answer in ("accept", "decline"):
        body = refused(first.post(f"/waitlist/{mine['id']}/{answer}"), 409, "offer_expired")
        assert body["state"]["status"] == "offered" and body["state"]["offer_expires_at"]
        assert stored() == before


def test_the_new_routes_are_documented(client):
    paths = client.get(f"{API}/openapi.json").get_json()["paths"]
    for answer, ok in (("accept", "201"), ("decline", "200")):
        responses = paths[f"{API}/waitlist/{{entry_id}}/{answer}"]["post"]["responses"]
        assert {ok, "404", "409"} <= set(responses)
        assert PROBLEM in responses["409"]["content"]
    assert "200" in paths[f"{API}/bookings/{{booking_id}}/history"]["get"]["responses"]


def test_an_offered_place_is_shown_and_left_without_a_server_error(make_caller):
    """Regression: the waitlist routes dumped a place twice, so one with an offer expiry
    answered 500."""
    _, (first, second, _), slot, (mine, _) = offer_world(make_caller)
    shown = place_of(first, slot)
    assert shown["status"] == "offered" and datetime.fromisoformat(shown["offer_expires_at"])
    left = first.delete(f"/slots/{slot['id']}/waitlist/{mine['id']}")
    assert (left.status_code, left.get_json()["status"]) == (200, "left")
    assert place_of(second, slot)["status"] == "offered"

"""Webhooks: signed so the receiver can verify them, retried with backoff on 5xx and
timeouts, a dead letter after the limit that an admin can send again."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
import requests
import responses
from notify.conftest import WEBHOOK_SECRET, WEBHOOK_URL
from sqlalchemy import select

from sis_appointments.contract import SisUser
from sis_appointments.domain.errors import Conflict, Forbidden
from sis_appointments.models import AuditEntry, Notification, utcnow
from sis_appointments.notify import delivery
from sis_appointments.services.scheduling import booking

pytestmark = pytest.mark.usefixtures("in_app_context")
ADMIN = SisUser(key="admin", name="Admin", roles=frozenset({"admin"}))


def verify(request) -> dict:
    """What a receiver does (as the README documents): recompute the HMAC over
    timestamp + "." + body with the shared secret, compare in constant time."""
    stamp = request.headers["X-Appointments-Timestamp"]
    expected = hmac.new(WEBHOOK_SECRET.encode(), stamp.encode() + b"." + request.body,
                        hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["X-Appointments-Signature"],
                               f"sha256={expected}")
    return json.loads(request.body)


def webhook_rows(session):
    session.rollback()
    return session.scalars(select(Notification).where(Notification.channel == "webhook")).all()


@pytest.fixture
def booked(session, people, create_slot):
    slot = create_slot(host_key=people.advisor.key)
    return booking.book(session, actor=people.as_student, slot_id=slot.id)


def test_a_webhook_is_signed_and_names_its_event_and_dedupe_key(
        booked, deliver, webhook_receiver):
    deliver()
    [call] = webhook_receiver.calls
    body = verify(call.request)
    assert body["event"] == "booking_created"
    assert body["data"]["entity_id"] == booked.id and body["data"]["slot_id"] == booked.slot_id
    assert call.request.headers["X-Appointments-Delivery"] == body["id"]
    tampered = call.request.body.replace(b"booking_created", b"booking_cancelled")
    stamp = call.request.headers["X-Appointments-Timestamp"]
    forged = hmac.new(WEBHOOK_SECRET.encode(), stamp.encode() + b"." + tampered,
                      hashlib.sha256).hexdigest()
    assert forged not in call.request.headers["X-Appointments-Signature"]


def test_only_the_events_an_endpoint_asked_for_are_sent(session, booked, people, deliver,
                                                         webhook_receiver):
    """The endpoint wants bookings created and cancelled; the waitlist and slot events of
    the same changes are not sent to it."""
    waiting = booking.cancel(session, actor=people.as_student, booking_id=booked.id)
    deliver()
    events = [json.loads(c.request.body)["event"] for c in webhook_receiver.calls]
    assert sorted(events) == ["booking_cancelled", "booking_created"]
    assert waiting.status == "cancelled"


def test_5xx_and_timeouts_are_retried_with_growing_backoff_then_dead(
        session, booked, deliver, webhook_receiver):
    webhook_receiver.replace(responses.POST, WEBHOOK_URL, status=503)
    now, delays = utcnow(), []
    for attempt in range(1, 9):  # the default limit is 8 attempts
        if attempt == 4:
            webhook_receiver.replace(responses.POST, WEBHOOK_URL,
                                     body=requests.exceptions.ReadTimeout("took too long"))
        counts = deliver(now=now)
        [row] = webhook_rows(session)
        assert row.attempts == attempt
        if attempt < 8:
            assert counts["retry"] == 1 and row.status == "pending"
            assert ("503" if attempt < 4 else "ReadTimeout") in row.last_error
            delays.append(row.next_attempt_at - utcnow())
            now = row.next_attempt_at + timedelta(seconds=1)
        else:
            assert counts["dead"] == 1 and row.status == "dead"
            assert "gave up after 8 attempts" in row.last_error
    # 60 s base (the app's setting), doubling, with 10% jitter
    for n, delay in enumerate(delays):
        assert timedelta(seconds=60 * 2 ** n * 0.85) < delay < timedelta(
            seconds=60 * 2 ** n * 1.15), (n, delay)
    assert len(webhook_receiver.calls) == 8


def test_an_admin_retries_a_dead_letter_and_it_goes_out(session, booked, deliver,
                                                         webhook_receiver):
    webhook_receiver.replace(responses.POST, WEBHOOK_URL, status=410)  # gone: no retrying
    assert deliver()["dead"] == 1
    [row] = webhook_rows(session)
    assert row.status == "dead" and row.attempts == 1 and "410" in row.last_error
    with pytest.raises(Forbidden):
        delivery.retry_dead(session, actor=SisUser("s", "S", roles=frozenset({"staff"})),
                            notification_id=row.id)
    delivery.retry_dead(session, actor=ADMIN, notification_id=row.id)
    with pytest.raises(Conflict):
        delivery.retry_dead(session, actor=ADMIN, notification_id=row.id)
    webhook_receiver.replace(responses.POST, WEBHOOK_URL, status=204)
    assert deliver()["sent"] == 1
    assert webhook_rows(session)[0].status == "sent"
    assert session.scalars(select(AuditEntry.action).where(
        AuditEntry.entity_type == "notification")).all() == ["notification.retried"]

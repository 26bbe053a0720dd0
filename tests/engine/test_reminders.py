"""Reminders are found by query on an injected clock: one per booking and lead time, none
for cancelled bookings, late ones caught up within the grace window after downtime."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from engine.actors import NOW, at, staff, student
from sqlalchemy import select, update

from sis_appointments.models import Booking, Notification
from sis_appointments.notify.delivery import deliver_due
from sis_appointments.notify.render import time_left
from sis_appointments.services.notifications import preferences, reminders
from sis_appointments.services.scheduling import booking


class Recorder:
    """A channel that records what it would send (it renders the message, as email does)."""

    def __init__(self, name):
        self.name, self.sent = name, []

    def send(self, delivery):
        self.sent.append((delivery.notification.recipient_key, delivery.message.subject))


def reminders_of(session, key):
    session.rollback()
    return Counter(n.payload["lead_minutes"] for n in session.scalars(select(Notification).where(
        Notification.event == "reminder", Notification.recipient_key == key,
        Notification.channel == "email")))


@pytest.fixture
def booked(session, create_slot):
    def make(key, days):
        slot = create_slot(start=at(days), host_key="host1")
        return booking.book(session, actor=student(key), slot_id=slot.id, now=NOW)
    return make


def run(session, when):
    return reminders.queue_reminders(session, now=when)


def test_exactly_one_reminder_per_lead_time(session, booked):
    made = booked("s1", 3)
    start = at(3)
    assert run(session, start - timedelta(hours=25)) == 0
    assert run(session, start - timedelta(hours=24) + timedelta(minutes=1)) == 1
    for later in (2, 10, 120):  # the job runs every minute; nothing is written twice
        assert run(session, start - timedelta(hours=24) + timedelta(minutes=later)) == 0
    assert reminders_of(session, "s1") == {1440: 1}
    assert run(session, start - timedelta(minutes=59)) == 1
    assert run(session, start - timedelta(minutes=30)) == 0
    assert reminders_of(session, "s1") == {1440: 1, 60: 1}
    assert run(session, start + timedelta(minutes=1)) == 0, "nothing once it has started"
    channels = {n.channel for n in session.scalars(select(Notification).where(
        Notification.event == "reminder"))}
    assert channels == {"email", "inapp"}  # the student's defaults; staff get the digest
    assert made.student_key == "s1"


def test_a_reminder_says_the_time_left_when_it_is_sent(session, booked):
    made = booked("s1", 3)
    start = at(3)
    session.execute(update(Booking).where(Booking.id == made.id).values(
        created_at=start - timedelta(days=2)))
    session.commit()
    assert run(session, start - timedelta(hours=24)) == 1
    assert run(session, start - timedelta(minutes=5)) == 1  # the job was down: sent late
    texts = []

    class Texts(Recorder):
        def send(self, delivery):
            texts.append(delivery.message.text)

    deliver_due(session, {"email": Texts("email"), "inapp": Recorder("inapp")}, {},
                now=start - timedelta(minutes=5))
    said = sorted(line.strip() for text in texts for line in text.splitlines()
                  if "starts" in line)
    assert said == ["Your appointment starts in 5 minutes.",
                    "Your appointment starts in 5 minutes."]  # both leads, sent now


def test_no_reminder_whose_lead_had_passed_when_it_was_booked(session, booked):
    made = booked("s1", 3)
    start = at(3)
    session.execute(update(Booking).where(Booking.id == made.id).values(
        created_at=start - timedelta(minutes=7)))
    session.commit()
    assert run(session, start - timedelta(minutes=5)) == 0  # the confirmation said when
    assert reminders_of(session, "s1") == {}


@pytest.mark.parametrize(("left", "zone", "words"), [
    (timedelta(minutes=1, seconds=20), "UTC", "in 1 minute"),
    (timedelta(minutes=5), "UTC", "in 5 minutes"),
    (timedelta(minutes=59, seconds=40), "UTC", "in about 1 hour (12:59)"),
    (timedelta(hours=2, minutes=10), "UTC", "in about 2 hours (14:10)"),
    (timedelta(hours=21), "UTC", "tomorrow at 09:00"),
    (timedelta(hours=21), "America/New_York", "tomorrow at 04:00"),
    (timedelta(hours=9), "Asia/Kolkata", "tomorrow at 02:30"),
    (timedelta(days=3), "UTC", "on Thu 7 Mar at 12:00"),
])
def test_time_left_in_words(left, zone, words):
    assert time_left(NOW + left, NOW, ZoneInfo(zone)) == words


def test_no_reminder_for_a_cancelled_booking(session, booked):
    made = booked("s1", 3)
    booking.cancel(session, actor=student("s1"), booking_id=made.id, now=NOW)
    assert run(session, at(3) - timedelta(hours=23)) == 0
    assert run(session, at(3) - timedelta(minutes=30)) == 0
    assert reminders_of(session, "s1") == {}


def test_a_reminder_queued_before_the_cancellation_is_skipped_not_sent(session, booked):
    made = booked("s1", 3)
    assert run(session, at(3) - timedelta(hours=23)) == 1
    booking.cancel(session, actor=student("s1"), booking_id=made.id, now=NOW)
    email, inapp = Recorder("email"), Recorder("inapp")
    counts = deliver_due(session, {"email": email, "inapp": inapp}, {},
                         now=at(3) - timedelta(hours=22))
    assert not [s for s in email.sent + inapp.sent if s[1].startswith("Reminder")]
    session.rollback()
    states = {n.status for n in session.scalars(select(Notification).where(
        Notification.event == "reminder"))}
    assert states == {"skipped"} and counts["skipped"] == 2


def test_missed_reminders_are_sent_after_downtime_within_the_grace_window(session, booked):
    booked("late", 3)  # the 24 h reminder fell due 4 h ago: within the 6 h grace
    booked("too_late", 4)  # fell due 10 h ago: past the grace, so none
    assert run(session, at(3) - timedelta(hours=20)) == 1
    assert reminders_of(session, "late") == {1440: 1}
    assert run(session, at(4) - timedelta(hours=14)) == 0
    assert reminders_of(session, "too_late") == {}
    assert run(session, at(4) - timedelta(minutes=45)) == 1  # its 1 h reminder still comes
    assert reminders_of(session, "too_late") == {60: 1}


def test_a_students_own_lead_times_replace_the_defaults(session, booked):
    preferences.update(session, user=student("s1"), reminder_lead_minutes=[30])
    booked("s1", 3)
    booked("s2", 3)
    assert run(session, at(3) - timedelta(hours=23)) == 1  # only s2 has the 24 h default
    assert run(session, at(3) - timedelta(minutes=29)) == 2  # s1's 30 min, s2's 1 h
    assert reminders_of(session, "s1") == {30: 1}
    assert reminders_of(session, "s2") == {1440: 1, 60: 1}


def test_the_staff_digest_lists_tomorrows_bookings_once_a_day_in_their_zone(
        session, create_slot, fake_host):
    fake_host.zones["tokyo"] = "Asia/Tokyo"
    for host, hours in (("host1", 1), ("host1", 3), ("tokyo", 6)):
        slot = create_slot(start=at(1, hours), host_key=host)
        booking.book(session, actor=staff(host), student_key=f"s{hours}", slot_id=slot.id,
                     now=NOW)
    # 12:00 UTC: 21:00 in Tokyo, where tomorrow (6 Mar) holds nothing yet; noon in UTC,
    # too early for host1's digest
    assert reminders.queue_digests(session, now=NOW) == 0
    # 17:00 UTC: host1's evening; their tomorrow (5 Mar) holds two bookings
    assert reminders.queue_digests(session, now=NOW + timedelta(hours=5)) == 1
    assert reminders.queue_digests(session, now=NOW + timedelta(hours=8)) == 0, "once a day"
    # 07:00 UTC on 5 Mar is 16:00 in Tokyo: their tomorrow is 6 Mar, which now holds the
    # 18:00 UTC (5 Mar) booking, 03:00 6 Mar in Tokyo
    assert reminders.queue_digests(session, now=NOW + timedelta(hours=19)) == 1
    session.rollback()
    digests = {d.recipient_key: d for d in session.scalars(select(Notification).where(
        Notification.event == "digest"))}
    assert set(digests) == {"host1", "tokyo"}
    assert len(digests["host1"].payload["booking_ids"]) == 2
    assert digests["tokyo"].payload["date"] == "2030-03-06"
    recorder = Recorder("email")
    deliver_due(session, {"email": recorder, "inapp": Recorder("inapp")}, {},
                now=NOW + timedelta(hours=20))
    assert ("host1", "Tomorrow's appointments (2)") in recorder.sent
    assert ("tokyo", "Tomorrow's appointments (1)") in recorder.sent

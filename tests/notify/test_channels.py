"""A channel a host plugin adds (SMS here) is offered in preferences and delivers, with the
same retries as the built-in ones."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from sis_appointments import hookimpl
from sis_appointments.models import Notification, utcnow
from sis_appointments.services.notifications import preferences
from sis_appointments.services.scheduling import booking

pytestmark = pytest.mark.usefixtures("in_app_context")


class Sms:
    name = "sms"

    def __init__(self):
        self.sent, self.fail = [], False

    def send(self, delivery):
        if self.fail:
            raise ConnectionError("SMS gateway down")
        self.sent.append((delivery.recipient.name, delivery.message.subject))


@pytest.fixture
def sms(mail_app):
    channel = Sms()

    class SmsPlugin:
        @hookimpl
        def appointments_notification_channels(self, settings):
            assert settings["SIS_APPOINTMENTS_SMTP_HOST"] == "127.0.0.1"
            return [channel]

    mail_app.extensions["sis_plugins"].register(SmsPlugin())
    mail_app.extensions["sis_appointments"].refresh_channels()
    return channel


def test_a_host_channel_is_offered_chosen_and_delivered(sms, session, people, create_slot,
                                                        deliver):
    view = preferences.view(session, people.as_student)
    assert set(view["channels"]) == {
        "inapp", "email", "sms"}
    preferences.update(session, user=people.as_student,
                       events={"booking_created": ["sms"]})
    slot = create_slot(host_key=people.advisor.key)
    booking.book(session, actor=people.as_student, slot_id=slot.id)
    sms.fail = True
    assert deliver()["retry"] == 1
    sms.fail = False
    deliver(now=utcnow() + timedelta(hours=1))
    assert sms.sent == [("Ada Student", sms.sent[0][1])]
    assert sms.sent[0][1].startswith("Appointment booked")
    session.rollback()
    mine = {n.channel for n in session.scalars(select(Notification).where(
        Notification.recipient_key == people.student.key))}
    assert mine == {"sms"}

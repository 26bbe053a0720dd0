"""Notification fixtures: a real SMTP server (aiosmtpd), an app that mails through it,
people who book, and a way to run the delivery job."""

from __future__ import annotations

import email
import email.policy
import socket
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller

from sis_appointments.contract import SisUser

WEBHOOK_SECRET = "s3cret-s3cret-s3cret"
WEBHOOK_URL = "https://hooks.example.edu/appointments"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler keeping every message it accepts, parsed."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(SimpleNamespace(rcpt=list(envelope.rcpt_tos), message=message))
        return "250 OK"

    def to(self, address):
        return [m.message for m in self.messages if address in m.rcpt]


class SmtpServer:
    def __init__(self):
        self.port = free_port()
        self.inbox = Inbox()
        self.controller = None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app(mail_app):
    """Here the reference SIS mails through the test's SMTP server and has a webhook."""
    return mail_app


@pytest.fixture
def mail_app(make_app, smtp):
    return make_app(SIS_APPOINTMENTS_SMTP_HOST="127.0.0.1", SIS_APPOINTMENTS_SMTP_PORT=smtp.port,
                    SIS_APPOINTMENTS_MAIL_FROM="appointments@sis.example.edu",
                    SIS_APPOINTMENTS_PUBLIC_URL="https://sis.example.edu/",
                    SIS_APPOINTMENTS_OUTBOX_BACKOFF=60,
                    SIS_APPOINTMENTS_WEBHOOKS=[{"name": "crm", "url": WEBHOOK_URL,
                                                "secret": WEBHOOK_SECRET,
                                                "events": ["booking_created",
                                                           "booking_cancelled"]}])


@pytest.fixture
def people(mail_app, create_user):
    """A student in New York and their advisor in London, as the plugin sees them."""
    student = create_user(role="student", name="Ada Student", timezone="America/New_York")
    advisor = create_user(role="staff", name="Grace Advisor", timezone="Europe/London")

    def actor(user, role):
        return SisUser(key=user.key, name=user.name, roles=frozenset({role}))

    return SimpleNamespace(student=student, advisor=advisor,
                           as_student=actor(student, "student"),
                           as_advisor=actor(advisor, "staff"))


@pytest.fixture
def deliver(mail_app):
    """Run one delivery pass as the job does (fresh channels, in an app context)."""
    from sis_appointments.notify.delivery import deliver_due

    state = mail_app.extensions["sis_appointments"]

    def run(now=None):
        session = state.sessionmaker()
        try:
            with mail_app.app_context():
                return deliver_due(session, state.make_channels(), state.settings, now=now,
                                   emit=state.emit)
        finally:
            session.close()

    return run


@pytest.fixture(autouse=True)
def webhook_receiver():
    """The CRM's webhook endpoint (a service we do not run): answers 200 unless a test
    registers other answers first; ``.calls`` are the requests it got."""
    import responses

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, WEBHOOK_URL, status=200)
        yield mock


@pytest.fixture
def in_app_context(mail_app):
    """Services ask the host (the reference SIS) things, which needs an app context."""
    with mail_app.app_context():
        yield

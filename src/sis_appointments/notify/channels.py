"""The built-in channels: email over SMTP, signed webhooks, in-app notifications.

A channel has a ``name`` and ``send(delivery)``; ``send`` returns when the message is
handed over and raises on failure: ``Undeliverable`` when retrying cannot help (no
address, a webhook answering 4xx), anything else to be retried with backoff. Hosts add
channels (e.g. SMS) with the hook ``appointments_notification_channels``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import time
from email.message import EmailMessage
from email.utils import formataddr

import requests
from sqlalchemy.exc import IntegrityError

from sis_appointments.models import InAppNotification
from sis_appointments.services.platform import tx


class Undeliverable(Exception):
    """Retrying cannot deliver this notification; it goes to the dead letters at once."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The webhook signature: hex HMAC-SHA256 of ``timestamp + "." + body`` with the
    endpoint's secret, sent as ``X-Appointments-Signature: sha256=<hex>``."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body,
                    hashlib.sha256).hexdigest()


class EmailChannel:
    """Multipart (text and HTML) email with the booking's .ics, over one SMTP connection
    kept open for a delivery run."""

    name = "email"

    def __init__(self, settings: dict):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        smtp = smtplib.SMTP(s["SIS_APPOINTMENTS_SMTP_HOST"], s["SIS_APPOINTMENTS_SMTP_PORT"],
                            timeout=s["SIS_APPOINTMENTS_DELIVERY_TIMEOUT"])
        if s["SIS_APPOINTMENTS_SMTP_STARTTLS"]:
            smtp.starttls()
        if s["SIS_APPOINTMENTS_SMTP_USERNAME"]:
            smtp.login(s["SIS_APPOINTMENTS_SMTP_USERNAME"], s["SIS_APPOINTMENTS_SMTP_PASSWORD"])
        return smtp

    def send(self, delivery) -> None:
        to = delivery.recipient
        if to is None or not to.email:
            raise Undeliverable(f"no email address for {delivery.notification.recipient_key}")
        message = delivery.message
        mail = EmailMessage()
        mail["From"] = self.settings["SIS_APPOINTMENTS_MAIL_FROM"]
        mail["To"] = formataddr((to.name, to.email))
        mail["Subject"] = message.subject
        key = delivery.notification.dedupe_key
        mail["Message-ID"] = f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@" \
                             f"{delivery.domain}>"
        mail["X-Appointments-Dedupe-Key"] = key
        mail.set_content(message.text)
        mail.add_alternative(message.html, subtype="html")
        if message.ics:
            mail.add_attachment(message.ics, maintype="text", subtype="calendar",
                                filename="appointment.ics",
                                params={"method": message.ics_method})
        for attempt in (1, 2):  # a connection the server dropped is reopened once
            if self._smtp is None:
                self._smtp = self._connect()
            try:
                self._smtp.send_message(mail)
                return
            except smtplib.SMTPServerDisconnected:
                self._smtp = None
                if attempt == 2:
                    raise
            except smtplib.SMTPRecipientsRefused as exc:
                raise Undeliverable(f"the mail server refused {to.email}: {exc}") from exc

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._smtp = None


class WebhookChannel:
    """POSTs the event as JSON to a configured endpoint, signed with its secret."""

    name = "webhook"

    def __init__(self, settings: dict):
        self.settings = settings
        self.http = requests.Session()

    def send(self, delivery) -> None:
        note = delivery.notification
        name = note.recipient_key.removeprefix("webhook:")
        hook = next((h for h in self.settings["SIS_APPOINTMENTS_WEBHOOKS"]
                     if h["name"] == name), None)
        if hook is None:
            raise Undeliverable(f"webhook {name!r} is no longer configured")
        body = json.dumps({"id": note.dedupe_key, "event": note.event,
                           "created_at": note.created_at.isoformat(), "data": note.payload},
                          sort_keys=True).encode()
        stamp = str(int(time.time()))
        response = self.http.post(hook["url"], data=body, timeout=self.settings[
            "SIS_APPOINTMENTS_DELIVERY_TIMEOUT"], headers={
            "Content-Type": "application/json",
            "User-Agent": "sis-appointments-webhooks",
            "X-Appointments-Event": note.event,
            "X-Appointments-Delivery": note.dedupe_key,
            "X-Appointments-Timestamp": stamp,
            "X-Appointments-Signature": "sha256=" + signature(hook["secret"], stamp, body),
        })
        if 200 <= response.status_code < 300:
            return
        error = f"{hook['url']} answered HTTP {response.status_code}"
        if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
            raise Undeliverable(error)
        raise RuntimeError(error)

    def close(self) -> None:
        pass


class InAppChannel:
    """Stores the notification for the SIS's notification list and pushes it to the user's
    open pages over the socket."""

    name = "inapp"

    def __init__(self, settings: dict):
        self.settings = settings

    def send(self, delivery) -> None:
        note, session = delivery.notification, delivery.session
        message = delivery.message
        try:
            with tx.transaction(session):
                row = InAppNotification(user_key=note.recipient_key, title=message.subject,
                                        body=message.text.split("\n\n-- ")[0][:4000],
                                        link=message.link, notification_id=note.id)
                session.add(row)
                session.flush()
                payload = {"id": row.id, "title": row.title, "link": row.link,
                           "created_at": row.created_at.isoformat()}
        except IntegrityError:
            return  # stored by an earlier attempt that crashed before marking it sent
        if delivery.emit is not None:
            delivery.emit("notification", payload, f"user:{note.recipient_key}")

    def close(self) -> None:
        pass

"""Small helpers for notification tests."""

from __future__ import annotations


def ics_of(message) -> str:
    """The text/calendar attachment of an email message."""
    for part in message.iter_attachments():
        if part.get_content_type() == "text/calendar":
            content = part.get_content()
            return content.decode() if isinstance(content, bytes) else content
    raise AssertionError("no calendar attachment")

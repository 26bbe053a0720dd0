"""Errors of the scheduling rules, each with a stable code for API clients and forms."""

from __future__ import annotations


class SchedulingError(Exception):
    """A rule refused an operation; ``code`` is stable, ``message`` is for people."""

    status = 422
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, **details):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details

    @property
    def sentence(self) -> str:
        """The message as a sentence for a page: capitalised, ending with a full stop."""
        text = self.message[:1].upper() + self.message[1:]
        return text if text.endswith((".", "!", "?")) else text + "."


class InvalidInput(SchedulingError):
    """The request itself is impossible (end before start, an RRULE that yields nothing)."""


class RuleViolation(SchedulingError):
    """A booking rule refuses it (window, limits, eligibility, busy times, overlaps)."""


class Conflict(SchedulingError):
    """The current state refuses it (slot full, already booked, lost a race)."""

    status = 409
    code = "conflict"


class NotFound(SchedulingError):
    status = 404
    code = "not_found"


class Forbidden(SchedulingError):
    status = 403
    code = "forbidden"

"""Calendar files and the private feed (``calendar_api``)."""

from __future__ import annotations

from marshmallow import Schema, fields

from sis_appointments.web.api.schemas.common import Instant, Span


class CalendarQuery(Span):
    """An optional range of a calendar file: from ``start`` (default 60 days ago) to ``end``
    (default open)."""

    start = Instant()
    end = Instant()


class FeedOut(Schema):
    url = fields.String()
    token = fields.String()

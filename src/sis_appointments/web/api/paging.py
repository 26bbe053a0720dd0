"""Opaque cursors for keyset pagination over (start time, id)."""

from __future__ import annotations

import base64
from datetime import datetime

from flask import request, url_for
from flask_smorest import abort


def encode(start: datetime, row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{start.isoformat()}|{row_id}".encode()).decode()


def decode(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    try:
        start, row_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        value = datetime.fromisoformat(start), int(row_id)
    except (ValueError, UnicodeDecodeError):
        abort(422, message="the cursor is not one this API gave out", code="bad_cursor")
    if value[0].tzinfo is None:
        abort(422, message="the cursor is not one this API gave out", code="bad_cursor")
    return value


def page(items: list, key, limit: int) -> dict:
    """``items`` holds up to limit + 1 rows; the extra one means there is a next page."""
    more = len(items) > limit
    items = items[:limit]
    body = {"items": items, "next": None}
    if more and items:
        start, row_id = key(items[-1])
        args = {**request.args.to_dict(), "cursor": encode(start, row_id)}
        body["next"] = url_for(request.endpoint, **(request.view_args or {}), **args,
                               _external=False)
    return body

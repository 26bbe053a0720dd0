"""CSV exports of bookings, slots and attendance (staff: calendars they manage)."""

from __future__ import annotations

from flask import Response, current_app, stream_with_context

from sis_appointments.services.reports import exports
from sis_appointments.web.api.auth import actor
from sis_appointments.web.api.groups import Blueprint
from sis_appointments.web.api.schemas.exports import Range

TEXT = {"type": "string"}

blp = Blueprint("appointments_api_exports", __name__, url_prefix="/exports", group="Exports",
                description=("CSV files of bookings, slots and attendance on the calendars you "
                             "manage"))


def _export(kind: str, query) -> Response:
    """Streamed after the view returned, so the rows are read with a session of their own,
    closed when the last row is sent (or the client goes away); the request's context stays
    while it streams, for the SIS's name look-ups."""
    session = current_app.extensions["sis_appointments"].sessionmaker()
    try:
        table = exports.rows(session, actor=actor(), kind=kind, start=query["start"],
                             end=query["end"], type_id=query.get("type_id"),
                             host_key=query.get("host"), status=query.get("status"))
    except BaseException:
        session.close()
        raise

    def body():
        try:
            yield from exports.stream(table)
        finally:
            session.close()

    name = f"{kind}-{query['start']:%Y%m%d}-{query['end']:%Y%m%d}.csv"
    return Response(stream_with_context(body()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@blp.route("/bookings")
@blp.arguments(Range, location="query")
@blp.response(200, TEXT, content_type="text/csv")
def export_bookings(query):
    """Bookings of slots starting in the range, with their attendance."""
    return _export("bookings", query)


@blp.route("/slots")
@blp.arguments(Range, location="query")
@blp.response(200, TEXT, content_type="text/csv")
def export_slots(query):
    """Slots starting in the range, with capacity and seats taken."""
    return _export("slots", query)


@blp.route("/attendance")
@blp.arguments(Range, location="query")
@blp.response(200, TEXT, content_type="text/csv")
def export_attendance(query):
    """Per student: bookings, attended, no-shows, cancellations and the no-show rate."""
    return _export("attendance", query)

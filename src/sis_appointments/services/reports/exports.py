"""CSV exports of bookings, slots and attendance for a range, streamed row by row.

Staff export the calendars they manage, admins everyone's. Each host and student key has
the SIS's name beside it, looked up once per 500 rows (students the user look-up does not
know are asked of the student look-up, once each). Every cell a spreadsheet could
take for a formula (starting with =, +, -, @, a tab or a carriage return) is prefixed with
an apostrophe, so an export opened in Excel or LibreOffice never runs what a student typed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from itertools import islice

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, joinedload

from sis_appointments.contract import SisUser
from sis_appointments.domain.errors import Forbidden, InvalidInput
from sis_appointments.models import AppointmentType, Booking, Slot
from sis_appointments.services.accounts import access
from sis_appointments.services.platform import sis

KINDS = ("bookings", "slots", "attendance")
CHUNK = 500
MAX_RANGE_DAYS = 3660
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe(value) -> str:
    """A cell as text, neutralised if a spreadsheet would read it as a formula."""
    text = "" if value is None else value.isoformat() if isinstance(value, datetime) else str(
        value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _filtered(query, hosts, start, end, type_id, host_key):
    query = query.where(Slot.start_utc >= start, Slot.start_utc < end)
    if hosts is not None:
        query = query.where(Slot.host_key.in_(hosts))
    if type_id is not None:
        query = query.where(Slot.type_id == type_id)
    if host_key is not None:
        query = query.where(Slot.host_key == host_key)
    return query


def rows(session: Session, *, actor: SisUser, kind: str, start: datetime, end: datetime,
         type_id: int | None = None, host_key: str | None = None,
         status: str | None = None) -> Iterator[list]:
    """The header and then the rows of export ``kind``; checks permission before yielding."""
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}")
    if end <= start or (end - start).days > MAX_RANGE_DAYS:
        raise InvalidInput("the range must end after it starts and span at most 10 years",
                           code="bad_range")
    if not actor.has_role("admin", "staff"):
        raise Forbidden("exports are for staff")
    hosts = access.managed_hosts(session, actor)
    if host_key is not None and hosts is not None and host_key not in hosts:
        raise Forbidden("you cannot export this calendar")
    args = (hosts, start, end, type_id, host_key)
    return {"bookings": _bookings, "slots": _slots, "attendance": _attendance}[kind](
        session, args, status)


def _named(session: Session, table: Iterator[list], keys: tuple[int, ...]) -> Iterator[list]:
    """``table`` with the SIS's name after the key in each column of ``keys`` (header row:
    ``<column>_name``), names looked up a chunk of rows at a time."""
    header = next(table)
    yield _insert(header, keys, lambda i: f"{header[i]}_name")
    while chunk := list(islice(table, CHUNK)):
        wanted = {str(row[i]) for row in chunk for i in keys if row[i] is not None}
        found = sis.users(session, sorted(wanted))
        names = {k: u.name for k, u in found.items() if u is not None}
        for key in wanted - names.keys():
            student = sis.student(session, key)
            names[key] = student.name if student else ""
        for row in chunk:
            yield _insert(row, keys, lambda i, row=row, names=names: names.get(str(row[i]), ""))


def _insert(row: list, keys: tuple[int, ...], value) -> list:
    out = list(row)
    for i in sorted(keys, reverse=True):
        out.insert(i + 1, value(i))
    return out


def _bookings(session, args, status):
    return _named(session, _booking_rows(session, args, status), (3, 8))


def _booking_rows(session, args, status):
    query = _filtered(select(Booking).join(Booking.slot).options(
        joinedload(Booking.slot).joinedload(Slot.type)), *args)
    if status:
        query = query.where(Booking.status == status)
    yield ["booking_id", "slot_id", "type", "host", "start_utc", "end_utc", "timezone",
           "location", "student", "status", "reason", "booked_by", "booked_at",
           "cancelled_at", "cancelled_by", "cancel_reason", "attendance_marked_at"]
    for b in session.scalars(query.order_by(Slot.start_utc, Booking.id)
                             .execution_options(yield_per=500)):
        s = b.slot
        yield [b.id, s.id, s.type.name, s.host_key, s.start_utc, s.end_utc, s.timezone,
               s.location, b.student_key, b.status, b.reason, b.booked_by, b.created_at,
               b.cancelled_at, b.cancelled_by, b.cancel_reason, b.attendance_marked_at]


def _slots(session, args, status):
    return _named(session, _slot_rows(session, args, status), (2,))


def _slot_rows(session, args, status):
    query = _filtered(select(Slot, AppointmentType.name).join(Slot.type), *args)
    if status:
        query = query.where(Slot.status == status)
    yield ["slot_id", "type", "host", "start_utc", "end_utc", "timezone", "location",
           "capacity", "booked", "status", "series_id"]
    for s, type_name in session.execute(query.order_by(Slot.start_utc, Slot.id)
                                        .execution_options(yield_per=500)):
        yield [s.id, type_name, s.host_key, s.start_utc, s.end_utc, s.timezone, s.location,
               s.capacity, s.booked, s.status, s.series_id]


def _attendance(session, args, _status):
    return _named(session, _attendance_rows(session, args), (0,))


def _attendance_rows(session, args):
    counts = {k: func.sum(case((Booking.status == k, 1), else_=0)) for k in (
        "attended", "no_show", "excused", "late_cancelled", "cancelled", "confirmed")}
    query = _filtered(select(Booking.student_key, func.count(), *counts.values())
                      .join(Booking.slot), *args).group_by(Booking.student_key)
    yield ["student", "bookings", *counts, "no_show_rate"]
    for student, total, *numbers in session.execute(query.order_by(Booking.student_key)):
        held = numbers[0] + numbers[1]
        yield [student, total, *numbers, f"{numbers[1] / held:.2f}" if held else ""]


def stream(table: Iterator[list]) -> Iterator[str]:
    """CSV text of ``table``, a chunk per 200 rows, every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for n, row in enumerate(table, 1):
        writer.writerow([safe(v) for v in row])
        if n % 200 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()

"""Demo data for a freshly seeded SIS: types, weekly series and a few bookings."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from sis_appointments.contract import SisUser
from sis_appointments.domain.errors import SchedulingError
from sis_appointments.models import AppointmentType, Slot, utcnow
from sis_appointments.services.scheduling import appointment_types, booking, series

SYSTEM = SisUser(key="demo-seed", name="Demo seed", roles=frozenset({"admin"}))
# name, minutes, capacity, extra type fields, weekly rule, how many hosts
TYPES = (
    ("Academic advising", 30, 1, {"buffer_after_minutes": 10, "min_notice_minutes": 120,
                                  "max_advance_days": 30, "cancel_cutoff_minutes": 24 * 60,
                                  "max_active_per_student": 2, "location": "Advising Centre",
                                  "colour": "#1f6feb"},
     "FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=9,10,11,14,15", 3),
    ("Writing centre consultation", 45, 1, {"buffer_after_minutes": 15,
                                            "location": "Library, room 2.14",
                                            "max_per_student_per_week": 1, "colour": "#8250df"},
     "FREQ=WEEKLY;BYDAY=TU,TH;BYHOUR=10,11,13,14", 2),
    ("Study skills workshop", 60, 12, {"waitlist_size": 10, "location": "Learning Commons",
                                       "colour": "#1a7f37"},
     "FREQ=WEEKLY;BYDAY=FR;BYHOUR=13", 1),
)


def seed(session: Session, staff_keys: list[str], student_keys: list[str], timezone: str,
         now: datetime | None = None) -> int | None:
    """Create the demo types, series and bookings unless any type exists (then None);
    returns how many bookings were made."""
    if not inspect(session.get_bind()).has_table(AppointmentType.__tablename__):
        raise RuntimeError("the appointments tables do not exist: run "
                           "`flask appointments db upgrade` first")
    if session.scalar(select(func.count()).select_from(AppointmentType)):
        return None
    if not staff_keys:
        return None
    now = now or utcnow()
    first_monday = (now.date() + timedelta(days=7 - now.weekday()))
    start = 0
    for name, minutes, capacity, fields, rule, n_hosts in TYPES:
        # The types meet on different weekdays, so a small staff can host several of them.
        type_hosts = [staff_keys[(start + n) % len(staff_keys)]
                      for n in range(min(n_hosts, len(staff_keys)))]
        start += n_hosts
        made = appointment_types.create(session, actor=SYSTEM, name=name, duration_minutes=minutes,
                            capacity=capacity, timezone=timezone, hosts=type_hosts, **fields)
        for n, host_key in enumerate(type_hosts, start=1):
            place = fields["location"] + (f", desk {n}" if n_hosts > 1 else "")
            series.create(session, actor=SYSTEM, type_id=made.id, host_key=host_key,
                          start_local=datetime.combine(_first(first_monday, rule), time(9)),
                          rrule=rule, location=place, now=now)
    return _book_some(session, student_keys, now)


def _first(monday: date, rule: str) -> date:
    day = rule.split("BYDAY=")[1].split(",")[0].split(";")[0]
    return monday + timedelta(days=["MO", "TU", "WE", "TH", "FR"].index(day))


def _book_some(session: Session, student_keys: list[str], now: datetime) -> int:
    rng, made = random.Random(2026), 0
    soon = session.scalars(select(Slot).where(
        Slot.start_utc > now + timedelta(hours=3), Slot.start_utc < now + timedelta(days=21))
        .order_by(Slot.start_utc)).all()
    for student_key in student_keys[: max(1, len(student_keys) // 3)]:
        for slot in rng.sample(soon, min(2, len(soon))):
            try:
                booking.book(session, actor=SYSTEM, slot_id=slot.id, student_key=student_key,
                             override_reason="demo data", now=now)
                made += 1
            except SchedulingError:
                continue  # full, overlapping or over a limit: demo data takes what fits
    return made

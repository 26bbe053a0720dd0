"""The demo SIS's answers to the look-ups plugins ask of their host.

Marked ``optionalhook`` so the SIS also runs with no plugin that asks them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pluggy
from flask import current_app, url_for
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from demo_sis.extensions import db
from demo_sis.models import Student, TimetableEntry, User
from sis_appointments.contract import BusyTime, SisUser
from sis_appointments.contract import Student as StudentRecord

hookimpl = pluggy.HookimplMarker("sis")


def _host_user(user: User) -> SisUser:
    groups = {user.office} if user.office else set()
    if user.student is not None:
        groups |= {user.student.program, f"cohort:{user.student.cohort}"}
    return SisUser(
        key=str(user.id), name=user.name, email=user.email, timezone=user.timezone,
        roles=frozenset({user.role}), groups=frozenset(groups),
    )


def _student_record(student: Student) -> StudentRecord:
    user = student.user
    return StudentRecord(
        key=str(user.id), name=user.name, email=user.email, program=student.program,
        cohort=student.cohort, year=student.year, timezone=user.timezone, active=student.active,
    )


def _id(key) -> int | None:
    """The user id a key names: ASCII digits within the id column's range, else None."""
    key = str(key)
    if not (key.isascii() and key.isdigit()) or len(key) > 10 or int(key) > 2_147_483_647:
        return None
    return int(key)


def _user(key) -> User | None:
    """The user with their student record, in one query."""
    user_id = _id(key)
    if user_id is None:
        return None
    return db.session.get(User, user_id, options=[joinedload(User.student)])


@hookimpl(optionalhook=True)
def appointments_identify(user):
    return _host_user(user) if isinstance(user, User) else None


@hookimpl(optionalhook=True)
def appointments_get_user(user_key):
    user = _user(user_key)
    return _host_user(user) if user else None


@hookimpl(optionalhook=True)
def appointments_get_users(user_keys):
    ids = [i for i in map(_id, user_keys) if i is not None]
    rows = db.session.scalars(select(User).options(joinedload(User.student))
                              .where(User.id.in_(ids))) if ids else []
    return {str(user.id): _host_user(user) for user in rows}


@hookimpl(optionalhook=True)
def appointments_get_student(student_key):
    user = _user(student_key)
    return _student_record(user.student) if user and user.student else None


@hookimpl(optionalhook=True)
def appointments_search_students(query, limit):
    pattern = f"%{query.strip()}%"
    rows = db.session.scalars(
        select(Student).join(Student.user).where(
            or_(User.name.ilike(pattern), User.email.ilike(pattern),
                Student.student_number.ilike(pattern))
        ).order_by(User.name).limit(limit)
    )
    return [_student_record(s) for s in rows]


@hookimpl(optionalhook=True)
def appointments_busy_times(student_key, start, end):
    if not str(student_key).isdigit():
        return []
    classes = db.session.scalars(select(TimetableEntry).where(
        TimetableEntry.student_id == int(student_key))
        .order_by(TimetableEntry.weekday, TimetableEntry.start)).all()
    return weekly_busy_times(classes, start, end,
                             ZoneInfo(current_app.config["DEMO_SIS_TIMEZONE"]))


def weekly_busy_times(classes, start: datetime, end: datetime, zone: ZoneInfo) -> list[BusyTime]:
    """Each weekly class as an interval on every date of [start, end), in the campus zone."""
    busy = []
    day = start.astimezone(zone).date()
    while datetime.combine(day, datetime.min.time(), zone) < end:
        for entry in classes:
            if entry.weekday == day.weekday():
                begin = datetime.combine(day, entry.start, zone)
                finish = datetime.combine(day, entry.end, zone)
                if finish > start and begin < end:
                    busy.append(BusyTime(begin, finish, entry.course))
        day += timedelta(days=1)
    return busy


@hookimpl(optionalhook=True)
def appointments_base_template():
    return "layout.html"


@hookimpl(optionalhook=True)
def appointments_profile_url(student_key):
    user = _user(student_key)
    if user is None or user.student is None:
        return None
    return url_for("main.profile", user_id=user.id)

"""The host's answers, reached through the plugin manager the session carries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from sis_appointments.host import BusyTime, Student


def _hook(session: Session):
    return session.info["pm"].hook


def student(session: Session, student_key: str) -> Student | None:
    return _hook(session).appointments_get_student(student_key=student_key)


def busy_times(session: Session, student_key: str, start: datetime, end: datetime
               ) -> list[BusyTime]:
    return _hook(session).appointments_busy_times(
        student_key=student_key, start=start, end=end) or []

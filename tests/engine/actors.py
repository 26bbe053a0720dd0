"""Actors, a fake host directory and a fixed clock for the engine tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sis_appointments.contract import BusyTime, SisUser, Student


class FakeHost:
    """A host directory: every key is an active student unless told otherwise."""

    def __init__(self):
        self.students: dict[str, Student] = {}
        self.busy: dict[str, list[BusyTime]] = {}
        self.inactive: set[str] = set()
        self.zones: dict[str, str] = {}

    def appointments_get_student(self, student_key):
        if student_key in self.students:
            return self.students[student_key]
        return Student(key=student_key, name=f"Student {student_key}", program="BSc Biology",
                       cohort="2025", active=student_key not in self.inactive,
                       timezone=self.zones.get(student_key))

    def appointments_busy_times(self, student_key, start, end):
        return [b for b in self.busy.get(student_key, []) if b.start < end and start < b.end]


def student(key: str) -> SisUser:
    return SisUser(key=key, name=f"Student {key}", roles=frozenset({"student"}))


def staff(key: str = "host1") -> SisUser:
    return SisUser(key=key, name=f"Staff {key}", roles=frozenset({"staff"}))


ADMIN = SisUser(key="admin", name="Admin", roles=frozenset({"admin"}))
NOW = datetime(2030, 3, 4, 12, 0, tzinfo=UTC)  # a Monday


def at(days: float = 1, hours: float = 0) -> datetime:
    return NOW + timedelta(days=days, hours=hours)

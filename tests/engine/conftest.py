"""The scheduling engine without Flask: services on a session whose host is a plain object."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sis_appointments.db import make_engine, make_sessionmaker
from sis_appointments.host import BusyTime, HostUser, Student
from sis_appointments.models import metadata
from sis_appointments.plugin import host_object_manager


class FakeHost:
    """A host directory: every key is an active student unless told otherwise."""

    def __init__(self):
        self.students: dict[str, Student] = {}
        self.busy: dict[str, list[BusyTime]] = {}
        self.inactive: set[str] = set()

    def appointments_get_student(self, student_key):
        if student_key in self.students:
            return self.students[student_key]
        return Student(key=student_key, name=f"Student {student_key}", program="BSc Biology",
                       cohort="2025", active=student_key not in self.inactive)

    def appointments_busy_times(self, student_key, start, end):
        return [b for b in self.busy.get(student_key, []) if b.start < end and start < b.end]


@pytest.fixture
def fake_host():
    return FakeHost()


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url, 30)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine, fake_host):
    """A session factory wired like the plugin's (post-commit events reach the host)."""
    return make_sessionmaker(engine, host_object_manager(fake_host))


@pytest.fixture
def session(sessions):
    db_session = sessions()
    yield db_session
    db_session.close()


def student(key: str) -> HostUser:
    return HostUser(key=key, name=f"Student {key}", roles=frozenset({"student"}))


def staff(key: str = "host1") -> HostUser:
    return HostUser(key=key, name=f"Staff {key}", roles=frozenset({"staff"}))


ADMIN = HostUser(key="admin", name="Admin", roles=frozenset({"admin"}))
NOW = datetime(2030, 3, 4, 12, 0, tzinfo=UTC)  # a Monday


def at(days: float = 1, hours: float = 0) -> datetime:
    return NOW + timedelta(days=days, hours=hours)

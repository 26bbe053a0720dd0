"""The host's answers, reached through the plugin manager the session carries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from sis_appointments.contract import BusyTime, SisUser, Student
from sis_appointments.domain.errors import InvalidInput
from sis_appointments.domain.timezones import zone_or_default


@dataclass(frozen=True)
class Person:
    """Whom a message goes to: name, address and a usable zone."""

    key: str
    name: str
    email: str | None
    timezone: str
    staff: bool = False  # staff or admin: their links lead to the staff pages


def _hook(session: Session):
    return session.context.pm.hook


def _asked(session: Session, question: str, key: str, ask):
    """The SIS's answer to ``question`` about ``key``, asked once per unit of work (the memo
    is cleared when the session commits or rolls back)."""
    memo = session.memo
    if (question, key) not in memo:
        memo[question, key] = ask()
    return memo[question, key]


def student(session: Session, student_key: str) -> Student | None:
    return _asked(session, "student", student_key,
                  lambda: _hook(session).appointments_get_student(student_key=student_key))


def search_students(session: Session, query: str, limit: int = 20) -> list[Student]:
    """Students whose name, email or ID matches ``query`` (the host's look-up), at most
    ``limit``; nothing for a query shorter than two characters."""
    query = query.strip()
    if len(query) < 2:
        return []
    return list(_hook(session).appointments_search_students(query=query, limit=limit) or [])


def user(session: Session, user_key: str):
    """A SIS user (staff or student) by key, or None."""
    return _asked(session, "user", user_key,
                  lambda: _hook(session).appointments_get_user(user_key=user_key))


def users(session: Session, keys) -> dict:
    """Several SIS users at once (one batched question where the SIS answers it, else one
    per key), remembered for the unit of work like ``user``."""
    memo = session.memo
    wanted = [k for k in dict.fromkeys(keys) if ("user", k) not in memo]
    if wanted:
        found = _hook(session).appointments_get_users(user_keys=wanted)
        if found is None:
            found = {k: _hook(session).appointments_get_user(user_key=k) for k in wanted}
        for key in wanted:
            memo["user", key] = found.get(key)
    return {key: memo["user", key] for key in keys}


def require_users(session: Session, keys, field: str) -> None:
    """Refuse (422 ``unknown_user``) keys naming no user of the SIS, whose own look-up decides."""
    unknown = [key for key, found in users(session, keys).items() if found is None]
    if unknown:
        raise InvalidInput(f"the SIS knows no user {', '.join(map(repr, unknown))}",
                           code="unknown_user", field=field)


def person(session: Session, key: str, default_zone: str) -> Person | None:
    """A user (staff or student) as the host knows them now; an unknown or unusable zone
    becomes ``default_zone``."""
    found = user(session, key) or student(session, key)
    if found is None:
        return None
    return Person(key, found.name, found.email,
                  zone_or_default(found.timezone, default_zone).key,
                  staff=isinstance(found, SisUser) and found.has_role("staff", "admin"))


def name(session: Session, key: str) -> str:
    """A user's name (staff, or a student only the directory knows), or the key itself."""
    found = person(session, key, "UTC")
    return found.name if found else key


def user_name(session: Session, key: str) -> str:
    """A host user's name from the user look-up alone, or the key itself."""
    found = user(session, key)
    return found.name if found else key


def busy_times(session: Session, student_key: str, start: datetime, end: datetime
               ) -> list[BusyTime]:
    return _hook(session).appointments_busy_times(
        student_key=student_key, start=start, end=end) or []

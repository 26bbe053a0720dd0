"""A student directory over REST, for a SIS not written in Python.

Set SIS_APPOINTMENTS_DIRECTORY_URL (and _TOKEN) and the plugin answers its student
look-ups from that service instead of the host's hooks:

- ``GET {url}/students/{key}`` answers a student object, or 404 if there is none;
- ``GET {url}/students?q=...&limit=N`` answers ``{"students": [student, ...]}``;

where a student object is ``{"id", "name", "email", "program", "cohort", "year",
"timezone", "active"}`` (``id`` and ``name`` required). Answers are cached for
SIS_APPOINTMENTS_DIRECTORY_CACHE_SECONDS. Timeouts, connection errors and 5xx answers are
retried twice; then, or on a malformed answer, a ``DirectoryUnavailable`` error is raised:
the operation that needed the student fails whole (HTTP 503), nothing is half-written.
"""

from __future__ import annotations

import threading
import time

import requests

from sis_appointments.contract import SisUser, Student
from sis_appointments.domain.errors import SchedulingError
from sis_appointments.hooks import hookimpl

ATTEMPTS = 3


class DirectoryUnavailable(SchedulingError):
    """The student directory did not answer, or answered something unusable."""

    status = 503
    code = "directory_unavailable"


class RestDirectory:
    """The look-up hooks, answered by a remote directory (registered on the plugin
    manager after the host, so its answers come first)."""

    def __init__(self, settings: dict, http: requests.Session | None = None):
        self.base = settings["SIS_APPOINTMENTS_DIRECTORY_URL"].rstrip("/")
        self.timeout = settings["SIS_APPOINTMENTS_DIRECTORY_TIMEOUT"]
        self.ttl = settings["SIS_APPOINTMENTS_DIRECTORY_CACHE_SECONDS"]
        self.http = http or requests.Session()
        if settings.get("SIS_APPOINTMENTS_DIRECTORY_TOKEN"):
            self.http.headers["Authorization"] = \
                f"Bearer {settings['SIS_APPOINTMENTS_DIRECTORY_TOKEN']}"
        self._cache: dict[tuple, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def _get(self, path: str, params: dict | None = None):
        key = (path, tuple(sorted((params or {}).items())))
        with self._lock:
            hit = self._cache.get(key)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        error = None
        for attempt in range(ATTEMPTS):
            try:
                response = self.http.get(self.base + path, params=params, timeout=self.timeout)
            except (requests.Timeout, requests.ConnectionError) as exc:
                error = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code == 404:
                    value = None
                    break
                if response.status_code < 500:
                    if response.status_code != 200:
                        raise DirectoryUnavailable(
                            f"the student directory answered HTTP {response.status_code}")
                    try:
                        value = response.json()
                    except ValueError as exc:
                        raise DirectoryUnavailable(
                            "the student directory answered something that is not JSON"
                        ) from exc
                    break
                error = f"HTTP {response.status_code}"
            time.sleep(0.05 * 2 ** attempt)
        else:
            raise DirectoryUnavailable(
                f"the student directory did not answer after {ATTEMPTS} tries ({error})")
        with self._lock:
            self._cache[key] = (time.monotonic() + self.ttl, value)
        return value

    @staticmethod
    def _student(data) -> Student:
        if not isinstance(data, dict) or not data.get("id") or not isinstance(
                data.get("name"), str):
            raise DirectoryUnavailable("the student directory answered a student without "
                                       "an id and a name")
        year = data.get("year")
        return Student(key=str(data["id"]), name=data["name"], email=data.get("email"),
                       program=data.get("program"), cohort=data.get("cohort"),
                       year=year if isinstance(year, int) else None,
                       timezone=data.get("timezone"), active=data.get("active", True) is True)

    @hookimpl
    def appointments_get_student(self, student_key):
        data = self._get(f"/students/{requests.utils.quote(str(student_key), safe='')}")
        return None if data is None else self._student(data)

    @hookimpl
    def appointments_search_students(self, query, limit):
        data = self._get("/students", {"q": query, "limit": limit})
        found = data.get("students") if isinstance(data, dict) else None
        if not isinstance(found, list):
            raise DirectoryUnavailable("the student directory's search answer has no "
                                       "'students' list")
        return [self._student(s) for s in found[:limit]]

    @hookimpl(trylast=True)
    def appointments_get_user(self, user_key):
        """Students the host's user look-up does not know (for names and addresses)."""
        student = self.appointments_get_student(user_key)
        if student is None:
            return None
        return SisUser(key=student.key, name=student.name, email=student.email,
                        timezone=student.timezone, roles=frozenset({"student"}))

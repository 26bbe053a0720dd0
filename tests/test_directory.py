"""The REST student directory adapter, against a directory we do not run (``responses``):
answers, cache, timeouts, 5xx and malformed data, and no partial writes when it fails."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
import responses

from sis_appointments.directory import ATTEMPTS, DirectoryUnavailable, RestDirectory
from sis_appointments.models import Booking, Slot, utcnow

BASE = "https://sis.example.edu/api"
SETTINGS = {"SIS_APPOINTMENTS_DIRECTORY_URL": BASE + "/",
            "SIS_APPOINTMENTS_DIRECTORY_TOKEN": "dir-token",
            "SIS_APPOINTMENTS_DIRECTORY_TIMEOUT": 2,
            "SIS_APPOINTMENTS_DIRECTORY_CACHE_SECONDS": 300}
ADA = {"id": "S100", "name": "Ada Lovelace", "email": "ada@example.edu", "program": "BSc Maths",
       "cohort": "2025", "year": 2, "timezone": "Europe/London", "active": True}


@pytest.fixture
def remote():
    with responses.RequestsMock() as mock:
        yield mock


def test_students_are_read_with_the_token_and_cached(remote):
    remote.get(f"{BASE}/students/S100", json=ADA)
    directory = RestDirectory(SETTINGS)
    first = directory.appointments_get_student("S100")
    assert (first.name, first.email, first.timezone, first.active) == (
        "Ada Lovelace", "ada@example.edu", "Europe/London", True)
    assert directory.appointments_get_student("S100") == first
    assert len(remote.calls) == 1, "the second answer came from the cache"
    assert remote.calls[0].request.headers["Authorization"] == "Bearer dir-token"
    assert directory.appointments_get_user("S100").roles == frozenset({"student"})


def test_unknown_students_are_none_and_search_reads_the_list(remote):
    remote.get(f"{BASE}/students/nobody", status=404)
    remote.get(f"{BASE}/students", json={"students": [ADA]},
               match=[responses.matchers.query_param_matcher({"q": "ada", "limit": "5"})])
    directory = RestDirectory(SETTINGS)
    assert directory.appointments_get_student("nobody") is None
    assert [s.key for s in directory.appointments_search_students("ada", 5)] == ["S100"]


@pytest.mark.parametrize("answer", [
    {"body": requests.exceptions.ConnectTimeout("no route")},
    {"body": requests.exceptions.ReadTimeout("slow")},
    {"status": 502},
    {"status": 503, "json": {"error": "maintenance"}},
])
def test_timeouts_and_5xx_are_retried_then_a_clear_error(remote, answer):
    remote.get(f"{BASE}/students/S100", **answer)
    with pytest.raises(DirectoryUnavailable, match="did not answer after 3 tries"):
        RestDirectory(SETTINGS).appointments_get_student("S100")
    assert len(remote.calls) == ATTEMPTS


def test_a_directory_that_recovers_within_the_retries_is_fine(remote):
    remote.get(f"{BASE}/students/S100", status=500)
    remote.get(f"{BASE}/students/S100", json=ADA)
    assert RestDirectory(SETTINGS).appointments_get_student("S100").key == "S100"


@pytest.mark.parametrize("answer", [
    {"body": "<html>oops</html>"},
    {"json": {"name": "no id"}},
    {"json": ["a", "list"]},
    {"status": 401, "json": {"error": "bad token"}},
])
def test_malformed_answers_are_a_clear_error(remote, answer):
    remote.get(f"{BASE}/students/S100", **answer)
    with pytest.raises(DirectoryUnavailable) as error:
        RestDirectory(SETTINGS).appointments_get_student("S100")
    assert error.value.status == 503 and error.value.message


def test_search_without_a_list_is_a_clear_error(remote):
    remote.get(f"{BASE}/students", json={"results": []})
    with pytest.raises(DirectoryUnavailable, match="'students' list"):
        RestDirectory(SETTINGS).appointments_search_students("x", 5)


def test_booking_while_the_directory_is_down_answers_503_and_writes_nothing(
        make_app, create_user, remote):
    from api.conftest import Caller

    from sis_appointments.contract import SisUser
    from sis_appointments.services.accounts import tokens
    from sis_appointments.services.scheduling import appointment_types, slots

    app = make_app(SIS_APPOINTMENTS_DIRECTORY_URL=BASE,
                   SIS_APPOINTMENTS_DIRECTORY_CACHE_SECONDS=1)
    state = app.extensions["sis_appointments"]
    session = state.sessionmaker()
    staff = create_user(role="staff")
    student = create_user(role="student")
    advisor = SisUser(key=staff.key, name="A", roles=frozenset({"staff"}))
    kind = appointment_types.create(session, actor=advisor, name="Advising", duration_minutes=30,
                        timezone="UTC", hosts=[staff.key])
    start = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    [slot] = slots.create_custom(session, actor=advisor, type_id=kind.id, host_key=staff.key,
                                 start=start, end=start + timedelta(minutes=30), split=False)
    _, secret = tokens.create(session, actor=SisUser(key=student.key, name="S",
                                                      roles=frozenset({"student"})),
                              name="t", scope="write")
    remote.get(f"{BASE}/students/{student.key}", status=504)
    caller = Caller(app.test_client(), secret, student.key)
    answer = caller.post(f"/slots/{slot.id}/bookings")
    assert answer.status_code == 503, answer.get_json()
    assert answer.get_json()["code"] == "directory_unavailable"
    session.rollback()
    assert session.get(Slot, slot.id).booked == 0
    assert session.query(Booking).count() == 0
    session.close()

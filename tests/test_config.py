"""SIS_APPOINTMENTS_* settings: defaults, validation, documentation."""

from __future__ import annotations

from pathlib import Path

import pytest

from sis_appointments import config

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_defaults_fill_in_and_database_follows_the_host():
    settings = config.load({"SQLALCHEMY_DATABASE_URI": "sqlite:///host.db"})
    assert settings["SIS_APPOINTMENTS_DATABASE_URL"] == "sqlite:///host.db"
    assert settings["SIS_APPOINTMENTS_URL_PREFIX"] == "/appointments"


@pytest.mark.parametrize("key,value,message", [
    ("SIS_APPOINTMENTS_URL_PREFIX", "appointments", "must start with '/'"),
    ("SIS_APPOINTMENTS_ADMIN_URL_PREFIX", "/admin/", "not end with one"),
    ("SIS_APPOINTMENTS_DEFAULT_TIMEZONE", "Mars/Olympus", "is not an IANA zone"),
    ("SIS_APPOINTMENTS_SQLITE_BUSY_TIMEOUT", 0, "must be a positive number"),
    ("SIS_APPOINTMENTS_DB_POOL_SIZE", 0, "must be 1-1000"),
    ("SIS_APPOINTMENTS_RATE_LIMIT_WRITES", "lots", "must be a rate"),
    ("SIS_APPOINTMENTS_REDIS_URL", "http://x", "must be a redis:// URL"),
    ("SIS_APPOINTMENTS_SOCKETIO_ASYNC_MODE", "asyncio", "not a Flask-SocketIO async mode"),
    ("SIS_APPOINTMENTS_SQLITE_BUSY_TIMEOUT", "10", "must be a positive number"),
    ("SIS_APPOINTMENTS_FIXED_NOW", "2026-12-01T14:00:00", "with an offset"),
    ("SIS_APPOINTMENTS_FIXED_NOW", "next tuesday", "ISO 8601 instant"),
])
def test_bad_values_stop_start_up_naming_the_key(key, value, message):
    with pytest.raises(config.ConfigError, match=message) as error:
        config.load({"SQLALCHEMY_DATABASE_URI": "sqlite://", key: value})
    assert key in str(error.value)


def test_a_database_is_required():
    with pytest.raises(config.ConfigError, match="SIS_APPOINTMENTS_DATABASE_URL is not set"):
        config.load({})


@pytest.mark.parametrize("key", sorted(config.DEFAULTS))
def test_every_key_is_in_the_readme_configuration_reference(key):
    assert f"| `{key}` |" in README


def test_prefixes_move_the_pages(make_app):
    from demo_sis.extensions import db
    from demo_sis.models import Student, User
    from helpers import Auth

    app = make_app(SIS_APPOINTMENTS_URL_PREFIX="/advising")
    with app.app_context():
        user = User(username="ana", role="student", name="Ana", email="a@example.edu",
                    timezone="UTC")
        user.set_password("demo")
        user.student = Student(student_number="A1", program="BA History", cohort="2025", year=1)
        db.session.add(user)
        db.session.commit()
    client = app.test_client()
    Auth(client).login("ana")
    assert client.get("/advising/").status_code == 200
    assert '<a href="/advising/"' in client.get("/portal").get_data(as_text=True)


def test_a_fixed_clock_holds_in_the_apps_contexts_only(make_app, create_user, create_slot):
    """SIS_APPOINTMENTS_FIXED_NOW stops the clock for that app's requests and app contexts;
    the process's other apps, and the test itself, keep the real time."""
    from datetime import UTC, datetime, timedelta

    from helpers import Auth

    from sis_appointments.models import utcnow

    fixed = datetime(2020, 3, 2, 15, 0, tzinfo=UTC)
    app = make_app(SIS_APPOINTMENTS_FIXED_NOW="2020-03-02T10:00:00-05:00")
    slot = create_slot(start=fixed + timedelta(days=1))  # long past, by the real clock
    with app.app_context():
        assert utcnow() == fixed
    assert utcnow() > fixed + timedelta(days=365)
    create_user(username="ana")
    client = app.test_client()
    Auth(client).login("ana")
    page = client.get("/appointments/book").get_data(as_text=True)
    assert f"/appointments/slots/{slot.id}/book" in page
    assert utcnow() > fixed + timedelta(days=365)
    other = make_app()
    other_client = other.test_client()
    Auth(other_client).login("ana")
    page = other_client.get("/appointments/book").get_data(as_text=True)
    assert f"/appointments/slots/{slot.id}/book" not in page

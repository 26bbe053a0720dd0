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

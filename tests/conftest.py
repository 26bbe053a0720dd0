"""Fixtures: the reference SIS with the plugin, on SQLite and on PostgreSQL; factories.

PostgreSQL is found through SIS_APPOINTMENTS_TEST_DATABASE_URL (default: the local server).
When it is unreachable its tests are skipped, except with CI=true or
SIS_APPOINTMENTS_REQUIRE_SERVICES=1, where they fail instead.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pluggy
import pytest
from helpers import HOOK_CALLS, WHOLE_SUITE, Auth, event_hook_names
from sqlalchemy import create_engine, text

from sis_appointments.models import utcnow

PG_URL = os.environ.get(
    "SIS_APPOINTMENTS_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_SERVICES = (
    os.environ.get("CI") == "true" or os.environ.get("SIS_APPOINTMENTS_REQUIRE_SERVICES") == "1"
)

_plain_init = pluggy.PluginManager.__init__


def _monitored_init(self, project_name):
    _plain_init(self, project_name)
    if project_name == "sis":
        self.add_hookcall_monitoring(
            lambda name, impls, kwargs: HOOK_CALLS.add(name) if impls else None,
            lambda outcome, name, impls, kwargs: None,
        )


pluggy.PluginManager.__init__ = _monitored_init


def pytest_collection_modifyitems(session, config, items):
    """Run the hook-coverage meta-test last, and only judge coverage on a whole-suite run."""
    last = [i for i in items if i.name == "test_every_spec_is_exercised_by_a_test"]
    for item in last:
        items.remove(item)
        items.append(item)
    whole = all(os.path.abspath(a.split("::")[0]) == str(config.rootpath / "tests")
                for a in config.args) and not config.option.keyword and not config.option.markexpr
    config.stash[WHOLE_SUITE] = whole and not config.getoption("deselect")


_pg_state: dict[str, object] = {}


def postgres_url() -> str:
    """The PostgreSQL URL, or skip (fail when services are required) if it is unreachable."""
    if "error" not in _pg_state:
        try:
            engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
            _pg_state["error"] = None
        except Exception as exc:  # any failure to connect means: not reachable
            _pg_state["error"] = f"PostgreSQL at {PG_URL} unreachable: {exc}"
    if _pg_state["error"]:
        if REQUIRE_SERVICES:
            pytest.fail(f"{_pg_state['error']} (required: CI=true)")
        pytest.skip(str(_pg_state["error"]))
    return PG_URL


REDIS_URL = os.environ.get("SIS_APPOINTMENTS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_url() -> str:
    """The Redis URL, or skip (fail when services are required) if it is unreachable."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:  # any failure to connect means: not reachable
        message = f"Redis at {REDIS_URL} unreachable: {exc}"
        if REQUIRE_SERVICES:
            pytest.fail(f"{message} (required: CI=true)")
        pytest.skip(message)
    return REDIS_URL


def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """An empty database: a SQLite file, or the PostgreSQL test database wiped clean."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sis.sqlite'}"
    url = postgres_url()
    reset_postgres(url)
    return url


@pytest.fixture
def make_app(database_url):
    """Build the reference SIS (plugins loaded from entry points) with its tables created."""
    from demo_sis import create_app
    from demo_sis.extensions import db

    from sis_appointments.models import metadata

    apps = []

    def make(create_tables=True, **config):
        app = create_app({
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SIS_DISABLE_PLUGIN_AUTOLOAD": False,
            **config,
        })
        with app.app_context():
            if create_tables:
                db.create_all()
            if create_tables and "sis_appointments" in app.extensions:
                metadata.create_all(app.extensions["sis_appointments"].engine)
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()
        if "sis_appointments" in app.extensions:
            app.extensions["sis_appointments"].engine.dispose()


@pytest.fixture
def app(make_app):
    """The reference SIS with the plugin. No context is pushed: each request gets its own."""
    return make_app()


@pytest.fixture(autouse=True)
def _push_request_context():
    """Replaces pytest-flask's fixture of this name, which pushes one request context for the
    whole test, so that every test-client request shares ``g`` and the logged-in user."""


@pytest.fixture
def session(app):
    """A session of the plugin's database, as services get one."""
    db_session = app.extensions["sis_appointments"].sessionmaker()
    yield db_session
    db_session.close()


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def create_user(app):
    """Factory: a host user (with a student record for students), password 'demo'.

    Returns a plain namespace (id, key, username, role, name, timezone).
    """
    from types import SimpleNamespace

    from demo_sis.extensions import db
    from demo_sis.models import Student, User
    from werkzeug.security import generate_password_hash

    password_hash = generate_password_hash("demo", method="pbkdf2:sha256:1000")
    counter = iter(range(1, 10_000))

    def create(username=None, role="student", name=None, timezone="America/New_York",
               program="BSc Biology", cohort="2025", year=2, office=None, active=True):
        n = next(counter)
        username = username or f"{role}{n}"
        user = User(username=username, role=role, name=name or f"Test {role.title()} {n}",
                    email=f"{username}@example.edu", timezone=timezone, office=office,
                    password_hash=password_hash)
        if role == "student":
            user.student = Student(student_number=f"T{n:06d}", program=program, cohort=cohort,
                                   year=year, active=active)
        with app.app_context():
            db.session.add(user)
            db.session.commit()
            return SimpleNamespace(id=user.id, key=str(user.id), username=username, role=role,
                                   name=user.name, timezone=timezone)

    return create


@pytest.fixture
def create_type(session):
    from sis_appointments.models import AppointmentType, TypeHost

    def create(name="Academic advising", hosts=("1",), **fields):
        appointment_type = AppointmentType(
            name=name, duration_minutes=fields.pop("duration_minutes", 30),
            timezone=fields.pop("timezone", "America/New_York"), **fields,
        )
        appointment_type.hosts = [TypeHost(host_key=str(h)) for h in hosts]
        session.add(appointment_type)
        session.commit()
        return appointment_type

    return create


@pytest.fixture
def create_slot(session, create_type):
    """Factory: a slot starting ``start`` (default: tomorrow) for ``minutes``."""
    from sis_appointments.models import Slot

    def create(start=None, minutes=30, capacity=1, host_key="1", type=None, location="Room 101",
               timezone="America/New_York", **fields):
        start = start or utcnow().replace(microsecond=0) + timedelta(days=1)
        slot = Slot(type=type or create_type(hosts=(host_key,)), host_key=str(host_key),
                    start_utc=start, end_utc=start + timedelta(minutes=minutes),
                    timezone=timezone, capacity=capacity, location=location, **fields)
        session.add(slot)
        session.commit()
        return slot

    return create


@pytest.fixture
def create_booking(session, create_slot):
    """Factory: a booking for ``student_key`` in ``slot`` (a new slot by default).

    Takes the seat the way the engine does: one conditional UPDATE of the slot's counter.
    """
    from sqlalchemy import update

    from sis_appointments.models import ACTIVE_BOOKING_STATUSES, Booking, Slot

    def create(student_key, slot=None, status="confirmed", **fields):
        slot = slot or create_slot()
        if status in ACTIVE_BOOKING_STATUSES:
            taken = session.execute(
                update(Slot).where(Slot.id == slot.id, Slot.booked < Slot.capacity)
                .values(booked=Slot.booked + 1)
            ).rowcount
            assert taken == 1, "slot is full"
        booking = Booking(slot_id=slot.id, student_key=str(student_key), status=status, **fields)
        session.add(booking)
        session.flush()
        session.refresh(slot)
        session.commit()  # ends the transaction: later reads see what requests commit
        return booking

    return create


@pytest.fixture
def event_recorder(app):
    """A plugin on the host's manager implementing every event hook; ``.seen`` lists
    ``(hook name, event)`` in the order they arrived."""
    from types import SimpleNamespace

    from sis_appointments import hookimpl

    recorder = SimpleNamespace(seen=[])
    for name in event_hook_names():
        def impl(event, _name=name):
            recorder.seen.append((_name, event))
        setattr(recorder, name, hookimpl(impl))
    app.extensions["sis_plugins"].register(recorder)
    return recorder

"""Fixtures: the reference SIS with the plugin, on SQLite and on PostgreSQL; factories.

PostgreSQL is found through SIS_APPOINTMENTS_TEST_DATABASE_URL (default: the local server).
When it is unreachable its tests are skipped, except with CI=true or
SIS_APPOINTMENTS_REQUIRE_SERVICES=1, where they fail instead.

The suite runs in parallel (pytest-xdist: ``scripts/test`` passes ``-n auto --dist
loadgroup``), so databases belong to a worker (tests/databases.py):

- Each worker has its own: a SQLite file in its temp folder, and on PostgreSQL the database
  ``<name>_<worker>`` beside the one the URL names (created when missing: in CI, where the URL
  names ``test``, ``test_gw0``, ``test_gw1``...; ``test_main`` without xdist). Its schema is
  built once per run, from both metadatas.
- Every test starts on that database emptied: one DELETE per table and the id sequences set
  back to 1, ~2 ms (TRUNCATE: 30 ms; the old DROP SCHEMA and create_all: ~300 ms). Not a
  rollback: the plugin and the host have an engine each, services commit themselves (BEGIN
  IMMEDIATE on SQLite, savepoints in batches, retries on deadlock) and tests race threads and
  processes, so joining every session into one outer transaction would change what is tested.
- ``@pytest.mark.own_database``: a fresh, empty database of the test's own (a new SQLite file;
  on PostgreSQL ``<name>_<worker>_own`` with its schema dropped), for tests that commit from
  other threads or processes, or build and drop the schema themselves. make_app creates the
  tables there, as it did everywhere before. ``make_app(create_tables=False)`` on the shared
  database drops its tables (the next test builds them again).
- ``app`` is built once per module and database; each test gets it with its cache and rate
  limits cleared, and plugins a test registers are unregistered after it. ``make_app(...)``
  builds a new app (its own configuration).
- The permission matrix (api/test_api_matrix.py) keeps a database of its own per worker with
  one world in it, built once and put back row for row after a test that wrote.
- Hook calls are recorded by the plugin managers these fixtures make (helpers.HOOK_CALLS);
  each xdist worker hands its set to the controller, which fails a whole-suite run when a spec
  in hooks/sisspec.py or hooks/specs.py was never called with an implementation.
- Tests using Redis run in one xdist group (one worker): Socket.IO's channel is shared.
"""

from __future__ import annotations

import ast
import os
import sys
import threading
import time
from datetime import timedelta

import pytest
from databases import BY_URL, WORKER, WorkerDatabase
from helpers import HOOK_CALLS, Auth, event_hook_names, recording_hook_calls, spec_names
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sis_appointments.models import utcnow

PG_URL = os.environ.get(
    "SIS_APPOINTMENTS_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_SERVICES = (
    os.environ.get("CI") == "true" or os.environ.get("SIS_APPOINTMENTS_REQUIRE_SERVICES") == "1"
)
UNEXERCISED = pytest.StashKey[list]()


def _one_ast_parse_at_a_time() -> None:
    """CPython 3.11 keeps the AST constructor's recursion count in one place for every thread
    (python/cpython#106905): when two threads parse at once, one fails with "SystemError: AST
    constructor recursion depth mismatch". In a test run, background threads parse too (3.11's
    traceback formatting parses the failing line), beside pytest rewriting a module as it is
    first imported; so parses take turns. The plugin itself never parses code."""
    lock, parse = threading.RLock(), ast.parse

    def one_at_a_time(*args, **kwargs):
        with lock:
            return parse(*args, **kwargs)

    ast.parse = one_at_a_time


if sys.version_info < (3, 12):
    _one_ast_parse_at_a_time()


def pytest_addoption(parser):
    """Declared here, at the root: pytest reads options only from the first conftests."""
    parser.addoption("--update-snapshots", action="store_true", default=False,
                     help="browser tests: record the visual baselines in "
                          "tests/browser/snapshots/ anew instead of comparing with them")


def pytest_collection_modifyitems(session, config, items):
    """Tests that use Redis share one xdist group: Socket.IO's channel and the rate limits'
    keys are the same for every database. (The browser tests' conftest puts them in the
    group ``browser`` before this runs.)"""
    if config.pluginmanager.hasplugin("xdist"):
        for item in items:
            if "redis_url" in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.xdist_group("redis"))
        if getattr(config.option, "loadgroup", False):  # an xdist worker under loadgroup
            for item in items:
                _join_xdist_group(item)


def _join_xdist_group(item) -> None:
    """Give ``item`` the ``@group`` node-id suffix by which xdist's loadgroup sends a group to
    one worker. xdist adds it in its own hook, which runs before this one (markers added
    here came too late for it) and, under pytest 9, has no effect (it sets Node._nodeid;
    pytest 9 keeps the id in Node._id): without this, groups were silently spread."""
    names = sorted({str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                    for mark in item.iter_markers("xdist_group")})
    if not names or item.nodeid.rfind("@") > item.nodeid.rfind("]"):
        return  # no group, or xdist's hook added the suffix after all
    grouped = f"{item.nodeid}@{'_'.join(names)}"
    if hasattr(item, "_id"):  # pytest 9
        from _pytest.nodeid import coerce_node_id

        item._id = coerce_node_id(grouped)
    else:
        item._nodeid = grouped


# Hook coverage: judged on a whole-suite run, by the controller under xdist.

def _whole_suite(config) -> bool:
    return (all(os.path.abspath(a.split("::")[0]) == str(config.rootpath / "tests")
                for a in config.args)
            and not config.option.keyword and not config.option.markexpr
            and not config.getoption("deselect") and not config.option.collectonly
            and not config.getoption("lf", False) and not config.getoption("stepwise", False))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """An xdist worker finished: add the hook calls its tests made."""
    HOOK_CALLS.update(getattr(node, "workeroutput", {}).get("hook_calls", ()))


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    if hasattr(config, "workeroutput"):  # an xdist worker: hand the calls to the controller
        config.workeroutput["hook_calls"] = sorted(HOOK_CALLS)
        return
    if (not _whole_suite(config) or session.shouldfail or session.shouldstop
            or exitstatus in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.NO_TESTS_COLLECTED)):
        return
    missing = sorted(spec_names() - HOOK_CALLS)
    if missing:
        config.stash[UNEXERCISED] = missing
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    missing = config.stash.get(UNEXERCISED, None)
    if missing:
        terminalreporter.section("hook coverage", red=True, bold=True)
        terminalreporter.line("specs no test calls with an implementation (a whole-suite run "
                              "must call each): " + ", ".join(missing), red=True)


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


def postgres_worker_url(suffix: str = "") -> str:
    """This worker's PostgreSQL database ``<name>_<worker><suffix>``, created when missing."""
    base = make_url(postgres_url())
    name = f"{base.database}_{WORKER}{suffix}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for attempt in range(10):
                if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                {"n": name}).first():
                    break
                try:
                    conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
                except Exception:  # another worker copying template1 at the same moment
                    if attempt == 9:
                        raise
                    time.sleep(0.2 * (attempt + 1))
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


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


@pytest.fixture(scope="session")
def worker_database(tmp_path_factory):
    """Factory: this worker's database of ``kind`` (sqlite, postgresql) for ``purpose``
    (``shared``: the schema built; ``own``: empty, PostgreSQL only), made on first use."""
    made: dict[tuple[str, str], WorkerDatabase] = {}

    def get(kind: str, purpose: str = "shared") -> WorkerDatabase:
        if (kind, purpose) not in made:
            if kind == "sqlite":
                url = f"sqlite:///{tmp_path_factory.mktemp(purpose) / 'sis.sqlite'}"
            else:
                url = postgres_worker_url("" if purpose == "shared" else f"_{purpose}")
            made[kind, purpose] = WorkerDatabase(url, empty=purpose == "own")
        return made[kind, purpose]

    yield get
    for database in made.values():
        database.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path, worker_database):
    """An empty database: this worker's, emptied; with ``own_database`` a fresh SQLite file,
    or this worker's second PostgreSQL database with nothing in it."""
    if request.node.get_closest_marker("own_database"):
        if request.param == "sqlite":
            return f"sqlite:///{tmp_path / 'sis.sqlite'}"
        database = worker_database("postgresql", "own")
    else:
        database = worker_database(request.param)
    database.reset()
    return database.url


def build_app(database_url: str, create_tables: bool = True, **config):
    """The reference SIS (plugins loaded from entry points) on ``database_url``; its plugin
    managers record hook calls. The tables are created unless the database is a worker's
    shared one, which has them (``create_tables=False`` there: they are dropped)."""
    from demo_sis import create_app
    from demo_sis.extensions import db

    from sis_appointments.models import metadata

    shared = BY_URL.get(database_url)
    if shared is not None and not create_tables:
        shared.build_empty()
    with recording_hook_calls():
        app = create_app({
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SIS_DISABLE_PLUGIN_AUTOLOAD": False,
            # One process: what it cached ages out only where a test asks (test_api_cache).
            "SIS_APPOINTMENTS_LOCAL_CACHE_SECONDS": 3600,
            **config,
        })
    if create_tables and shared is None:
        with app.app_context():
            db.create_all()
            if "sis_appointments" in app.extensions:
                metadata.create_all(app.extensions["sis_appointments"].engine)
    return app


def app_engines(app) -> list:
    from demo_sis.extensions import db

    with app.app_context():
        engines = [db.engine]
    if "sis_appointments" in app.extensions:
        engines.append(app.extensions["sis_appointments"].engine)
    return engines


def dispose_app(app) -> None:
    state = app.extensions.get("sis_appointments")
    if state is not None and state.cache is not None:
        state.cache.close()  # its listener thread would outlive the test (and log)
    for engine in app_engines(app):
        engine.dispose()
        for database in BY_URL.values():
            database.users.discard(engine)


@pytest.fixture
def make_app(database_url):
    """Factory: a new reference SIS with ``config`` on the test's database."""
    apps = []

    def make(create_tables=True, **config):
        app = build_app(database_url, create_tables, **config)
        apps.append(app)
        return app

    yield make
    for app in apps:
        dispose_app(app)


@pytest.fixture(scope="module")
def _module_apps():
    apps: dict = {}
    yield apps
    for app in apps.values():
        dispose_app(app)


@pytest.fixture
def app(database_url, make_app, _module_apps):
    """The reference SIS with the plugin. No context is pushed: each request gets its own.

    Built once per module and database (on an ``own_database``: per test). Each test gets it
    with its response cache and rate limits empty; plugins it registers leave with it."""
    shared = BY_URL.get(database_url)
    if shared is None:
        yield make_app()
        return
    app = _module_apps.get(database_url)
    if app is None:
        app = _module_apps[database_url] = build_app(database_url)
        shared.users.update(app_engines(app))
    state = app.extensions.get("sis_appointments")
    if state is not None and state.cache is not None:
        state.cache.clear()
    if state is not None and state.limits is not None:
        state.limits.reset()
    pm = app.extensions["sis_plugins"]
    names = {name for name, _ in pm.list_name_plugin()}
    yield app
    added = [name for name, _ in pm.list_name_plugin() if name not in names]
    for name in added:
        pm.unregister(name=name)
    if added and state is not None:
        state.refresh_channels()


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

"""Browser tests: the reference SIS with the plugin served live, driven by Debian's Chromium.

- ``browser_type_launch_args`` points pytest-playwright at /usr/bin/chromium (Playwright's own
  browser download is not used); scripts/setup installs ``chromium`` and ``fonts-dejavu-core``
  with apt. Without Chromium the tests skip, except with CI=true or
  SIS_APPOINTMENTS_REQUIRE_SERVICES=1, where they fail.
- The world: the reference SIS's ``seed`` command (examples/demo_sis, 60 students, the
  plugin's demo types, series and bookings), run once per session and database kind with the
  server's clock stopped at FIXED_NOW (SIS_APPOINTMENTS_FIXED_NOW), so every run has the same
  slots, seats and bookings. Each test module gets a fresh copy of it (SQLite: the file
  copied; PostgreSQL: ``CREATE DATABASE ... TEMPLATE``), so what one module books does not
  show in another's pages.
- ``sis_server``: that copy served by a werkzeug server (threads, Socket.IO included) on a
  free port, once per module, on SQLite and on PostgreSQL, or on those a module's DATABASES
  names (``-k sqlite`` or ``-k postgresql`` picks one). An exception in a request fails the
  test during which it happened.
- ``open_page(user, device)``: a new browser context, logged in as ``user`` (log-ins are done
  once per server through the login form and their cookies reused), at the ``desktop``
  (1366x900) or ``phone`` (390x844, touch: Playwright's iPhone 13) size, with the page's
  clock stopped at FIXED_NOW too.
- Every test here runs in the xdist group ``browser``: one worker, so one browser and one
  server at a time.
- ``--update-snapshots`` (declared in tests/conftest.py) re-records the visual baselines in
  tests/browser/snapshots/; failed comparisons leave their images in snapshot-diffs/.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from browser.harness import log_in
from databases import WORKER
from flask import got_request_exception
from playwright.sync_api import sync_playwright
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Tuesday 1 December 2026, 09:00 in New York (the seeded users' and types' zone).
FIXED_NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
SEED_STUDENTS = 60
PG_URL = os.environ.get(
    "SIS_APPOINTMENTS_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_SERVICES = (
    os.environ.get("CI") == "true" or os.environ.get("SIS_APPOINTMENTS_REQUIRE_SERVICES") == "1"
)
HERE = Path(__file__).resolve().parent


def _unavailable(message: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} (required: CI=true)", pytrace=False)
    pytest.skip(message)


@pytest.hookimpl(tryfirst=True)  # before tests/conftest.py turns groups into node ids
def pytest_collection_modifyitems(config, items):
    """Every browser test runs on one xdist worker: one Chromium, one live server at a time."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.xdist_group("browser"))


# -- Chromium

@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"{CHROMIUM} is missing: scripts/setup installs it (apt-get install "
                     "chromium fonts-dejavu-core)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


# pytest-playwright keeps Playwright running for the whole session. While it runs, its event
# loop counts as running in this thread, so asyncio.run() in any later test of the same
# worker would fail; here Playwright and the browser live for one module instead.

@pytest.fixture(scope="module")
def playwright():
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser_type(playwright, browser_name):
    return getattr(playwright, browser_name)


@pytest.fixture(scope="module")
def launch_browser(browser_type_launch_args, browser_type):
    return lambda **options: browser_type.launch(**{**browser_type_launch_args, **options})


@pytest.fixture(scope="module")
def browser(launch_browser):
    launched = launch_browser()
    yield launched
    launched.close()


@pytest.fixture(scope="module")
def browser_context_args():
    return {}  # open_page gives every context its options


@pytest.fixture(scope="module")
def devices(playwright) -> dict[str, dict]:
    """Context options per device: ``desktop`` 1366x900; ``phone`` Playwright's iPhone 13
    (touch, mobile viewport, 3x pixels) with its whole screen, 390x844, as the viewport."""
    phone = {k: v for k, v in playwright.devices["iPhone 13"].items()
             if k != "default_browser_type"}
    phone["viewport"] = {"width": 390, "height": 844}
    return {"desktop": {"viewport": {"width": 1366, "height": 900}}, "phone": phone}


# -- the world and the server

def _app(url: str):
    from demo_sis import create_app

    return create_app({
        "SECRET_KEY": "browser-tests",
        "SQLALCHEMY_DATABASE_URI": url,
        "SIS_DISABLE_PLUGIN_AUTOLOAD": False,
        "SIS_APPOINTMENTS_FIXED_NOW": FIXED_NOW.isoformat(),
        "SIS_APPOINTMENTS_DB_POOL_SIZE": 4,  # few connections: the tests share the server
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 4, "max_overflow": 4},
    })


def _dispose(app) -> None:
    from demo_sis.extensions import db

    with app.app_context():
        db.engine.dispose()
    app.extensions["sis_appointments"].engine.dispose()


def _seed(url: str) -> None:
    """The schema and the reference SIS's demo data, at FIXED_NOW."""
    from demo_sis.extensions import db

    from sis_appointments.models import metadata

    app = _app(url)
    with app.app_context():
        db.create_all()
    metadata.create_all(app.extensions["sis_appointments"].engine)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed", "--students", str(SEED_STUDENTS)])
    assert result.exit_code == 0, result.output
    # The bookings' notifications delivered: in-app rows for the notifications page.
    result = runner.invoke(args=["appointments", "run-job", "deliver"])
    assert result.exit_code == 0 and "not run" not in result.output, result.output
    _dispose(app)


class _Postgres:
    """Databases beside the test URL's: ``<name>_<worker>_browser_seed`` and its copies."""

    def __init__(self):
        self.base = make_url(PG_URL)
        self.engine = create_engine(self.base, isolation_level="AUTOCOMMIT",
                                    connect_args={"connect_timeout": 3})
        try:
            with self.engine.connect():
                pass
        except Exception as exc:  # any failure to connect means: not reachable
            self.engine.dispose()
            _unavailable(f"PostgreSQL at {PG_URL} unreachable: {exc}")

    def name(self, suffix: str) -> str:
        return f"{self.base.database}_{WORKER}_browser{suffix}"

    def url(self, name: str) -> str:
        return self.base.set(database=name).render_as_string(hide_password=False)

    def create(self, name: str, template: str | None = None) -> str:
        with self.engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"'
                                 + (f' TEMPLATE "{template}"' if template else ""))
        return self.url(name)


@pytest.fixture(scope="session")
def seeded_world(tmp_path_factory):
    """Factory: the seeded database of ``kind`` (built on first use) and a function making
    a fresh copy of it, returning the copy's URL."""
    made: dict[str, object] = {}
    postgres: list[_Postgres] = []

    def get(kind: str):
        if kind in made:
            return made[kind]
        if kind == "sqlite":
            folder = tmp_path_factory.mktemp("browser-world")
            seed = folder / "seed.sqlite"
            _seed(f"sqlite:///{seed}")

            def copy_sqlite() -> str:
                target = folder / "world.sqlite"
                target.unlink(missing_ok=True)
                with sqlite3.connect(seed) as source, sqlite3.connect(target) as copy:
                    source.backup(copy)
                return f"sqlite:///{target}"

            made[kind] = copy_sqlite
        else:
            pg = _Postgres()
            postgres.append(pg)
            _seed(pg.create(pg.name("_seed")))
            made[kind] = lambda: pg.create(pg.name(""), template=pg.name("_seed"))
        return made[kind]

    yield get
    for pg in postgres:
        pg.engine.dispose()


class LiveServer:
    """The reference SIS with the plugin on ``url``, served from a thread."""

    def __init__(self, app, kind: str):
        self.app, self.kind = app, kind
        self.errors: list[BaseException] = []
        self.login_states: dict[str, dict] = {}
        got_request_exception.connect(self._record, app, weak=False)
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                       name=f"live-sis-{kind}")
        self.thread.start()

    def _record(self, sender, exception, **_):
        self.errors.append(exception)

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(10)
        self.server.server_close()

    def session(self):
        """A session of the plugin's database (services' view), for checking what happened."""
        return self.app.extensions["sis_appointments"].sessionmaker()

    def user_key(self, username: str) -> str:
        from demo_sis.extensions import db
        from demo_sis.models import User

        with self.app.app_context():
            return str(db.session.query(User.id).filter_by(username=username).scalar())


def pytest_generate_tests(metafunc):
    """``sis_server`` runs on the kinds of database a module's DATABASES names (default:
    both). Pages whose rendering does not depend on the database (axe, screenshots) are
    checked on SQLite; booking flows run on both."""
    if "sis_server" in metafunc.fixturenames:
        kinds = getattr(metafunc.module, "DATABASES", ("sqlite", "postgresql"))
        metafunc.parametrize("sis_server", [
            pytest.param(kind, marks=[pytest.mark.postgres] if kind == "postgresql" else [])
            for kind in kinds], indirect=True, scope="module")


@pytest.fixture(scope="module")
def sis_server(request, seeded_world):
    """The seeded reference SIS served live on a free port: a fresh copy of the world per
    module and database kind."""
    url = seeded_world(request.param)()
    app = _app(url)
    quiet = logging.getLogger("werkzeug")
    level = quiet.level
    quiet.setLevel(logging.WARNING)  # no line per request
    server = LiveServer(app, request.param)
    yield server
    server.stop()
    quiet.setLevel(level)
    _dispose(app)


@pytest.fixture(autouse=True)
def _no_server_errors(request):
    """A request that raised fails the test it happened in (the page alone shows a 500)."""
    if "sis_server" not in request.fixturenames:
        yield
        return
    server = request.getfixturevalue("sis_server")
    server.errors.clear()
    yield
    assert not server.errors, f"the live server raised: {server.errors!r}"


@pytest.fixture
def update_snapshots(request) -> bool:
    return bool(request.config.getoption("--update-snapshots"))


@pytest.fixture
def open_page(browser, new_context, sis_server, devices):
    """Factory: a page in a new context, logged in as ``user`` (None: logged out), sized for
    ``device``, the page's clock stopped at FIXED_NOW, opened at ``path`` if given."""

    def open(user: str | None = None, device: str = "desktop", path: str | None = None,
             **options):
        options = {**devices[device], "base_url": sis_server.url, "locale": "en-US",
                   "timezone_id": "America/New_York", "reduced_motion": "reduce", **options}
        if user is not None:
            options["storage_state"] = _login_state(browser, sis_server, user)
        context = new_context(**options)
        context.clock.set_fixed_time(FIXED_NOW)
        page = context.new_page()
        if path is not None:
            page.goto(path)
        return page

    return open


def _login_state(browser, server: LiveServer, username: str) -> dict:
    """The cookies of ``username`` logged in through the form, once per server."""
    if username not in server.login_states:
        context = browser.new_context(base_url=server.url)
        try:
            log_in(context.new_page(), username)
            server.login_states[username] = context.storage_state()
        finally:
            context.close()
    return server.login_states[username]

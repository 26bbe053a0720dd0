"""Helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

import inspect
import re
from contextlib import contextmanager

import pluggy
import pytest

# Every `sis` hook called with at least one implementation in this process (under xdist,
# one worker's); conftest gathers the workers' sets and checks them on a whole-suite run.
HOOK_CALLS: set[str] = set()


def record_hook_calls(pm: pluggy.PluginManager) -> pluggy.PluginManager:
    """Make ``pm`` note in HOOK_CALLS each hook it calls with at least one implementation."""
    if not getattr(pm, "_recorded_by_tests", False):
        pm._recorded_by_tests = True
        pm.add_hookcall_monitoring(
            lambda name, impls, kwargs: HOOK_CALLS.add(name) if impls else None,
            lambda outcome, name, impls, kwargs: None,
        )
    return pm


@contextmanager
def recording_hook_calls():
    """Plugin managers of the ``sis`` project made inside the block (the reference SIS makes
    its own in create_app, and calls hooks there) record their hook calls."""
    plain = pluggy.PluginManager.__init__

    def init(self, project_name):
        plain(self, project_name)
        if project_name == "sis":
            record_hook_calls(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pluggy.PluginManager, "__init__", init)
        yield


def spec_names() -> set[str]:
    """Every hook spec: the host's (sisspec) and the plugin's (specs)."""
    from sis_appointments.hooks import sisspec, specs

    return {name for module in (sisspec, specs)
            for name, _ in inspect.getmembers(module, inspect.isfunction)
            if name.startswith(("sis_", "appointments_"))}


class Auth:
    def __init__(self, client):
        self.client = client

    def csrf_token(self, path="/login") -> str:
        page = self.client.get(path, follow_redirects=True).get_data(as_text=True)
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    def login(self, username, password="demo"):
        token = self.csrf_token()
        return self.client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}
        )

    def logout(self):
        token = self.csrf_token("/")
        return self.client.post("/logout", data={"csrf_token": token})


# Broadcast hooks that collect contributions rather than announce an event.
COLLECTING_HOOKS = {"appointments_notification_channels"}


def event_hook_names() -> list[str]:
    """The plugin's event hooks: its specs that are neither look-ups nor collectors."""
    from sis_appointments.hooks import specs

    return [name for name, fn in inspect.getmembers(specs, inspect.isfunction)
            if name.startswith("appointments_") and not fn.sis_spec.get("firstresult")
            and name not in COLLECTING_HOOKS]


def hook_reference():
    """``scripts/hook-reference`` as a module: the parser of the specs' docstrings and the
    README tables built from them."""
    import importlib.machinery
    import importlib.util
    import sys
    from pathlib import Path

    if "hook_reference" not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "scripts" / "hook-reference"
        loader = importlib.machinery.SourceFileLoader("hook_reference", str(path))
        module = importlib.util.module_from_spec(
            importlib.util.spec_from_loader("hook_reference", loader))
        sys.modules["hook_reference"] = module  # dataclasses look their module up
        loader.exec_module(module)
    return sys.modules["hook_reference"]


@contextmanager
def count_statements(app):
    """Every SQL statement the app's engines (the SIS's and the plugin's) send inside the
    block, as a list of their first lines."""
    from demo_sis.extensions import db
    from sqlalchemy import event

    with app.app_context():
        engines = [db.engine, app.extensions["sis_appointments"].engine]
    seen: list[str] = []

    def note(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split()[:8]))

    for engine in engines:
        event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", note)


def eventually(check, seconds: float = 2.0) -> bool:
    """Whether ``check()`` comes true within ``seconds`` (for what another thread delivers,
    such as a Redis message): polls every 10 ms."""
    import time

    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True

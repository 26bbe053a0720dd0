"""Helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

import inspect
import re

import pytest

# Every `sis` hook called with at least one implementation, for the coverage meta-test.
HOOK_CALLS: set[str] = set()
WHOLE_SUITE = pytest.StashKey[bool]()


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

"""Hook coverage: every spec is exercised by the suite (called with an implementation).

The plugin managers the fixtures make record their calls (helpers.HOOK_CALLS); at the end of
a whole-suite run conftest's pytest_sessionfinish gathers every xdist worker's calls and fails
the run, naming the specs, if one was never called. These tests check the recording itself.
"""

from __future__ import annotations

import pluggy
from helpers import HOOK_CALLS, recording_hook_calls, spec_names

from sis_appointments import hookimpl
from sis_appointments.hooks import PROJECT, hookspec


class ProbeSpecs:
    @hookspec
    def sis_probe_answered(self):
        """A probe with an implementation."""

    @hookspec
    def sis_probe_unanswered(self):
        """A probe nobody implements."""


class ProbePlugin:
    @hookimpl
    def sis_probe_answered(self):
        return 1


def test_managers_made_while_recording_note_calls_that_have_an_implementation():
    with recording_hook_calls():
        pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(ProbeSpecs)
    pm.register(ProbePlugin())
    assert pm.hook.sis_probe_answered() == [1]
    assert pm.hook.sis_probe_unanswered() == []
    assert "sis_probe_answered" in HOOK_CALLS
    assert "sis_probe_unanswered" not in HOOK_CALLS
    untouched = pluggy.PluginManager(PROJECT)
    untouched.add_hookspecs(ProbeSpecs)
    assert not getattr(untouched, "_recorded_by_tests", False)


def test_the_checked_specs_are_the_hosts_and_the_plugins():
    names = spec_names()
    assert {"sis_init_app", "sis_add_hookspecs", "appointments_identify",
            "appointments_booking_created"} <= names
    assert all(name.startswith(("sis_", "appointments_")) for name in names)

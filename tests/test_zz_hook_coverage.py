"""Meta-test: every hook spec is exercised by the suite (called with an implementation).

It runs last (conftest moves it) and judges only a whole-suite run; the calls are recorded
by the monitoring conftest adds to every ``sis`` plugin manager.
"""

from __future__ import annotations

import inspect

import pytest
from helpers import HOOK_CALLS, WHOLE_SUITE

from sis_appointments.hooks import sisspec, specs


def test_every_spec_is_exercised_by_a_test(request):
    if not request.config.stash.get(WHOLE_SUITE, False):
        pytest.skip("hook coverage is judged on a run of the whole suite")
    names = {name for module in (sisspec, specs)
             for name, _ in inspect.getmembers(module, inspect.isfunction)
             if name.startswith(("sis_", "appointments_"))}
    assert names - HOOK_CALLS == set(), "specs no test calls with an implementation"

"""The layers hold, checked by import-linter's contracts (pyproject.toml), and the check
fails when a module breaks one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sis_appointments

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(package_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(package_dir.parent)}
    return subprocess.run([str(LINT), "--no-cache"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def package_copy(tmp_path) -> Path:
    """A copy of the package to break on purpose."""
    copy = tmp_path / "sis_appointments"
    shutil.copytree(Path(sis_appointments.__file__).resolve().parent, copy,
                    ignore=shutil.ignore_patterns("vendor", "__pycache__"))
    return copy


def test_the_package_keeps_every_contract(package_copy):
    result = lint(package_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" in result.stdout and "0 broken" in result.stdout


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("domain/rules.py", "import flask", "The domain imports neither"),
    ("domain/slots.py", "from sis_appointments.models import Slot", "The domain imports"),
    ("services/scheduling/booking.py", "from sis_appointments.web import db",
     "web -> services -> domain"),
    ("services/platform/audit.py", "from flask import g", "Services import neither"),
])
def test_a_deliberate_violation_fails_the_check(package_copy, module, line, contract):
    path = package_copy / module
    path.write_text(path.read_text() + f"\n{line}  # noqa\n")
    result = lint(package_copy)
    assert result.returncode != 0
    assert f"{contract}" in result.stdout and "BROKEN" in result.stdout


@pytest.mark.parametrize(("old", "new", "name"), [
    ("sis_appointments.host", "sis_appointments.contract", "BusyTime"),
    ("sis_appointments.hooks.hostspec", "sis_appointments.hooks.sisspec", "sis_init_app"),
])
def test_renamed_public_modules_still_import_with_a_deprecation_warning(old, new, name):
    code = (f"import warnings; warnings.simplefilter('error')\n"
            f"try:\n    import {old}\nexcept DeprecationWarning as w:\n    print('warned', w)\n"
            f"warnings.simplefilter('ignore')\nimport {old} as o, {new} as n\n"
            f"assert o.{name} is n.{name}\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("warned") and new in result.stdout


def test_old_hosts_keep_their_name_for_the_user_value():
    code = ("import warnings; warnings.simplefilter('ignore')\n"
            "from sis_appointments.host import HostUser\n"
            "from sis_appointments.contract import SisUser\nassert HostUser is SisUser\n")
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0

"""Packaging: every package is listed, shipped folders are found from the installed package."""

from __future__ import annotations

import configparser
import json
from importlib import metadata, resources
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_every_source_package_is_listed_in_setup_cfg():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    listed = set(cfg["options"]["packages"].split())
    source = {".".join(p.parent.relative_to(ROOT / "src").parts)
              for p in (ROOT / "src").rglob("*.py")}
    assert source - listed == set()


def test_templates_and_migrations_are_found_through_importlib_resources():
    package = resources.files("sis_appointments")
    assert (package / "templates" / "appointments" / "portal" / "index.html").is_file()
    assert (package / "migrations" / "env.py").is_file()
    assert any(p.name.endswith(".py") for p in (package / "migrations" / "versions").iterdir())


def test_vendor_bundles_are_built_from_the_locked_npm_packages():
    lock = json.loads((ROOT / "package-lock.json").read_text())
    for name in json.loads((ROOT / "package.json").read_text())["dependencies"]:
        assert f"node_modules/{name}" in lock["packages"], f"{name} is not locked"
    vendor = resources.files("sis_appointments") / "static" / "vendor"
    assert {p.name for p in vendor.iterdir()} >= {
        "fullcalendar.min.js", "socket.io.min.js", "chart.umd.min.js"}


def test_the_plugin_is_registered_in_the_sis_plugins_entry_point_group():
    points = metadata.entry_points(group="sis.plugins")
    assert {p.name: p.value for p in points}["appointments"] == "sis_appointments.sis_plugin"


def test_no_third_party_bundle_is_committed():
    ignored = (ROOT / ".gitignore").read_text().split()
    assert "src/sis_appointments/static/vendor/" in ignored

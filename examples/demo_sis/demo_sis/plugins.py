"""Loading plugins: a pluggy manager for the ``sis`` protocol, filled from entry points."""

from __future__ import annotations

import pluggy
from flask import Flask, current_app

from demo_sis import hostimpl
from sis_appointments.hooks import ENTRY_POINT_GROUP, PROJECT, sisspec


def make_plugin_manager(autoload: bool = True) -> pluggy.PluginManager:
    """Host specs, then every installed plugin (unless autoload is off), then their specs."""
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(sisspec)
    if autoload:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    pm.hook.sis_add_hookspecs(pm=pm)
    pm.register(hostimpl, name="demo_sis")
    pm.check_pending()
    return pm


def init_app(app: Flask) -> None:
    pm = make_plugin_manager(autoload=not app.config["SIS_DISABLE_PLUGIN_AUTOLOAD"])
    app.extensions["sis_plugins"] = pm
    pm.hook.sis_init_app(app=app, pm=pm)


def hook():
    """The hook relay of the current app's plugins."""
    return current_app.extensions["sis_plugins"].hook


def collect(results: list[list]) -> list:
    """Flatten the lists returned by a broadcast hook and sort by priority."""
    return sorted((item for items in results for item in items or []), key=lambda i: i.priority)

"""Wires the plugin into a Flask app: settings, database, hooks, blueprints, CLI."""

from __future__ import annotations

from dataclasses import dataclass

import pluggy
from flask import Flask
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from sis_appointments import config, database
from sis_appointments.hooks import PROJECT, specs
from sis_appointments.web import db


@dataclass
class AppointmentsState:
    """What the plugin keeps in ``app.extensions["sis_appointments"]``."""

    pm: pluggy.PluginManager
    settings: dict
    engine: Engine
    sessionmaker: sessionmaker[Session]
    socketio: object = None  # flask_socketio.SocketIO, set by init_app
    cache: object = None  # web.api.caching.ResponseCache, set by init_app
    limits: object = None  # web.api.limits.Limits, set by init_app
    api: object = None  # web.api.ProblemApi (flask-smorest), set by init_app
    scheduler: object = None  # the APScheduler scheduler, with SIS_APPOINTMENTS_RUN_JOBS

    def make_channels(self) -> dict:
        """Fresh notification channels for one delivery run (they hold connections)."""
        from sis_appointments.notify import channels

        made = {"inapp": channels.InAppChannel(self.settings)}
        if self.settings["SIS_APPOINTMENTS_SMTP_HOST"]:
            made["email"] = channels.EmailChannel(self.settings)
        if self.settings["SIS_APPOINTMENTS_WEBHOOKS"]:
            made["webhook"] = channels.WebhookChannel(self.settings)
        for found in self.pm.hook.appointments_notification_channels(settings=self.settings):
            made.update({channel.name: channel for channel in found or ()})
        return made

    def refresh_channels(self) -> None:
        """Tell new sessions which channels people may choose (all but webhooks); called at
        start-up, and again if a plugin adding channels is registered later."""
        self.sessionmaker.kw["context"].channels = tuple(
            name for name in self.make_channels() if name != "webhook")

    def emit(self, event: str, payload: dict, room: str) -> None:
        """Push ``event`` to a socket room (e.g. ``user:<key>``), in any worker process."""
        from sis_appointments.web.sockets import NAMESPACE

        if self.socketio is not None:
            self.socketio.emit(event, payload, to=room, namespace=NAMESPACE)


class _SisObjectManager(pluggy.PluginManager):
    """Accepts the unmarked methods of a host object whose names match the plugin's specs."""

    def parse_hookimpl_opts(self, plugin, name):
        opts = super().parse_hookimpl_opts(plugin, name)
        if opts is None and name.startswith("appointments_") and hasattr(specs, name):
            return {}
        return opts


def sis_object_manager(host: object | None) -> pluggy.PluginManager:
    """A plugin manager for a host without pluggy, answering the specs from ``host``'s methods."""
    pm = _SisObjectManager(PROJECT)
    pm.add_hookspecs(specs)
    if host is not None:
        pm.register(host, name="host")
    pm.check_pending()
    return pm


class AppointmentsPlugin:
    """The Flask extension; ``init_app`` follows Flask's extension pattern."""

    def __init__(self, app: Flask | None = None, *, pm=None, host=None):
        if app is not None:
            self.init_app(app, pm=pm, host=host)

    def init_app(self, app: Flask, *, pm: pluggy.PluginManager | None = None, host=None) -> None:
        from sis_appointments import cli
        from sis_appointments.web import (
            admin,
            admin_api,  # noqa: F401 (its routes join admin.bp)
            admin_batch,  # noqa: F401 (its routes join admin.bp)
            admin_calendar,  # noqa: F401 (its routes join admin.bp)
            admin_conflicts,  # noqa: F401 (its routes join admin.bp)
            admin_dashboard,  # noqa: F401 (its routes join admin.bp)
            admin_reports,  # noqa: F401 (its routes join admin.bp)
            admin_slot,  # noqa: F401 (its routes join admin.bp)
            admin_system,  # noqa: F401 (its routes join admin.bp)
            admin_types,  # noqa: F401 (its routes join admin.bp)
            fixed_clock,
            me,
            portal,
            portal_book,  # noqa: F401 (its routes join portal.bp)
            register_filters,
        )
        from sis_appointments.web.api import PREFIX, init_api
        from sis_appointments.web.security import init_security_headers
        from sis_appointments.web.sockets import init_sockets

        if pm is None:
            pm = sis_object_manager(host)
        settings = config.load(app.config)
        if settings["SIS_APPOINTMENTS_DIRECTORY_URL"] and not pm.has_plugin("appt-directory"):
            from sis_appointments.directory import RestDirectory

            pm.register(RestDirectory(settings), name="appt-directory")
        engine = database.make_engine(
            settings["SIS_APPOINTMENTS_DATABASE_URL"],
            settings["SIS_APPOINTMENTS_SQLITE_BUSY_TIMEOUT"],
            settings["SIS_APPOINTMENTS_DB_POOL_SIZE"],
        )
        factory = database.make_sessionmaker(engine, pm, settings)
        state = app.extensions["sis_appointments"] = AppointmentsState(
            pm=pm, settings=settings, engine=engine, sessionmaker=factory)
        state.refresh_channels()
        if settings["SIS_APPOINTMENTS_FIXED_NOW"] is not None:
            fixed_clock(app, settings["SIS_APPOINTMENTS_FIXED_NOW"])
        app.teardown_appcontext(db.close_session)
        hosts_blueprints = set(app.blueprints)
        app.register_blueprint(portal.bp, url_prefix=settings["SIS_APPOINTMENTS_URL_PREFIX"])
        app.register_blueprint(me.bp, url_prefix=settings["SIS_APPOINTMENTS_URL_PREFIX"]
                               + "/me")
        app.register_blueprint(admin.bp, url_prefix=settings["SIS_APPOINTMENTS_ADMIN_URL_PREFIX"])
        app.cli.add_command(cli.appointments)
        register_filters(app)
        init_api(app, settings)
        state.socketio = init_sockets(app, settings)
        init_security_headers(app, settings, set(app.blueprints) - hosts_blueprints, (
            settings["SIS_APPOINTMENTS_URL_PREFIX"], settings["SIS_APPOINTMENTS_ADMIN_URL_PREFIX"],
            PREFIX))
        if settings["SIS_APPOINTMENTS_RUN_JOBS"]:
            from sis_appointments import jobs

            state.scheduler = jobs.scheduler(state, app)
            state.scheduler.start()


def init_app(app: Flask, *, pm: pluggy.PluginManager | None = None, host=None) -> None:
    """Set the plugin up on ``app``: through the host's plugin manager ``pm``, or, for a host
    without pluggy, with ``host``, an object whose methods are named like the plugin's specs."""
    AppointmentsPlugin(app, pm=pm, host=host)

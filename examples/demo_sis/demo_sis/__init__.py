"""A small reference SIS: users, a students directory, a portal with tabs, profiles with
sections. It knows no plugin by name; it loads them from the ``sis.plugins`` entry points."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from demo_sis import auth, cli, plugins, views
from demo_sis.extensions import csrf, db, login_manager, migrate


def create_app(test_config: dict | None = None) -> Flask:
    """App factory: ``flask --app demo_sis run``."""
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(
        SQLALCHEMY_DATABASE_URI=os.environ.get(
            "DEMO_SIS_DATABASE_URL",
            f"sqlite:///{Path(app.instance_path) / 'demo_sis.sqlite'}",
        ),
        DEMO_SIS_TIMEZONE="America/New_York",
        SIS_DISABLE_PLUGIN_AUTOLOAD=os.environ.get("SIS_DISABLE_PLUGIN_AUTOLOAD", "") == "1",
        # The session cookie is not sent with cross-site requests other than top-level
        # navigations, and JavaScript cannot read it; logging out ends it on the server too
        # (models.User.session_generation).
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
    )
    app.config.from_prefixed_env("DEMO_SIS")
    if test_config:
        app.config.update(test_config)
    if app.config["PREFERRED_URL_SCHEME"] == "https":  # DEMO_SIS_PREFERRED_URL_SCHEME=https
        app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = True
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"),
                     include_name=_own_tables)
    csrf.init_app(app)
    login_manager.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(views.bp)
    cli.register(app)
    plugins.init_app(app)
    return app


def _instance_secret(instance_path: str) -> str:
    """A random secret kept in the instance folder, so sessions survive restarts."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.write_text(os.urandom(32).hex())
    return path.read_text().strip()


def _own_tables(name, type_, parent_names) -> bool:
    """Autogenerate compares only the SIS's tables, not those plugins keep in the database."""
    return type_ != "table" or name.startswith("sis_")

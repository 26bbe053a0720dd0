"""Running the plugin's Alembic chain (its own version table) against an engine."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from sis_appointments.resources import package_path

VERSION_TABLE = "appt_alembic_version"


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic config for the shipped migrations; env.py uses ``engine`` if given."""
    cfg = Config()
    cfg.set_main_option("script_location", package_path("migrations"))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def heads() -> list[str]:
    return list(ScriptDirectory.from_config(alembic_config()).get_heads())


def current(engine: Engine) -> str | None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()

"""Alembic environment of the sis-appointments chain.

Run by ``flask appointments db ...`` with an engine passed in, or by the ``alembic`` command
from the repository root (developers making a new revision), which connects to
SIS_APPOINTMENTS_DATABASE_URL. Only appt_* tables are compared, so the host's tables and
its own Alembic chain are left alone; the version table is appt_alembic_version.
"""

import os

from alembic import context
from sqlalchemy import create_engine

from sis_appointments.migrate import VERSION_TABLE
from sis_appointments.models import PREFIX, UTCDateTime, metadata


def include_name(name, type_, parent_names):
    if type_ == "table":
        return name.startswith(PREFIX) and name != VERSION_TABLE
    return True


def render_item(type_, obj, autogen_context):
    """Render the plugin's UTC column type as the plain SQL type it stores."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_online() -> None:
    engine = context.config.attributes.get("engine")
    if engine is None:
        engine = create_engine(os.environ.get("SIS_APPOINTMENTS_DATABASE_URL", "sqlite:///dev.sqlite"))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table=VERSION_TABLE,
            include_name=include_name,
            render_as_batch=True,
            render_item=render_item,
            compare_type=True,
            compare_server_default=False,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()

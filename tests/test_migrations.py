"""The plugin's Alembic chain: one head, up and down on both databases, agrees with models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from sis_appointments import migrate
from sis_appointments.models import PREFIX, metadata


@pytest.fixture
def engine(database_url):
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def appt_tables(engine) -> set[str]:
    return {t for t in inspect(engine).get_table_names() if t.startswith(PREFIX)}


def test_single_head():
    assert len(migrate.heads()) == 1


@pytest.mark.own_database  # builds and drops the schema: a fresh database
def test_upgrade_creates_every_table_and_downgrade_removes_them(engine):
    migrate.upgrade(engine)
    assert appt_tables(engine) == set(metadata.tables) | {migrate.VERSION_TABLE}
    assert migrate.current(engine) == migrate.heads()[0]
    migrate.downgrade(engine, "base")
    assert appt_tables(engine) == {migrate.VERSION_TABLE}
    assert migrate.current(engine) is None
    migrate.upgrade(engine)
    assert migrate.current(engine) == migrate.heads()[0]


@pytest.mark.own_database  # builds and drops the schema: a fresh database
def test_models_and_migrations_agree(engine):
    migrate.upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True,
            "include_name": lambda name, type_, parents: type_ != "table" or (
                name.startswith(PREFIX) and name != migrate.VERSION_TABLE),
        })
        assert compare_metadata(context, metadata) == []


@pytest.mark.own_database  # builds and drops the schema: a fresh database
def test_plugin_chain_leaves_host_tables_and_version_alone(make_app, engine):
    make_app()  # the host's own tables exist
    metadata.drop_all(engine)
    host_tables = {t for t in inspect(engine).get_table_names() if not t.startswith(PREFIX)}
    migrate.upgrade(engine)
    migrate.downgrade(engine, "base")
    assert {t for t in inspect(engine).get_table_names() if not t.startswith(PREFIX)} == host_tables


@pytest.mark.own_database  # builds and drops the schema: a fresh database
def test_cli_upgrade_current_downgrade(make_app, database_url):
    app = make_app()
    engine = create_engine(database_url)
    metadata.drop_all(engine)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["appointments", "db", "current"])
    assert "none (run: flask appointments db upgrade)" in result.output
    result = runner.invoke(args=["appointments", "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "upgraded to head" in result.output
    assert migrate.heads()[0] in runner.invoke(args=["appointments", "db", "current"]).output
    result = runner.invoke(args=["appointments", "db", "downgrade", "base"])
    assert result.exit_code == 0 and appt_tables(engine) == {migrate.VERSION_TABLE}
    engine.dispose()


def test_cli_bad_revision_is_a_clear_error(app):
    result = app.test_cli_runner().invoke(args=["appointments", "db", "upgrade", "nonsense"])
    assert result.exit_code == 1
    assert "Error: Can't locate revision identified by 'nonsense'" in result.output
    assert "Traceback" not in result.output


def test_cli_unreachable_database_is_a_clear_error(make_app, tmp_path):
    app = make_app(create_tables=False,
                   SIS_APPOINTMENTS_DATABASE_URL=f"sqlite:///{tmp_path}/missing/dir/x.db")
    result = app.test_cli_runner().invoke(args=["appointments", "db", "upgrade"])
    assert result.exit_code == 1
    assert "failed: unable to open database file" in result.output


def test_horizon_and_offer_commands(app, session, create_type):
    from datetime import datetime

    from sis_appointments.contract import SisUser
    from sis_appointments.services.platform import settings
    from sis_appointments.services.scheduling import series

    admin = SisUser(key="a", name="Admin", roles=frozenset({"admin"}))
    weekly = create_type(hosts=("h1",))
    series.create(session, actor=admin, type_id=weekly.id, host_key="h1",
                  start_local=datetime(2027, 1, 4, 9), rrule="FREQ=WEEKLY")
    settings.put(session, actor=admin, key="horizon_days", value=400)
    runner = app.test_cli_runner()
    created = runner.invoke(args=["appointments", "extend-horizon"]).output
    assert int(created.split()[0]) > 10 and created.endswith(" slots created\n")
    assert runner.invoke(args=["appointments", "extend-horizon"]).output == "0 slots created\n"
    assert runner.invoke(args=["appointments", "expire-offers"]).output == "0 offers expired\n"

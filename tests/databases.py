"""The test databases: one per pytest-xdist worker and purpose, its schema built once.

A test empties its worker's database before it starts (``WorkerDatabase.reset``): one DELETE
of every table of both metadatas (the reference SIS's and the plugin's) and every id sequence
set back to 1. That takes a millisecond or two; TRUNCATE takes 30 ms on PostgreSQL, and
dropping and re-creating the schema a few hundred. If a test changed the schema (a table
dropped, an Alembic version table added), the reset sees a different set of tables and builds
the schema again.

``snapshot``/``restore`` keep a built world (the permission matrix's) and put it back after
a test that wrote: ``written`` says whether any statement since wrote to the database.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
BY_URL: dict[str, WorkerDatabase] = {}  # this worker's databases that hold the schema

# Databases (by URL database part) some statement wrote to since their last reset/restore.
_WRITTEN: set[str] = set()
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "WITH", "TRUNCATE", "ALTER", "DROP",
           "CREATE")


@event.listens_for(Engine, "before_cursor_execute")
def _note_writes(conn, cursor, statement, parameters, context, executemany):
    if statement.lstrip()[:8].upper().startswith(_WRITES):
        _WRITTEN.add(conn.engine.url.database)


def tables():
    """Every table of the reference SIS and of the plugin, parents before children."""
    from demo_sis.extensions import db

    from sis_appointments.models import metadata

    return [table for meta in (db.metadata, metadata) for table in meta.sorted_tables]


def create_schema(engine: Engine) -> None:
    from demo_sis.extensions import db

    from sis_appointments.models import metadata

    db.metadata.create_all(engine)
    metadata.create_all(engine)


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class WorkerDatabase:
    """A database only this worker uses, with the whole schema (or, ``empty``, none)."""

    def __init__(self, url: str, empty: bool = False):
        self.url, self.empty = url, empty
        self.sqlite = url.startswith("sqlite")
        # SQLite: no foreign-key enforcement on this maintenance engine, so tables can be
        # emptied and dropped in any order.
        self.engine = create_engine(url, pool_size=1) if not self.sqlite else create_engine(url)
        self.database = self.engine.url.database
        self.sequences: list[str] = []
        self.built = False
        self.users: set[Engine] = set()  # long-lived engines (module apps') on this database
        if not empty:
            BY_URL[url] = self

    # -- the schema

    def _table_names(self, conn) -> set[str]:
        if self.sqlite:
            query = ("SELECT name FROM sqlite_master WHERE type = 'table' "
                     "AND name NOT LIKE 'sqlite_%'")
        else:
            query = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        return set(conn.execute(text(query)).scalars())

    def _drop_everything(self) -> None:
        with self._locked() as conn:
            if self.sqlite:
                for name in self._table_names(conn):
                    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {quoted(name)}")
            else:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")

    def build(self) -> None:
        """Drop whatever is there and create the schema (none for an ``empty`` database)."""
        self._drop_everything()
        if self.sqlite:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        if not self.empty:
            create_schema(self.engine)
            if not self.sqlite:
                with self.engine.connect() as conn:
                    self.sequences = list(conn.execute(text(
                        "SELECT sequencename FROM pg_sequences "
                        "WHERE schemaname = current_schema()")).scalars())
        self.built = True
        _WRITTEN.discard(self.database)

    def ensure_built(self) -> WorkerDatabase:
        """Build the schema if this run has not yet (the rows are left as they are)."""
        if not self.built:
            self._retrying(self.build)
        return self

    def build_empty(self) -> None:
        """Drop every table, for a test that starts without any (the next reset builds)."""
        self._retrying(self._drop_everything)

    # -- emptying

    @contextmanager
    def _locked(self):
        """A transaction that gives up waiting for a lock after 20 s: a connection a test left
        in a transaction would otherwise hang the next test (see ``_retrying``)."""
        with self.engine.begin() as conn:
            if not self.sqlite:
                conn.exec_driver_sql("SET LOCAL lock_timeout = '20s'")
            yield conn

    def _terminate_others(self) -> None:
        if self.sqlite:
            return
        with self.engine.begin() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        for engine in self.users:
            engine.dispose()  # their pooled connections were just ended
        time.sleep(0.2)

    def _empty_tables(self, conn) -> None:
        names = [table.name for table in reversed(tables())]
        # Table names come from the metadata, quoted.
        statements = [f"DELETE FROM {quoted(name)}" for name in names]  # noqa: S608
        if self.sqlite:
            if conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")
                            ).first():
                statements.append("DELETE FROM sqlite_sequence")
        elif self.sequences:
            statements.append("SELECT " + ", ".join(
                f"setval('{quoted(s)}', 1, false)" for s in self.sequences))
        for statement in statements if self.sqlite else ["; ".join(statements)]:
            conn.exec_driver_sql(statement)

    def reset(self) -> None:
        """Empty every table and restart ids (an ``empty`` database: drop everything);
        build the schema first if this is the first use or a test changed it."""
        if self.empty or not self.built:
            return self._retrying(self.build)

        def empty():
            with self._locked() as conn:
                if self._table_names(conn) != {t.name for t in tables()}:
                    return False
                self._empty_tables(conn)
                return True

        if not self._retrying(empty):
            self._retrying(self.build)
        _WRITTEN.discard(self.database)

    def _retrying(self, work):
        try:
            return work()
        except OperationalError:  # a lock held by a connection a test left behind: end
            self._terminate_others()  # this worker's other connections to the database
            return work()

    # -- worlds kept between tests

    @property
    def written(self) -> bool:
        """Whether a statement wrote to this database since its last reset or restore."""
        return self.database in _WRITTEN

    def snapshot(self):
        with self.engine.connect() as conn:
            rows = [(table, [dict(r) for r in conn.execute(table.select()).mappings()])
                    for table in tables()]
            sequences = {} if self.sqlite else dict(conn.execute(text(
                "SELECT sequencename, last_value FROM pg_sequences "
                "WHERE schemaname = current_schema()")).all())
            counters = conn.execute(text("SELECT name, seq FROM sqlite_sequence")).all() if (
                self.sqlite and conn.execute(text(
                    "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")).first()
            ) else []
        _WRITTEN.discard(self.database)  # the database is what the snapshot holds
        return rows, sequences, counters

    def restore(self, snapshot) -> None:
        """Put back exactly the rows (and id counters) of ``snapshot``."""
        rows, sequences, counters = snapshot
        self.reset()
        with self._locked() as conn:
            for table, found in rows:
                if found:
                    conn.execute(table.insert(), found)
            for name, value in sequences.items():
                conn.execute(text("SELECT setval(:s, :v, :called)"), {
                    "s": quoted(name), "v": value or 1, "called": value is not None})
            for name, seq in counters:
                conn.execute(text("INSERT INTO sqlite_sequence (name, seq) VALUES (:n, :s)"),
                             {"n": name, "s": seq})
        _WRITTEN.discard(self.database)

    def dispose(self) -> None:
        self.engine.dispose()

"""Shared bits of the benchmarks: timing summaries, tables and the JSON results file."""

from __future__ import annotations

import json
import platform
import statistics
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50/p95/p99 in milliseconds of latencies given in seconds."""
    if not samples:
        return {"p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0}
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return {"p50_ms": round(pick(0.50), 2), "p95_ms": round(pick(0.95), 2),
            "p99_ms": round(pick(0.99), 2), "mean_ms": round(statistics.mean(ordered) * 1000, 2)}


def table(rows: list[dict], columns: list[str]) -> str:
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    line = "  ".join(c.ljust(widths[c]) for c in columns)
    out = [line, "  ".join("-" * widths[c] for c in columns)]
    out += ["  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns) for r in rows]
    return "\n".join(out)


def fresh_schema(url: str) -> None:
    """An empty public schema in the PostgreSQL database ``url``, the database made first
    when it does not exist yet (a fresh machine)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                           {"name": target.database}):
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    server.dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def seed_people(app, students: int, staff: int) -> None:
    """In ``app``'s context: the host's and the plugin's tables, and the reference SIS's
    people (``students`` and ``staff``) without its demo appointments (the bench makes its
    own world)."""
    from unittest import mock

    from demo_sis.extensions import db

    from sis_appointments import demo
    from sis_appointments.models import metadata

    db.create_all()
    metadata.create_all(app.extensions["sis_appointments"].engine)
    with mock.patch.object(demo, "seed", return_value=None):
        result = app.test_cli_runner().invoke(args=[
            "seed", "--students", str(students), "--staff", str(staff)])
    assert result.exit_code == 0, result.output


def save(name: str, figures: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({
        "benchmark": name, "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": _cpus()}, **figures,
    }, indent=2) + "\n")
    return path


def wipe(database_url: str, redis_url: str | None = None) -> None:
    """Empty a benchmark's PostgreSQL database (its public schema) and Redis database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    if redis_url:
        import redis

        redis.Redis.from_url(redis_url).flushdb()


def _cpus() -> int:
    import os

    return os.cpu_count() or 0

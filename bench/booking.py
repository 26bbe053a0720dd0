"""Booking throughput and latency through the service layer, and the raw ceiling.

For 1, 8, 32 and 64 concurrent workers (processes, each with its own connection), on 1,000
slots (spread) and on 10 slots (hot): bookings per second and p50/p95/p99 latency of
``services.booking.book`` on PostgreSQL and SQLite, and on PostgreSQL the same row work
(the booking, its audit entry and its four outbox rows) done by pgbench with a custom script (the ceiling the service layer is compared with).
Then the read side on 100,000 slots and 500,000 bookings: one host's week of slots and
one student's bookings (p50/p95).

Usage: python bench/booking.py   (BENCH_SECONDS per run, default 4; BENCH_DATABASE_URL,
default the test database, whose public schema is WIPED). Writes bench/results/booking.json.
"""

from __future__ import annotations

import glob
import multiprocessing
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).parent))
from _common import percentiles, save, table  # noqa: E402

from sis_appointments.contract import SisUser, Student  # noqa: E402
from sis_appointments.database import make_engine, make_sessionmaker  # noqa: E402
from sis_appointments.models import metadata  # noqa: E402
from sis_appointments.plugin import sis_object_manager  # noqa: E402
from sis_appointments.services.scheduling import booking, queries  # noqa: E402

PG_URL = os.environ.get("BENCH_DATABASE_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SECONDS = float(os.environ.get("BENCH_SECONDS", "4"))
WORKERS = (1, 8, 32, 64)
SCENARIOS = {"spread": 1000, "hot": 10}
START = datetime(2031, 1, 6, 9, tzinfo=UTC)
ADMIN = SisUser(key="bench", name="Bench", roles=frozenset({"admin"}))


class Host:
    def appointments_get_student(self, student_key):
        return Student(key=student_key, name=student_key, program="BSc", cohort="2030")


def reset(url: str) -> str:
    if url.startswith("sqlite"):
        path = urlsplit(url).path.lstrip("/")
        for suffix in ("", "-wal", "-shm"):
            Path("/" + path + suffix).unlink(missing_ok=True)
        return url
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    return url


def prepare(url: str, n_slots: int, pool: int):
    """Fresh tables, one type and n_slots roomy slots (seats never run out)."""
    reset(url)
    engine = make_engine(url, 60)
    if engine.dialect.name == "postgresql":
        engine.dispose()
        engine = create_engine(url, pool_size=pool, max_overflow=0)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO appt_type (name, description, duration_minutes, capacity, "
            "buffer_before_minutes, buffer_after_minutes, timezone, min_notice_minutes, "
            "cancel_cutoff_minutes, eligibility, waitlist_enabled, active, version, created_at,"
            " updated_at) VALUES ('Bench', '', 30, 1000000, 0, 0, 'UTC', 0, 0, '{}', true, "
            "true, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        conn.execute(text(
            "INSERT INTO appt_slot (type_id, host_key, location, start_utc, end_utc, timezone,"
            " capacity, booked, status, version, created_at, updated_at) VALUES (1, :host, "
            "NULL, :start, :end, 'UTC', 1000000, 0, 'open', 1, CURRENT_TIMESTAMP, "
            "CURRENT_TIMESTAMP)"),
            [{"host": f"h{i}", "start": _when(engine, START + timedelta(hours=i)),
              "end": _when(engine, START + timedelta(hours=i, minutes=30))}
             for i in range(n_slots)])
    return engine


def _when(engine, instant: datetime):
    return instant.replace(tzinfo=None) if engine.dialect.name == "sqlite" else instant


def _worker(url: str, n: int, n_slots: int, start_line, stop_at: float, out) -> None:
    """One worker process: its own engine and connection, booking until ``stop_at``."""
    engine = make_engine(url, 60)
    factory = make_sessionmaker(engine, sis_object_manager(Host()))
    session, rng, latencies, errors = factory(), random.Random(n), [], []
    now = START - timedelta(days=1)
    start_line.wait()
    i = 0
    while time.time() < stop_at:
        i += 1
        began = time.perf_counter()
        try:
            booking.book(session, actor=ADMIN, slot_id=rng.randint(1, n_slots),
                         student_key=f"w{n}-{i}", now=now)
            latencies.append(time.perf_counter() - began)
        except Exception as exc:  # counted and reported, never hidden
            errors.append(type(exc).__name__)
    session.close()
    engine.dispose()
    out.put((latencies, errors))


def run_service(url: str, n_slots: int, workers: int) -> dict:
    """``workers`` processes (not threads: the GIL would make it a single-core test)."""
    context = multiprocessing.get_context("fork")
    start_line, out = context.Barrier(workers + 1), context.Queue()
    stop_at = time.time() + SECONDS + 2
    processes = [context.Process(target=_worker, args=(url, n, n_slots, start_line,
                                                       stop_at, out)) for n in range(workers)]
    for process in processes:
        process.start()
    start_line.wait()
    began = time.time()
    results = [out.get() for _ in processes]
    elapsed = stop_at - began
    for process in processes:
        process.join()
    latencies = [x for lat, _ in results for x in lat]
    errors = [e for _, err in results for e in err]
    return {"bookings_per_s": round(len(latencies) / elapsed, 1), "errors": len(errors),
            **percentiles(latencies)}


PGBENCH_SCRIPT = """\\set slot random(1, {n_slots})
\\set student random(1, 1000000000)
BEGIN;
SELECT id, host_key, status, start_utc, end_utc, type_id FROM appt_slot WHERE id = :slot;
SELECT id, active, timezone FROM appt_type WHERE id = 1;
UPDATE appt_slot SET booked = booked + 1 WHERE id = :slot AND status = 'open' AND booked < capacity;
SELECT pg_advisory_xact_lock(:student);
SELECT id FROM appt_booking WHERE slot_id = :slot AND student_key = 'p' || :student AND status IN ('confirmed', 'attended', 'no_show', 'excused');
SELECT b.id, s.start_utc, s.end_utc, s.type_id FROM appt_booking b JOIN appt_slot s ON s.id = b.slot_id WHERE b.student_key = 'p' || :student AND b.status IN ('confirmed', 'attended', 'no_show', 'excused') AND s.end_utc > now();
INSERT INTO appt_booking (slot_id, student_key, status, reason, notes, booked_by, version, created_at, updated_at) VALUES (:slot, 'p' || :student, 'confirmed', '', '', 'bench', 1, now(), now());
INSERT INTO appt_audit_log (at, actor_key, action, entity_type, entity_id, after) VALUES (now(), 'bench', 'booking.created', 'booking', '0', '{{}}');
SELECT user_key, event, channel, enabled, options FROM appt_notification_preference WHERE user_key IN ('p' || :student, 'host') AND event IN ('booking_created', 'reminder');
INSERT INTO appt_notification (event, recipient_key, channel, payload, dedupe_key, status, attempts, next_attempt_at, created_at, updated_at) VALUES ('booking_created', 'p' || :student, 'email', '{{}}', 'e' || :student || random(), 'pending', 0, now(), now(), now()), ('booking_created', 'p' || :student, 'inapp', '{{}}', 'i' || :student || random(), 'pending', 0, now(), now(), now()), ('booking_created', 'host', 'email', '{{}}', 'h' || :student || random(), 'pending', 0, now(), now(), now()), ('booking_created', 'host', 'inapp', '{{}}', 'j' || :student || random(), 'pending', 0, now(), now(), now());
END;
"""


def run_pgbench(n_slots: int, workers: int) -> dict:
    binary = sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"))[-1]
    parts = urlsplit(PG_URL.replace("+psycopg", ""))
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "book.sql"
        script.write_text(PGBENCH_SCRIPT.format(n_slots=n_slots))
        result = subprocess.run(
            [binary, "-n", "--max-tries=10", "-f", str(script), "-c", str(workers),
             "-j", str(min(workers, 2)),
             "-T", str(int(SECONDS)), "-l", "--log-prefix", f"{tmp}/log",
             "-h", parts.hostname, "-p", str(parts.port or 5432), "-U", parts.username,
             parts.path.lstrip("/")], capture_output=True, text=True)
        if result.returncode:  # e.g. a deadlock beyond the retries: say what pgbench said
            raise RuntimeError(f"pgbench failed: {result.stderr[-2000:]}")
        tps = float(re.search(r"tps = ([\d.]+)", result.stdout).group(1))
        samples = [int(line.split()[2]) / 1e6 for log in glob.glob(f"{tmp}/log*")
                   for line in Path(log).read_text().splitlines()]
    return {"bookings_per_s": round(tps, 1), **percentiles(samples)}


def write_side(url: str, label: str, with_pgbench: bool) -> list[dict]:
    rows = []
    for scenario, n_slots in SCENARIOS.items():
        for workers in WORKERS:
            prepare(url, n_slots, 2).dispose()
            row = {"database": label, "slots": f"{scenario} ({n_slots})", "workers": workers,
                   **run_service(url, n_slots, workers)}
            if with_pgbench:
                ceiling = run_pgbench(n_slots, workers)
                row["pgbench_per_s"] = ceiling["bookings_per_s"]
                row["pgbench_p95_ms"] = ceiling["p95_ms"]
                row["ratio"] = round(row["bookings_per_s"] / ceiling["bookings_per_s"], 3)
            rows.append(row)
            print(table([row], list(row)).splitlines()[-1], flush=True)
    return rows


def read_side(url: str, label: str) -> dict:
    """100,000 slots (500 hosts, one a day each for 200 days) and 500,000 bookings (5 per slot,
    20,000 students); each query asks for a week within those 200 days, so it finds about 7
    slots (with their bookings)."""
    reset(url)
    engine = make_engine(url, 60)
    metadata.create_all(engine)
    prepare_sql = _bulk_sql(engine.dialect.name)
    with engine.begin() as conn:
        for statement in prepare_sql:
            conn.execute(text(statement))
    factory = make_sessionmaker(engine, sis_object_manager(Host()))
    session, rng = factory(), random.Random(1)
    week, student, found = [], [], []
    for _ in range(200):
        start = START + timedelta(days=rng.randint(0, 190))
        began = time.perf_counter()
        found.append(len(queries.slot_range(session, start, start + timedelta(days=7),
                                            host_key=f"h{rng.randint(0, 499)}")))
        week.append(time.perf_counter() - began)
        began = time.perf_counter()
        queries.student_bookings(session, f"s{rng.randint(0, 19999)}", now=START)
        student.append(time.perf_counter() - began)
        session.rollback()
    session.close()
    engine.dispose()
    assert min(found) > 0, "a host's week found no slots: the data does not cover the weeks"
    return {"database": label, "slots_per_week": round(sum(found) / len(found), 1),
            "host_week": percentiles(week),
            "student_bookings": percentiles(student)}


def _bulk_sql(dialect: str) -> list[str]:
    if dialect == "postgresql":
        series_slots = "SELECT g FROM generate_series(0, 99999) AS g"
        series_bookings = "SELECT g FROM generate_series(0, 499999) AS g"
        at = ("TIMESTAMPTZ '2031-01-06 09:00+00' + (g / 500) * INTERVAL '1 day' "
              "+ (g % 8) * INTERVAL '1 hour'")
        until = at + " + INTERVAL '30 minutes'"
        concat = "'{p}' || ({e})"
    else:
        series_slots = ("WITH RECURSIVE n(g) AS (SELECT 0 UNION ALL SELECT g + 1 FROM n "
                        "WHERE g < 99999) SELECT g FROM n")
        series_bookings = series_slots.replace("99999", "499999")
        at = ("datetime('2031-01-06 09:00:00', '+' || (g / 500) || ' days', "
              "'+' || (g % 8) || ' hours')")
        until = ("datetime('2031-01-06 09:30:00', '+' || (g / 500) || ' days', "
                 "'+' || (g % 8) || ' hours')")
        concat = "'{p}' || ({e})"
    return [
        "INSERT INTO appt_type (name, description, duration_minutes, capacity, "
        "buffer_before_minutes, buffer_after_minutes, timezone, min_notice_minutes, "
        "cancel_cutoff_minutes, eligibility, waitlist_enabled, active, version, created_at, "
        "updated_at) VALUES ('Bench', '', 30, 10, 0, 0, 'UTC', 0, 0, '{}', true, true, 1, "
        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        "INSERT INTO appt_slot (type_id, host_key, start_utc, end_utc, timezone, capacity, "
        f"booked, status, version, created_at, updated_at) SELECT 1, {concat.format(p='h', e='g % 500')}, "
        f"{at}, {until}, 'UTC', 10, 5, 'open', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP "
        f"FROM ({series_slots}) AS q",
        "INSERT INTO appt_booking (slot_id, student_key, status, reason, notes, version, "
        f"created_at, updated_at) SELECT (g % 100000) + 1, "
        f"{concat.format(p='s', e='((g % 100000) * 5 + g / 100000) % 20000')}, 'confirmed', '',"
        f" '', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM ({series_bookings}) AS q",
        "ANALYZE" if dialect == "postgresql" else "ANALYZE",
    ]


def main() -> None:
    sqlite_url = f"sqlite:///{tempfile.gettempdir()}/sis_appointments_bench.sqlite"
    print(f"booking benchmark: {SECONDS:g} s per run; PostgreSQL {PG_URL}")
    columns = ["database", "slots", "workers", "bookings_per_s", "p50_ms", "p95_ms", "p99_ms",
               "errors", "pgbench_per_s", "pgbench_p95_ms", "ratio"]
    writes = write_side(PG_URL, "postgresql", True) + write_side(sqlite_url, "sqlite", False)
    reads = [read_side(PG_URL, "postgresql"), read_side(sqlite_url, "sqlite")]
    print()
    print(table(writes, columns))
    print()
    print(table([{"database": r["database"], "query": q, **r[q]} for r in reads
                 for q in ("host_week", "student_bookings")],
                ["database", "query", "p50_ms", "p95_ms", "p99_ms"]))
    print(f"\nwrote {save('booking', {'seconds_per_run': SECONDS, 'writes': writes, 'reads': reads})}")


if __name__ == "__main__":
    main()

"""The API under gunicorn on PostgreSQL: slot range queries and bookings at 50 and 500
concurrent clients (locust, headless, in its own virtual environment) beside a minimal
Flask endpoint on the same server (the web layer's ceiling), and a stampede of 500
simultaneous bookings on one slot of capacity 20.

Usage: python bench/api.py  (BENCH_SECONDS per run, default 15; BENCH_DATABASE_URL, default
the test database, whose public schema is WIPED). Writes bench/results/api.json.
"""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import percentiles, save, table  # noqa: E402

ROOT = Path(__file__).parents[1]
PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SECONDS = int(os.environ.get("BENCH_SECONDS", "15"))
LOCUST_VENV = ROOT / "bench" / ".venv-locust"
API = "/api/appointments/v1"


def ensure_tools() -> Path:
    if not (LOCUST_VENV / "bin" / "locust").exists():
        subprocess.run([sys.executable, "-m", "venv", str(LOCUST_VENV)], check=True)
        subprocess.run([str(LOCUST_VENV / "bin" / "pip"), "install", "-q", "locust"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "gunicorn"], check=True)
    return LOCUST_VENV / "bin" / "locust"


def prepare(students: int = 600) -> dict:
    """Fresh database, the seeded reference SIS, roomy slots and a token per student."""
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    os.environ["BENCH_DATABASE_URL"] = PG_URL
    from demo_sis import create_app
    from demo_sis.extensions import db
    from demo_sis.models import User
    from sqlalchemy import select

    from sis_appointments.contract import SisUser
    from sis_appointments.models import metadata, utcnow
    from sis_appointments.services.accounts import tokens
    from sis_appointments.services.scheduling import appointment_types, slots

    app = create_app({"SQLALCHEMY_DATABASE_URI": PG_URL, "SECRET_KEY": "bench"})
    with app.app_context():
        db.create_all()
        metadata.create_all(app.extensions["sis_appointments"].engine)
        app.test_cli_runner().invoke(args=["seed", "--students", str(students), "--staff", "4"])
        session = app.extensions["sis_appointments"].sessionmaker()
        admin = SisUser(key="bench", name="Bench", roles=frozenset({"admin"}))
        host = "bench-host"  # a calendar of its own: the seeded series cannot collide with it
        roomy = appointment_types.create(session, actor=admin, name="Drop-in", duration_minutes=30,
                             capacity=1000, timezone="UTC", hosts=[host])
        start = (utcnow() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
        made = []
        for day in range(20):
            made += slots.create_custom(session, actor=admin, type_id=roomy.id,
                                        host_key=host,
                                        start=start + timedelta(days=day, hours=0),
                                        end=start + timedelta(days=day, hours=10))
        stampede = slots.create_custom(session, actor=admin, type_id=roomy.id,
                                       host_key=host, capacity=20, split=False,
                                       start=start + timedelta(days=30),
                                       end=start + timedelta(days=30, minutes=30))[0]
        keys = [str(u.id) for u in db.session.scalars(select(User).where(
            User.role == "student"))]
        secrets = [tokens.create(session, actor=SisUser(key=k, name=k,
                                                         roles=frozenset({"student"})),
                                 name="bench", scope="write")[1] for k in keys]
        windows = [((start + timedelta(days=d)).isoformat(),
                    (start + timedelta(days=d + 7)).isoformat()) for d in range(14)]
        session.close()
    return {"tokens": secrets, "slots": [s.id for s in made], "stampede": stampede.id,
            "windows": windows}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(port: int) -> subprocess.Popen:
    env = {**os.environ, "BENCH_DATABASE_URL": PG_URL, "BENCH_REDIS_URL": REDIS_URL}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-k", "gthread", "--threads", "8",
         "-b", f"127.0.0.1:{port}", "--log-level", "warning", "bench.api_app:app"],
        cwd=ROOT, env=env)
    for _ in range(60):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/ping", timeout=5)
            return process
        except OSError:  # refused, reset or timed out while the workers start
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def run_locust(locust: Path, port: int, task: str, users: int, world: dict) -> dict:
    prefix = f"/tmp/sis-bench-{task}-{users}"
    env = {**os.environ, "BENCH_TASK": task, "BENCH_TOKENS": json.dumps(world["tokens"]),
           "BENCH_SLOTS": json.dumps(world["slots"]),
           "BENCH_WINDOW": json.dumps(world["windows"])}
    subprocess.run([str(locust), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
                    "-u", str(users), "-r", str(users), "-t", f"{SECONDS}s",
                    "--host", f"http://127.0.0.1:{port}", "--csv", prefix, "--only-summary"],
                   env=env, check=True, capture_output=True)
    with open(f"{prefix}_stats.csv") as stats:
        row = next(r for r in csv.DictReader(stats) if r["Name"] == "Aggregated")
    return {"task": task, "clients": users, "requests_per_s": round(float(
        row["Requests/s"]), 1), "p50_ms": row["50%"], "p95_ms": row["95%"],
        "p99_ms": row["99%"], "failures": row["Failure Count"]}


def stampede(port: int, world: dict) -> dict:
    """500 students press book on one capacity-20 slot at the same moment."""
    gate, results = threading.Event(), []
    url = f"http://127.0.0.1:{port}{API}/slots/{world['stampede']}/bookings"

    def press(token: str):
        request = urllib.request.Request(url, data=b"{}", method="POST", headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        gate.wait(10)
        began = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        return status, time.perf_counter() - began

    with ThreadPoolExecutor(500) as pool:
        futures = [pool.submit(press, token) for token in world["tokens"][:500]]
        time.sleep(1)
        gate.set()
        results = [f.result() for f in futures]
    codes = [c for c, _ in results]
    return {"requests": len(results), "created": codes.count(201),
            "conflicts": codes.count(409), "other": len(codes) - codes.count(201)
            - codes.count(409), **percentiles([t for _, t in results])}


def main() -> None:
    locust = ensure_tools()
    world = prepare()
    port = free_port()
    server = start_gunicorn(port)
    try:
        rows = [run_locust(locust, port, task, users, world)
                for task in ("ping", "range", "book") for users in (50, 500)]
        for row in rows:
            print(table([row], list(row)).splitlines()[-1], flush=True)
        burst = stampede(port, world)
    finally:
        server.terminate()
        server.wait(10)
    print()
    print(table(rows, ["task", "clients", "requests_per_s", "p50_ms", "p95_ms", "p99_ms",
                       "failures"]))
    print(f"\nstampede: {burst}")
    print(f"wrote {save('api', {'seconds_per_run': SECONDS, 'runs': rows, 'stampede': burst})}")


if __name__ == "__main__":
    main()

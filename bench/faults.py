"""Faults injected while 500 students book (issue #14 item 6): gunicorn (2 workers x 8
gthread threads) serving the reference SIS with the plugin on PostgreSQL, with a Redis of
its own (a redis-server on a free port, so it can be stopped), and each scenario a stampede
of 500 students on a slot of capacity 20, every request with its own Idempotency-Key:

1. ``worker killed``: a gunicorn worker is SIGKILLed while the stampede runs (gunicorn
   starts a new one);
2. ``redis stopped``: the Redis server is stopped while it runs and started again after;
3. ``connections terminated``: ``pg_terminate_backend`` ends every connection of the app's
   database but the checker's, twice, while it runs.

A request that got no answer or a 5xx is repeated with its key (as a client following the
README does) until it gets a definite one. After each scenario the checks (the bench exits
non-zero if one fails): exactly 20 bookings (the capacity); a student holds a seat exactly
when their final answer was 201 or "carried out" (``idempotency_completed``), every other
final answer is ``slot_full``; every key resolved
(201, a refusal, or after the 60 s lease "carried out, its answer lost", never "in
progress" for good), the booking invariants (tests/engine/invariants.py) and the
outbox: one ``booking_created`` row per booking, person and channel, none doubled.

Usage: python bench/faults.py  (BENCH_DATABASE_URL, default
postgresql+psycopg://postgres@127.0.0.1:5432/faults_bench, whose public schema is WIPED).
Writes bench/results/faults.json.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "engine"))
PG_URL = os.environ.setdefault(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/faults_bench")
from _common import fresh_schema, save, table  # noqa: E402

CAPACITY, STUDENTS = 20, 500


class RedisServer:
    """A redis-server of the bench's own, on a free port, that can be stopped and started."""

    def __init__(self):
        import api

        self.port = api.free_port()
        self.dir = tempfile.mkdtemp(prefix="faults-redis-")
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", self.dir], stdout=subprocess.DEVNULL)
        time.sleep(0.5)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


def workers_of(master: subprocess.Popen) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(master.pid)], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def terminate_connections() -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_URL)
    with engine.connect() as conn:
        ended = conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    engine.dispose()
    return int(ended or 0)


def press_all(port: int, path: str, tokens: list[str], fault) -> dict:
    """Every student presses book once (own key), the fault strikes meanwhile; those
    without a definite answer repeat with their key until they have one."""
    url = f"http://127.0.0.1:{port}{path}"
    gate = threading.Event()
    keys = {token: uuid.uuid4().hex for token in tokens}

    def once(token: str) -> str | None:
        """201, or the refusal's code ("slot_full", ...), or None: no definite answer."""
        request = urllib.request.Request(url, data=b"{}", method="POST", headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json",
            "Idempotency-Key": keys[token]})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return str(response.status)
        except urllib.error.HTTPError as error:
            if error.code >= 500:
                return None
            code = json.loads(error.read() or b"{}").get("code", str(error.code))
            return None if code == "idempotency_in_progress" else code
        except OSError:  # reset, refused or timed out: no answer
            return None

    def press(token: str) -> tuple[str, int]:
        """Repeat with the key until a definite answer, as the README tells clients to
        (after an in-progress key's lease, 60 s, the answer is definite too)."""
        gate.wait(30)
        tries, deadline = 0, time.monotonic() + 180
        while True:
            tries += 1
            answer = once(token)
            if answer is not None or time.monotonic() > deadline:
                return answer or "no answer", tries
            time.sleep(0.5)

    with ThreadPoolExecutor(len(tokens)) as pool:
        futures = {token: pool.submit(press, token) for token in tokens}
        time.sleep(1)
        gate.set()
        struck = fault()
        answers = {token: f.result() for token, f in futures.items()}
    codes = Counter(answer for answer, _ in answers.values())
    return {"answers": answers, "codes": dict(codes), "struck": struck,
            "repeated": sum(1 for _, tries in answers.values() if tries > 1)}


def check(slot_id: int, tokens: dict[str, str], run: dict) -> list[str]:
    """The checks named in the module's docstring; returns what failed."""
    from invariants import violations
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from sis_appointments.models import (
        ACTIVE_BOOKING_STATUSES,
        Booking,
        Notification,
    )

    problems = []
    engine = create_engine(PG_URL)
    with Session(engine) as session:
        held = {b.student_key for b in session.scalars(select(Booking).where(
            Booking.slot_id == slot_id, Booking.status.in_(ACTIVE_BOOKING_STATUSES)))}
        if len(held) != CAPACITY:
            problems.append(f"{len(held)} bookings on a slot of capacity {CAPACITY}")
        carried_out = ("201", "idempotency_completed")  # booked, or "done, answer lost"
        for token, (answer, _) in run["answers"].items():
            if (answer in carried_out) != (tokens[token] in held):
                problems.append(f"{tokens[token]} answered {answer}, holds a seat: "
                                f"{tokens[token] in held}")
            if answer not in (*carried_out, "slot_full"):
                problems.append(f"{tokens[token]} ended with {answer}")
        rows = Counter((n.payload.get("entity_id"), n.recipient_key, n.channel)
                       for n in session.scalars(select(Notification).where(
                           Notification.event == "booking_created")))
        ids = {b.id for b in session.scalars(select(Booking).where(Booking.slot_id == slot_id))}
        mine = {k: v for k, v in rows.items() if k[0] in ids}
        if any(v > 1 for v in mine.values()):
            problems.append("a booking_created notification written twice")
        if {k[0] for k in mine} != ids:
            problems.append("a booking without its booking_created notifications")
        problems += violations(session)
    engine.dispose()
    return problems


def main() -> None:
    if shutil.which("redis-server") is None:
        sys.exit("redis-server is needed (apt-get install redis-server)")
    fresh_schema(PG_URL)
    redis_server = RedisServer()
    redis_server.start()
    os.environ["BENCH_REDIS_URL"] = redis_server.url
    import api

    api.PG_URL, api.REDIS_URL = PG_URL, redis_server.url
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "gunicorn"], check=True)
    print(f"faults benchmark: PostgreSQL {PG_URL}; Redis {redis_server.url} (its own)")
    world = api.prepare(students=STUDENTS)
    from sqlalchemy import create_engine, select

    from sis_appointments.models import ApiToken
    from sis_appointments.services.accounts import tokens as token_service

    engine = create_engine(PG_URL)
    with engine.connect() as conn:
        owners = dict(conn.execute(select(ApiToken.token_hash, ApiToken.user_key)).all())
    engine.dispose()
    student_of = {t: owners[token_service.digest(t)] for t in world["tokens"]}
    port = api.free_port()
    server = api.start_gunicorn(port)
    rows, failed = [], []
    try:
        def kill_a_worker():
            time.sleep(0.3)
            victim = workers_of(server)[0]
            os.kill(victim, signal.SIGKILL)
            return f"worker {victim} killed"

        def stop_redis():
            time.sleep(0.3)
            redis_server.stop()
            time.sleep(3)
            redis_server.start()
            return "Redis stopped for 3 s, then started"

        def end_connections():
            ended = 0
            for _ in range(2):
                time.sleep(0.3)
                ended += terminate_connections()
            return f"{ended} connections terminated"

        scenarios = {"worker killed": kill_a_worker, "redis stopped": stop_redis,
                     "connections terminated": end_connections}
        slots = list(world["stampedes"])
        for name, fault in scenarios.items():
            api.warm(port, world["tokens"][:STUDENTS])
            slot = slots.pop(0)
            began = time.perf_counter()
            run = press_all(port, f"{api.API}/slots/{slot}/bookings",
                            world["tokens"][:STUDENTS], fault)
            seconds = time.perf_counter() - began
            problems = check(slot, student_of, run)
            failed += [f"{name}: {p}" for p in problems]
            rows.append({"scenario": name, "fault": run["struck"],
                         "created": run["codes"].get("201", 0),
                         "answer_lost": run["codes"].get("idempotency_completed", 0),
                         "refused": run["codes"].get("slot_full", 0),
                         "repeated": run["repeated"], "seconds": round(seconds, 1),
                         "checks": "held" if not problems else f"{len(problems)} failed"})
            print(table([rows[-1]], COLUMNS).splitlines()[-1], flush=True)
    finally:
        server.terminate()
        server.wait(30)
        redis_server.stop()
    print()
    print(table(rows, COLUMNS))
    print(f"wrote {save('faults', {'students': STUDENTS, 'capacity': CAPACITY, 'results': rows})}")
    if failed:
        print("\n".join(["FAILED:", *failed]))
        sys.exit(1)
    print("all checks held")


COLUMNS = ["scenario", "fault", "created", "answer_lost", "refused", "repeated", "seconds",
           "checks"]

if __name__ == "__main__":
    main()

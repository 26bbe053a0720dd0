"""The API over HTTP against bare endpoints on the same server: gunicorn (2 workers x 8
gthread threads) serving the reference SIS with the plugin (Socket.IO and Redis included) on
PostgreSQL, plus the bare endpoints of bench/api_app.py in the same processes.

1. Ratios in alternated runs (A B B A ...; wrk, 50 connections): a booking through
   ``POST /slots/{id}/bookings`` against the bare seat UPDATE + booking INSERT, and a cached
   ``GET /slots`` (a week) against a bare hello.
2. Stampedes, plugin and bare alternated: 500 students press "book" at the same moment on a
   slot of capacity 20 (counts of 201/409 and p50/p95/p99).
3. 500 users with think time for BENCH_THINK_SECONDS (default 300; locust): 60 % calendar and
   availability, 25 % own bookings, 10 % book or cancel, 5 % calendar file export.

Usage: python bench/api.py  (BENCH_SECONDS per run, default 10; BENCH_ROUNDS pairs, default 4;
BENCH_THINK_SECONDS, 0 skips the think-time run; BENCH_DATABASE_URL, default the test
database, whose public schema is WIPED; BENCH_REDIS_URL, flushed). Run it with the machine
otherwise idle. Writes bench/results/api.json.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
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
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "4"))
THINK_SECONDS = int(os.environ.get("BENCH_THINK_SECONDS", "300"))
LOCUST_VENV = ROOT / "bench" / ".venv-locust"
API = "/api/appointments/v1"
STAMPEDES = 2  # per side, alternated: plugin, bare, bare, plugin


def ensure_tools() -> Path:
    if shutil.which("wrk") is None:
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True)
    if not (LOCUST_VENV / "bin" / "locust").exists():
        subprocess.run([sys.executable, "-m", "venv", str(LOCUST_VENV)], check=True)
        subprocess.run([str(LOCUST_VENV / "bin" / "pip"), "install", "-q", "locust"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "gunicorn"], check=True)
    return LOCUST_VENV / "bin" / "locust"


def prepare(students: int = 600) -> dict:
    """Fresh database, the seeded reference SIS, roomy slots, stampede slots and a token per
    student. Slots lie between 00:00 and 10:00 UTC (the demo campus's night), clear of every
    seeded class, so bookings are refused only for being full or already held."""
    import redis
    from sqlalchemy import create_engine, select, text

    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    redis.Redis.from_url(REDIS_URL).flushdb()
    os.environ["BENCH_DATABASE_URL"] = PG_URL
    from demo_sis import create_app
    from demo_sis.extensions import db
    from demo_sis.models import User

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
        start = (utcnow() + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        made = []
        for day in range(20):
            made += slots.create_custom(session, actor=admin, type_id=roomy.id, host_key=host,
                                        start=start + timedelta(days=day),
                                        end=start + timedelta(days=day, hours=10))
        crowded = [slots.create_custom(session, actor=admin, type_id=roomy.id, host_key=host,
                                       capacity=20, split=False,
                                       start=start + timedelta(days=30 + n),
                                       end=start + timedelta(days=30 + n, minutes=30))[0].id
                   for n in range(2 * STAMPEDES)]
        keys = [str(u.id) for u in db.session.scalars(select(User).where(
            User.role == "student").order_by(User.id))]
        secrets = [tokens.create(session, actor=SisUser(key=k, name=k,
                                                         roles=frozenset({"student"})),
                                 name="bench", scope="write")[1] for k in keys]
        windows = [((start + timedelta(days=d)).isoformat(),
                    (start + timedelta(days=d + 7)).isoformat()) for d in range(14)]
        session.close()
    return {"tokens": secrets, "slots": [s.id for s in made], "stampedes": crowded,
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
            urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/hello", timeout=5)
            return process
        except OSError:  # refused, reset or timed out while the workers start
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("gunicorn did not start")


# wrk: each kind of request as a Lua request() with random tokens, slots and weeks; done()
# prints one JSON line with the counts by status and the latency percentiles (microseconds).
WRK_SCRIPT = """
local tokens = %(tokens)s
local slots = %(slots)s
local windows = %(windows)s
local kind = "%(kind)s"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  ok, conflict, other = 0, 0, 0
end
function request()
  local auth = {["Authorization"] = "Bearer " .. tokens[math.random(#tokens)],
                ["Content-Type"] = "application/json"}
  if kind == "hello" then
    return wrk.format("GET", "/bench/hello")
  elseif kind == "range" then
    local w = windows[math.random(#windows)]
    return wrk.format("GET", "%(api)s/slots?limit=50&start=" .. w[1] .. "&end=" .. w[2], auth)
  elseif kind == "book" then
    return wrk.format("POST", "%(api)s/slots/" .. slots[math.random(#slots)] .. "/bookings",
                      auth, "{}")
  else
    return wrk.format("POST", "/bench/bare/slots/" .. slots[math.random(#slots)] .. "/bookings",
                      auth, "{}")
  end
end
function response(status, headers, body)
  if status < 300 then ok = ok + 1 elseif status == 409 then conflict = conflict + 1
  else other = other + 1 end
end
function done(summary, latency, requests)
  local o, c, x = 0, 0, 0
  for _, t in ipairs(threads) do
    o = o + t:get("ok"); c = c + t:get("conflict"); x = x + t:get("other")
  end
  io.write(string.format(
    'WRK {"requests": %%d, "seconds": %%.3f, "ok": %%d, "conflict": %%d, "other": %%d, ' ..
    '"socket_errors": %%d, "p50_us": %%d, "p95_us": %%d, "p99_us": %%d}\\n',
    summary.requests, summary.duration / 1e6, o, c, x,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def lua_list(items) -> str:
    def one(item):
        if isinstance(item, (list, tuple)):
            return lua_list(item)
        return str(item) if isinstance(item, int) else json.dumps(item.replace("+", "%2B"))
    return "{" + ",".join(one(i) for i in items) + "}"


def wrk(port: int, kind: str, world: dict, seconds: int = SECONDS, connections: int = 50) -> dict:
    script = WRK_SCRIPT % {"tokens": lua_list(world["tokens"]), "slots": lua_list(world["slots"]),
                           "windows": lua_list(world["windows"]), "kind": kind, "api": API}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout",
                              "30s", "-s", f.name, f"http://127.0.0.1:{port}"],
                             capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(f.name)
    line = next(x for x in out.splitlines() if x.startswith("WRK "))
    found = json.loads(line[4:])
    return {"kind": kind, "requests_per_s": round(found["requests"] / found["seconds"], 1),
            "ok": found["ok"], "conflict": found["conflict"], "other": found["other"],
            "socket_errors": found["socket_errors"], "p50_ms": found["p50_us"] / 1000,
            "p95_ms": found["p95_us"] / 1000, "p99_ms": found["p99_us"] / 1000}


def alternated(port: int, world: dict, plugin: str, bare: str) -> dict:
    """ROUNDS pairs in the order A B, B A, A B ...: each ratio from adjacent runs."""
    runs, ratios = [], []
    for n in range(ROUNDS):
        order = (plugin, bare) if n % 2 == 0 else (bare, plugin)
        pair = {kind: wrk(port, kind, world) for kind in order}
        runs += [pair[order[0]], pair[order[1]]]
        ratios.append(round(pair[plugin]["requests_per_s"] / pair[bare]["requests_per_s"], 3))
        print(f"  {plugin} {pair[plugin]['requests_per_s']}/s vs {bare} "
              f"{pair[bare]['requests_per_s']}/s: {ratios[-1]}", flush=True)
    return {"plugin": plugin, "bare": bare, "ratio_median": statistics.median(ratios),
            "ratio_min": min(ratios), "ratio_max": max(ratios), "ratios": ratios, "runs": runs}


def stampede(port: int, path: str, tokens: list[str]) -> dict:
    """500 students press book on one capacity-20 slot at the same moment."""
    gate = threading.Event()
    url = f"http://127.0.0.1:{port}{path}"

    def press(token: str):
        request = urllib.request.Request(url, data=b"{}", method="POST", headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        gate.wait(10)
        began = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        return status, time.perf_counter() - began

    with ThreadPoolExecutor(len(tokens)) as pool:
        futures = [pool.submit(press, token) for token in tokens]
        time.sleep(1)
        began = time.perf_counter()
        gate.set()
        results = [f.result() for f in futures]
        drained = time.perf_counter() - began
    codes = [c for c, _ in results]
    return {"requests": len(results), "created": codes.count(201),
            "conflicts": codes.count(409),
            "other": len(codes) - codes.count(201) - codes.count(409),
            "drained_s": round(drained, 2), **percentiles([t for _, t in results])}


def warm(port: int, tokens: list[str]) -> None:
    """Each student has the page open before the rush: their token is known to the server."""
    def me(token: str) -> None:
        request = urllib.request.Request(f"http://127.0.0.1:{port}{API}/me",
                                         headers={"Authorization": f"Bearer {token}"})
        for _ in range(2):  # two workers: each is likely to have seen it
            urllib.request.urlopen(request, timeout=60).read()

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(me, tokens))


def stampedes(port: int, world: dict) -> list[dict]:
    rows, slots = [], list(world["stampedes"])
    for n in range(2 * STAMPEDES):
        warm(port, world["tokens"][:500])
        side = ("plugin", "bare", "bare", "plugin")[n % 4]
        slot = slots.pop(0)
        path = (f"{API}/slots/{slot}/bookings" if side == "plugin"
                else f"/bench/bare/slots/{slot}/bookings")
        rows.append({"side": side, **stampede(port, path, world["tokens"][:500])})
        print(f"  stampede {rows[-1]}", flush=True)
    return rows


def think_time(locust: Path, port: int, world: dict) -> dict:
    prefix = f"{tempfile.gettempdir()}/sis-bench-think"
    env = {**os.environ, "BENCH_TOKENS": json.dumps(world["tokens"]),
           "BENCH_SLOTS": json.dumps(world["slots"]),
           "BENCH_WINDOW": json.dumps(world["windows"])}
    # locust exits 1 when any request failed: the failures are figures, not a crash
    subprocess.run([str(locust), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
                    "-u", "500", "-r", "50", "-t", f"{THINK_SECONDS}s",
                    "--host", f"http://127.0.0.1:{port}", "--csv", prefix, "--only-summary"],
                   env=env, check=False, capture_output=True)
    with open(f"{prefix}_stats.csv") as stats:
        rows = list(csv.DictReader(stats))
    pick = lambda r: {"name": r["Name"], "requests": int(r["Request Count"]),  # noqa: E731
                      "requests_per_s": round(float(r["Requests/s"]), 1),
                      "p50_ms": r["50%"], "p95_ms": r["95%"], "p99_ms": r["99%"],
                      "failures": int(r["Failure Count"])}
    with open(f"{prefix}_failures.csv") as failures:
        errors = [{"name": r["Name"], "error": r["Error"], "count": r["Occurrences"]}
                  for r in csv.DictReader(failures)]
    return {"users": 500, "seconds": THINK_SECONDS, "by_request": [pick(r) for r in rows],
            "errors": errors}


def main() -> None:
    locust = ensure_tools()
    world = prepare()
    port = free_port()
    server = start_gunicorn(port)
    figures: dict = {"seconds_per_run": SECONDS, "rounds": ROUNDS}
    try:
        for kind in ("hello", "range", "book", "bare"):  # warm both workers' caches and pools
            wrk(port, kind, world, seconds=2)
        print("booking: plugin vs bare", flush=True)
        figures["booking"] = alternated(port, world, "book", "bare")
        print("cached range vs hello", flush=True)
        figures["range"] = alternated(port, world, "range", "hello")
        print("stampedes (500 on capacity 20)", flush=True)
        figures["stampedes"] = stampedes(port, world)
        save("api", figures)  # kept if the last part fails
        if THINK_SECONDS:
            print(f"500 users with think time, {THINK_SECONDS} s", flush=True)
            figures["think_time"] = think_time(locust, port, world)
    finally:
        server.terminate()
        server.wait(10)
    print()
    for name in ("booking", "range"):
        f = figures[name]
        print(f"{f['plugin']} / {f['bare']}: median {f['ratio_median']} "
              f"(range {f['ratio_min']}-{f['ratio_max']})")
        print(table(f["runs"], ["kind", "requests_per_s", "ok", "conflict", "other",
                                "p50_ms", "p95_ms", "p99_ms"]))
    print()
    print(table(figures["stampedes"], ["side", "created", "conflicts", "other", "drained_s",
                                       "p50_ms", "p95_ms", "p99_ms"]))
    if "think_time" in figures:
        print()
        print(table(figures["think_time"]["by_request"], ["name", "requests", "requests_per_s",
                                                          "p50_ms", "p95_ms", "p99_ms",
                                                          "failures"]))
        print(f"errors: {figures['think_time']['errors']}")
    print(f"wrote {save('api', figures)}")


if __name__ == "__main__":
    main()

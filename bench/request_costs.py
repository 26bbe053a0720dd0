"""What one request costs, in figures that do not depend on how busy the machine is: SQL
statements and Redis round trips per request (counted), and the Python process's CPU time
per request, for the paths students and staff hit most. Requests go through the reference
SIS in-process (Flask's test client: no HTTP server, whose own cost is not counted) on
PostgreSQL, with Redis as the cache, rate-limit store and message queue.

Usage: python bench/request_costs.py  (BENCH_REQUESTS per path, default 200; BENCH_DATABASE_URL,
default the test database, whose public schema is WIPED; BENCH_REDIS_URL). Writes
bench/results/request_costs.json.
"""

from __future__ import annotations

import os
import re
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import save, table  # noqa: E402

PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
API = "/api/appointments/v1"


def prepare():
    """A fresh database with the seeded SIS, a roomy slot, a full one, and a token each."""
    import redis
    from sqlalchemy import create_engine, select, text

    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    redis.Redis.from_url(REDIS_URL).flushdb()
    from demo_sis import create_app
    from demo_sis.extensions import db
    from demo_sis.models import User

    from sis_appointments.contract import SisUser
    from sis_appointments.models import metadata, utcnow
    from sis_appointments.services.accounts import tokens
    from sis_appointments.services.scheduling import appointment_types, booking, slots

    app = create_app({"SQLALCHEMY_DATABASE_URI": PG_URL, "SECRET_KEY": "bench",
                      "SIS_APPOINTMENTS_REDIS_URL": REDIS_URL,
                      "SIS_APPOINTMENTS_RATE_LIMIT_WRITES": "100000/minute",
                      "SIS_APPOINTMENTS_RATE_LIMIT_TOKENS": "100000/minute"})
    with app.app_context():
        db.create_all()
        metadata.create_all(app.extensions["sis_appointments"].engine)
        app.test_cli_runner().invoke(args=["seed", "--students", str(3 * REQUESTS + 10),
                                           "--staff", "4"])
        session = app.extensions["sis_appointments"].sessionmaker()
        admin = SisUser(key="bench", name="Bench", roles=frozenset({"admin"}))
        roomy = appointment_types.create(session, actor=admin, name="Drop-in",
                                         duration_minutes=30, capacity=10_000,
                                         timezone="UTC", hosts=["bench-host"])
        # 03:00 UTC: evening on the demo campus, clear of every seeded class
        start = (utcnow() + timedelta(days=2)).replace(hour=3, minute=0, second=0,
                                                        microsecond=0)
        big = slots.create_custom(session, actor=admin, type_id=roomy.id, host_key="bench-host",
                                  start=start, end=start + timedelta(minutes=30), split=False)
        full = slots.create_custom(session, actor=admin, type_id=roomy.id, capacity=1,
                                   host_key="bench-host", split=False,
                                   start=start + timedelta(hours=2),
                                   end=start + timedelta(hours=2, minutes=30))
        students = db.session.scalars(select(User).where(User.role == "student")
                                      .order_by(User.id)).all()
        booking.book(session, actor=admin, slot_id=full[0].id, student_key=str(students[-1].id))
        made = [(u.username, tokens.create(session, actor=SisUser(
            key=str(u.id), name=u.name, roles=frozenset({"student"})), name="bench",
            scope="write")[1]) for u in students]
        admin_user = db.session.scalar(select(User).where(User.role == "admin"))
        session.close()
    window = {"start": (start - timedelta(days=1)).isoformat(),
              "end": (start + timedelta(days=6)).isoformat()}
    return app, {"big": big[0].id, "full": full[0].id, "students": made,
                 "admin": admin_user.username, "window": window}


@contextmanager
def counting(app):
    """Counts SQL statements (both engines) and Redis commands while the block runs."""
    import redis
    from demo_sis.extensions import db
    from sqlalchemy import event

    with app.app_context():
        engines = [db.engine, app.extensions["sis_appointments"].engine]
    counts = {"sql": 0, "redis": 0}

    def statement(*_args):
        counts["sql"] += 1

    plain_execute, plain_pipeline = redis.Redis.execute_command, redis.client.Pipeline.execute

    def command(self, *args, **kwargs):
        counts["redis"] += 1
        return plain_execute(self, *args, **kwargs)

    def pipeline(self, *args, **kwargs):
        counts["redis"] += 1  # one round trip, whatever it holds
        return plain_pipeline(self, *args, **kwargs)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", statement)
    redis.Redis.execute_command, redis.client.Pipeline.execute = command, pipeline
    try:
        yield counts
    finally:
        redis.Redis.execute_command, redis.client.Pipeline.execute = plain_execute, plain_pipeline
        for engine in engines:
            event.remove(engine, "before_cursor_execute", statement)


def login(app, username):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": username, "password": "demo", "csrf_token": csrf})
    return client


def measure(app, name, calls, expect):
    """Run each call once (after one warm-up not counted) and report the cost per request."""
    calls[0]()  # warm-up: first-request work (token resolved, templates compiled)
    calls = calls[1:]
    with counting(app) as counts:
        cpu, wall = time.process_time(), time.perf_counter()
        statuses = [call() for call in calls]
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    wrong = [s for s in statuses if s not in expect]
    if wrong:
        print(f"{name}: unexpected statuses {sorted(set(wrong))}", file=sys.stderr)
    n = len(calls)
    return {"path": name, "requests": n, "sql_per_request": round(counts["sql"] / n, 2),
            "redis_per_request": round(counts["redis"] / n, 2),
            "cpu_ms_per_request": round(cpu / n * 1000, 2),
            "wall_ms_per_request": round(wall / n * 1000, 2), "unexpected": len(wrong)}


def main() -> None:
    app, world = prepare()
    n = REQUESTS
    students = world["students"]
    token_clients = [(app.test_client(), token) for _, token in students]

    def api(client_token, method, path, **kw):
        client, token = client_token
        headers = {"Authorization": f"Bearer {token}", **kw.pop("headers", {})}
        return lambda: getattr(client, method)(API + path, headers=headers, **kw).status_code

    big, full, window = world["big"], world["full"], world["window"]
    rows = []
    for client in token_clients[:n + 1]:  # tokens resolved once, as for a client in use
        client[0].get(API + "/me", headers={"Authorization": f"Bearer {client[1]}"})
    rows.append(measure(app, "book (token)", [
        api(c, "post", f"/slots/{big}/bookings", json={}) for c in token_clients[:n + 1]],
        {201}))
    rows.append(measure(app, "book (token, Idempotency-Key)", [
        api(c, "post", f"/slots/{big}/bookings", json={}, headers={"Idempotency-Key": f"k{i}"})
        for i, c in enumerate(token_clients[n + 1:2 * n + 2])], {201}))
    rows.append(measure(app, "book a full slot (409)", [
        api(c, "post", f"/slots/{full}/bookings", json={}) for c in token_clients[:n + 1]],
        {409}))
    reader = token_clients[0]
    rows.append(measure(app, "GET /slots (cached)", [
        api(reader, "get", "/slots", query_string=window) for _ in range(n + 1)], {200}))
    uncached = []
    for i in range(n + 1):  # a different window each time: never a cache hit
        shifted = {**window, "end": window["end"].replace(":00:00", f":{i // 60:02d}:{i % 60:02d}")}
        uncached.append(api(reader, "get", "/slots", query_string=shifted))
    rows.append(measure(app, "GET /slots (not cached)", uncached, {200}))
    student_page = login(app, students[2 * n + 2][0])
    rows.append(measure(app, "student book page (HTML)", [
        (lambda: student_page.get("/appointments/book").status_code) for _ in range(n + 1)],
        {200}))
    admin_page = login(app, world["admin"])
    rows.append(measure(app, "admin dashboard (HTML)", [
        (lambda: admin_page.get("/admin/appointments/").status_code) for _ in range(n + 1)],
        {200}))
    print(table(rows, ["path", "requests", "sql_per_request", "redis_per_request",
                       "cpu_ms_per_request", "wall_ms_per_request", "unexpected"]))
    print(f"\nwrote {save('request_costs', {'requests_per_path': n, 'rows': rows})}")


if __name__ == "__main__":
    main()

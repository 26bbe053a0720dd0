"""The report pages on a large world: each report for a term, for one host, one office and
all calendars (issue #12: reports <= 500 ms p95).

The world, on PostgreSQL: the reference SIS seeded with 500 staff (each in one of its five
offices, which the SIS gives the plugin as the staff member's group) and an admin; ten
appointment types; 100,000 slots (one a host a day for 200 days from Monday 7 September
2026, 09:00-16:30 New York time, 8 seats each) and 500,000 bookings (5 a slot: attended,
confirmed, no-shows, excused, cancelled and late-cancelled, made 0-29 days ahead), slot
seat counts matching them; 50,000 waitlist places and 20,000 reschedules in the audit log.
All of it is made by bulk INSERT ... SELECT FROM generate_series.

Then in-process (Flask's test client: no HTTP server counted), logged in as the admin, each
report page (the summary and the six reports) for a term (15 weeks, 7 September to 20
December) for one host, one office and all calendars, BENCH_REQUESTS times each after one
warm-up: p50/p95 server time (wall time around the client's call), the median CPU time of
the thread, and SQL statements per request (the SIS's engine and the plugin's).

Usage: python bench/reports.py  (BENCH_REQUESTS, default 20; BENCH_DATABASE_URL, default
postgresql+psycopg://postgres@127.0.0.1:5432/admin_reports_bench, whose public schema is
WIPED). Writes bench/results/reports.json.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import fresh_schema, save, seed_people, table  # noqa: E402
from portal import Statements, login, measure  # noqa: E402

PG_URL = os.environ.get("BENCH_DATABASE_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/admin_reports_bench")
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "20"))
TERM = {"from": "2026-09-07", "to": "2026-12-20"}
DAYS, TYPES = 200, 10
ACTIVE = "('confirmed', 'attended', 'no_show', 'excused')"

WORLD_SQL = [
    # ten types
    "INSERT INTO appt_type (name, description, duration_minutes, capacity, "
    "buffer_before_minutes, buffer_after_minutes, timezone, min_notice_minutes, "
    "cancel_cutoff_minutes, eligibility, waitlist_enabled, reason_required, active, version, "
    "created_at, updated_at) SELECT 'Type ' || t, '', 30, 8, 0, 0, 'America/New_York', 0, "
    "0, '{}', true, false, true, 1, now(), now() FROM generate_series(1, 10) AS t",
    # slot g: host g % hosts, day g / hosts, 09:00-16:30 New York (EDT then EST)
    "INSERT INTO appt_slot (type_id, host_key, location, start_utc, end_utc, timezone, "
    "capacity, booked, status, version, created_at, updated_at) "
    "SELECT 1 + (g / :hosts + h.n) % 10, h.key, 'Room ' || h.n, s.at, "
    "s.at + INTERVAL '30 minutes', 'America/New_York', 8, 0, "
    "CASE WHEN g % 97 = 0 THEN 'cancelled' ELSE 'open' END, 1, now(), now() "
    "FROM generate_series(0, :slots - 1) AS g "
    "JOIN bench_host h ON h.n = g % :hosts "
    "CROSS JOIN LATERAL (SELECT timezone('America/New_York', TIMESTAMP '2026-09-07 09:00' "
    "+ (g / :hosts) * INTERVAL '1 day' + (g % 16) * INTERVAL '30 minutes') AS at) AS s",
    # booking g: slot g % slots + 1, five students a slot, statuses by g % 20
    "INSERT INTO appt_booking (slot_id, student_key, status, reason, notes, booked_by, "
    "cancelled_by, version, created_at, updated_at) "
    "SELECT s.id, 's' || (((g % :slots) * 5 + g / :slots) % 20000), b.status, '', '', "
    "'bench', CASE WHEN b.status IN ('cancelled', 'late_cancelled') THEN "
    "'s' || (((g % :slots) * 5 + g / :slots) % 20000) END, 1, "
    "s.start_utc - (g % 30) * INTERVAL '1 day' - (g % 7) * INTERVAL '1 hour', now() "
    "FROM generate_series(0, :bookings - 1) AS g JOIN appt_slot s ON s.id = g % :slots + 1 "
    "CROSS JOIN LATERAL (SELECT CASE WHEN s.status = 'cancelled' THEN 'cancelled' "
    "WHEN g % 20 = 0 THEN 'no_show' WHEN g % 20 = 1 THEN 'cancelled' "
    "WHEN g % 20 = 2 THEN 'late_cancelled' WHEN g % 20 = 3 THEN 'excused' "
    "WHEN s.start_utc > TIMESTAMPTZ '2026-12-01 14:00+00' THEN 'confirmed' "
    "ELSE 'attended' END AS status) AS b",
    f"UPDATE appt_slot s SET booked = n.n FROM (SELECT slot_id, count(*) AS n FROM "
    f"appt_booking WHERE status IN {ACTIVE} GROUP BY slot_id) AS n WHERE n.slot_id = s.id",
    # waitlist places: 50,000 on every second slot, some promoted, most expired or waiting
    "INSERT INTO appt_waitlist_entry (slot_id, student_key, status, created_at, updated_at) "
    "SELECT (g * 2) % :slots + 1, 'w' || (g % 15000), CASE g % 4 WHEN 0 THEN 'promoted' "
    "WHEN 1 THEN 'expired' WHEN 2 THEN 'left' ELSE 'waiting' END, now(), now() "
    "FROM generate_series(0, 49999) AS g",
    # 20,000 reschedules
    "INSERT INTO appt_audit_log (at, actor_key, action, entity_type, entity_id) "
    "SELECT now(), 'bench', 'booking.rescheduled', 'booking', (g * 25 + 1)::text "
    "FROM generate_series(0, 19999) AS g",
    "ANALYZE",
]


def prepare():
    """The seeded SIS with 500 staff, and the bulk world of the plugin's tables."""
    from demo_sis import create_app
    from demo_sis.extensions import db
    from demo_sis.models import User
    from sqlalchemy import select, text


    fresh_schema(PG_URL)
    app = create_app({"SQLALCHEMY_DATABASE_URI": PG_URL, "SECRET_KEY": "bench",
                      "SIS_DISABLE_PLUGIN_AUTOLOAD": False})
    with app.app_context():
        seed_people(app, 1, 500)
        plugin_engine = app.extensions["sis_appointments"].engine
        staff = db.session.execute(select(User.id, User.office).where(User.role == "staff")
                                   .order_by(User.id)).all()[:500]
    hosts = len(staff)
    began = time.perf_counter()
    with plugin_engine.begin() as conn:
        conn.execute(text("CREATE TEMPORARY TABLE bench_host (n integer, key text)"))
        conn.execute(text("INSERT INTO bench_host VALUES (:n, :key)"),
                     [{"n": n, "key": str(user_id)} for n, (user_id, _) in enumerate(staff)])
        size = {"hosts": hosts, "slots": hosts * DAYS, "bookings": hosts * DAYS * 5}
        for statement in WORLD_SQL:
            conn.execute(text(statement).bindparams(
                **{k: v for k, v in size.items() if f":{k}" in statement}))
        counts = {name: conn.scalar(text(f"SELECT count(*) FROM appt_{name}"))
                  for name in ("slot", "booking", "waitlist_entry", "audit_log")}
    counts["seconds_to_build"] = round(time.perf_counter() - began, 1)
    host_key, office = str(staff[0][0]), staff[0][1]
    return app, counts, host_key, office


def main() -> None:
    print(f"reports benchmark: {REQUESTS} requests per measure; PostgreSQL {PG_URL}")
    app, world, host_key, office = prepare()
    print(f"world: {world}")
    client = login(app, "admin")
    scopes = {"one host": {"host": host_key}, "one office": {"office": office}, "all": {}}
    pages = {"summary": "", **{name: f"/{name}" for name in (
        "usage", "attendance", "lead-time", "cancellations", "waitlist", "busiest")}}
    rows = []
    for scope, narrow in scopes.items():
        for report, path in pages.items():
            query = {**TERM, **narrow}
            url = f"/admin/appointments/reports{path}"

            def call(url=url, query=query):
                return client.get(url, query_string=query)

            row = {"report": report, "scope": scope,
                   **measure(app, f"{report} ({scope})", call, n=REQUESTS)}
            assert row["statuses"] == [200], row
            rows.append(row)
            print(table([row], COLUMNS).splitlines()[-1], flush=True)
    # The staff pages over the same world (issue #12: the calendar's event feed <= 50 ms p95
    # and <= 5 statements; the dashboard).
    week, month = ("2026-11-02T00:00:00", "2026-11-09T00:00:00"), \
        ("2026-11-01T00:00:00", "2026-12-01T00:00:00")
    staff_pages = {
        ("calendar events", "one host's week"): (
            "/admin/appointments/calendar/events",
            {"start": week[0], "end": week[1], "host": host_key}),
        ("calendar events", "one host's month"): (
            "/admin/appointments/calendar/events",
            {"start": month[0], "end": month[1], "host": host_key}),
        ("calendar page", "one host's week"): (
            "/admin/appointments/calendar", {"host": host_key, "week": week[0][:10]}),
        ("dashboard", "one host"): ("/admin/appointments/", {"host": host_key}),
        ("dashboard", "all"): ("/admin/appointments/", {}),
    }
    for (report, scope), (url, query) in staff_pages.items():
        row = {"report": report, "scope": scope,
               **measure(app, f"{report} ({scope})",
                         lambda url=url, query=query: client.get(url, query_string=query),
                         n=REQUESTS)}
        assert row["statuses"] == [200], row
        rows.append(row)
        print(table([row], COLUMNS).splitlines()[-1], flush=True)
    print()
    print(table(rows, COLUMNS))
    worst = max(r["p95_ms"] for r in rows)
    print(f"\nslowest p95: {worst} ms (target: reports 500 ms, the calendar's feed 50 ms and "
          "5 statements)")
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.1f} (1 min), {load[1]:.1f} (5 min) on "
          f"{os.cpu_count()} cores: other work slows PostgreSQL's side of each request")
    print(f"wrote {save('reports', {'requests_per_measure': REQUESTS, 'term': TERM, 'world': world, 'target_p95_ms': 500, 'load_average_at_end': [round(x, 1) for x in load], 'results': rows})}")


COLUMNS = ["report", "scope", "p50_ms", "p95_ms", "cpu_p50_ms", "sql_per_request", "sql_sis",
           "sql_plugin", "kb"]

__all__ = ["Statements", "main"]

if __name__ == "__main__":
    main()

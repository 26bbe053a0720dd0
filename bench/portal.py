"""The student's book page and the calendar's slot feed with a full week, and live seat counts.

The world: the reference SIS (examples/demo_sis) seeded on PostgreSQL (without the plugin's
own demo types and series), one appointment type with 5 hosts and 300 open slots of 30 min
(capacity 10) in next week, Monday to Friday, and one student (zone America/New_York, as the
campus) whose timetable is replaced by 20 weekly classes (four a weekday, 1 h each) that sit
between the slots: every slot is checked against every class and all 300 are offered.

1. In-process (Flask's test client, so no HTTP server is counted), logged in as that student:
   the book page (``GET /appointments/book``, the week with the 300 slots) and the calendar's
   slot feed (the exact URL static/js/calendar.js requests: ``GET
   /api/appointments/v1/slots?start&end&limit=500&tz``), the feed both answered from the
   process's cache and computed (the process's cached bodies cleared before each request),
   BENCH_REQUESTS times each: p50/p95 server time (wall time around the test client's call)
   and SQL statements per request (both engines: the SIS's and the plugin's), and the median
   CPU time of the thread that served it (less sensitive to other work on the machine).
2. Live: the same app served by werkzeug (threads, Socket.IO over the Redis message queue) on
   a free port, the book page open as that student in headless Chromium; then BENCH_BOOKINGS
   bookings, one at a time, of slots on that page by other students (service layer, in this
   process). For each: the time of the booking's commit (``time.time()`` in the session's
   ``after_commit``) to the moment the page's seat count (``[data-seats]`` of the slot's row)
   changes, seen by a MutationObserver (``performance.timeOrigin + performance.now()``, the
   same machine clock); also to the calendar event's text changing (changed in place from
   the same message; fetches of the slot feed meanwhile are counted: none are expected).

Usage: python bench/portal.py  (BENCH_REQUESTS per measure, default 200; BENCH_BOOKINGS,
default 100; BENCH_DATABASE_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/bench_portal,
whose public schema is WIPED; BENCH_REDIS_URL, default redis://127.0.0.1:6379/9, FLUSHED).
Needs /usr/bin/chromium (scripts/setup installs it). Takes about a minute. Writes
bench/results/portal.json (``samples_ms``: slot id, then ms from the commit to ``book``
returning, to the seat count, to the calendar's event, per booking).
"""

from __future__ import annotations

import json
import logging
import os
import re
import statistics
import sys
import threading
import time
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).parent))
from _common import percentiles, save, seed_people, table  # noqa: E402

PG_URL = os.environ.get("BENCH_DATABASE_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/bench_portal")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
BOOKINGS = int(os.environ.get("BENCH_BOOKINGS", "100"))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
CAMPUS = "America/New_York"
HOSTS = 5
CAPACITY = 10
CLASS_HOURS = (8, 10, 12, 14)  # 1 h classes, Monday to Friday: 20 a week
# 30 min slots in the gaps (touching a class is no clash): 12 a host a weekday, 300 a week
SLOT_RUNS = ((9, 0, 10, 0), (11, 0, 12, 0), (13, 0, 14, 0), (15, 0, 18, 0))
SLOTS = HOSTS * 5 * sum((h2 * 60 + m2 - h1 * 60 - m1) // 30 for h1, m1, h2, m2 in SLOT_RUNS)
SEED_STUDENTS = 3 * BOOKINGS + 50  # enough who are free at each slot's time

# Records, per slot, when its row's seat count first changes and when its calendar event's
# text first changes (FullCalendar may replace the event's element: added nodes are looked
# into), and every fetch of the calendar's slot feed (start and end, in the same clock).
OBSERVER = """() => {
  window.__seen = {};
  window.__cal = {};
  window.__feeds = [];
  const clock = () => performance.timeOrigin + performance.now();
  const slotOf = (a) => (a.getAttribute("href") || "").match(/slots\\/(\\d+)\\//)?.[1];
  const base = {};
  for (const a of document.querySelectorAll("#appt-calendar a.fc-event")) {
    base[slotOf(a)] = a.textContent;
  }
  new MutationObserver((records) => {
    const now = clock();
    for (const record of records) {
      const node = record.target.nodeType === 1 ? record.target : record.target.parentElement;
      const seats = node && node.closest("[data-seats]");
      const item = seats && seats.closest("[data-slot-id]");
      if (item && !(item.dataset.slotId in window.__seen)) {
        window.__seen[item.dataset.slotId] = { at: now, text: seats.textContent };
      }
      for (const element of [node, ...record.addedNodes]) {
        if (!element || element.nodeType !== 1) continue;
        const events = [element.closest("a.fc-event"),
                        ...element.querySelectorAll("a.fc-event")].filter(Boolean);
        for (const a of events) {
          const id = slotOf(a);
          if (id && !(id in window.__cal) && a.textContent !== base[id]) {
            window.__cal[id] = { at: now, text: a.textContent };
          }
        }
      }
    }
  }).observe(document.body, { subtree: true, childList: true, characterData: true });
  performance.setResourceTimingBufferSize(100000);
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.name.includes("/api/appointments/v1/slots")) {
        window.__feeds.push({ start: performance.timeOrigin + entry.startTime,
                              end: performance.timeOrigin + entry.responseEnd });
      }
    }
  }).observe({ type: "resource" });
}"""


# -- the world

def prepare():
    """The seeded SIS, the type with its 300 slots next week, the student's 20 classes."""
    import redis
    from demo_sis import create_app
    from demo_sis.extensions import db
    from demo_sis.models import TimetableEntry, User
    from sqlalchemy import create_engine, delete, select, text

    from sis_appointments.contract import SisUser
    from sis_appointments.services.scheduling import appointment_types, slots

    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    redis.Redis.from_url(REDIS_URL).flushdb()
    app = create_app({"SQLALCHEMY_DATABASE_URI": PG_URL, "SECRET_KEY": "bench",
                      "SIS_DISABLE_PLUGIN_AUTOLOAD": False,
                      "SIS_APPOINTMENTS_REDIS_URL": REDIS_URL,
                      "SIS_APPOINTMENTS_RATE_LIMIT_WRITES": "100000/minute",
                      "SIS_APPOINTMENTS_RATE_LIMIT_TOKENS": "100000/minute"})
    campus = ZoneInfo(CAMPUS)
    with app.app_context():
        seed_people(app, SEED_STUDENTS, HOSTS)
        staff = db.session.scalars(select(User).where(User.role == "staff")
                                   .order_by(User.id)).all()[:HOSTS]
        students = db.session.scalars(select(User).where(User.role == "student")
                                      .order_by(User.id)).all()
        me = next(u for u in students if u.timezone == CAMPUS)
        db.session.execute(delete(TimetableEntry).where(TimetableEntry.student_id == me.id))
        db.session.add_all(
            TimetableEntry(student_id=me.id, course=f"COURSE {100 + 10 * weekday + n}",
                           weekday=weekday, start=clock(hour), end=clock(hour + 1))
            for weekday in range(5) for n, hour in enumerate(CLASS_HOURS))
        db.session.commit()
        others = [(str(u.id), u.name) for u in students if u.id != me.id]
        me_key, me_username = str(me.id), me.username

        session = app.extensions["sis_appointments"].sessionmaker()
        admin = SisUser(key="bench", name="Bench", roles=frozenset({"admin"}))
        hosts = [str(u.id) for u in staff]
        kind = appointment_types.create(session, actor=admin, name="Drop-in advising",
                                        duration_minutes=30, capacity=CAPACITY,
                                        timezone=CAMPUS, hosts=hosts)
        today = datetime.now(campus).date()
        monday = today + timedelta(days=7 - today.weekday())
        made = 0
        for day in (monday + timedelta(days=n) for n in range(5)):
            for host in hosts:
                for h1, m1, h2, m2 in SLOT_RUNS:
                    made += len(slots.create_custom(
                        session, actor=admin, type_id=kind.id, host_key=host,
                        start=datetime.combine(day, clock(h1, m1), campus),
                        end=datetime.combine(day, clock(h2, m2), campus)))
        session.close()
    assert made == SLOTS, made
    return app, {"student": me_username, "student_key": me_key, "others": others,
                 "week": monday, "type_id": kind.id}


# -- in-process requests

def login(app, username):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": username, "password": "demo", "csrf_token": csrf})
    return client


class Statements:
    """SQL statements sent on the SIS's engine and the plugin's, counted while installed."""

    def __init__(self, app):
        from demo_sis.extensions import db

        with app.app_context():
            self.engines = {"sis": db.engine, "plugin": app.extensions["sis_appointments"].engine}
        self.counts = dict.fromkeys(self.engines, 0)
        self._listeners = {name: (lambda *_a, name=name: self._count(name))
                           for name in self.engines}

    def _count(self, name):
        self.counts[name] += 1

    def __enter__(self):
        from sqlalchemy import event

        for name, engine in self.engines.items():
            event.listen(engine, "before_cursor_execute", self._listeners[name])
        return self

    def __exit__(self, *_exc):
        from sqlalchemy import event

        for name, engine in self.engines.items():
            event.remove(engine, "before_cursor_execute", self._listeners[name])

    def snapshot(self) -> dict:
        return dict(self.counts)


def measure(app, name: str, call, before=None, n: int = REQUESTS) -> dict:
    """``call()`` n times after one warm-up; ``before()`` (not timed, not counted) ahead of
    each. Server time per request and statements per request."""
    call()
    seconds, cpu, statements, sizes, statuses = [], [], [], [], set()
    with Statements(app) as counter:
        for _ in range(n):
            if before is not None:
                before()
            was = counter.snapshot()
            started, started_cpu = time.perf_counter(), time.thread_time()
            response = call()
            seconds.append(time.perf_counter() - started)
            cpu.append(time.thread_time() - started_cpu)
            now = counter.snapshot()
            statements.append({k: now[k] - was[k] for k in now})
            sizes.append(len(response.get_data()))
            statuses.add(response.status_code)
    total = [s["sis"] + s["plugin"] for s in statements]
    timing = percentiles(seconds)
    return {"path": name, "requests": n, "p50_ms": timing["p50_ms"], "p95_ms": timing["p95_ms"],
            "p99_ms": timing["p99_ms"], "mean_ms": timing["mean_ms"],
            "cpu_p50_ms": percentiles(cpu)["p50_ms"],
            "sql_per_request": statistics.median(total), "sql_min": min(total),
            "sql_max": max(total),
            "sql_sis": statistics.median(s["sis"] for s in statements),
            "sql_plugin": statistics.median(s["plugin"] for s in statements),
            "kb": round(statistics.median(sizes) / 1024, 1), "statuses": sorted(statuses)}


def feed_url(page_html: str) -> tuple[str, dict]:
    """The slot feed's URL as calendar.js builds it from the page's #appt-book-data."""
    found = re.search(r'<script type="application/json" id="appt-book-data">(.*?)</script>',
                      page_html, re.S)
    data = json.loads(found.group(1))
    query = {"start": data["from"], "end": data["until"], "limit": "500", "tz": data["zone"]}
    if data.get("type"):
        query["type"] = data["type"]
    if data.get("host"):
        query["host"] = data["host"]
    return f"{data['api']}?{urlencode(query)}", data


def requests_part(app, world) -> tuple[list[dict], dict]:
    client = login(app, world["student"])
    page = client.get("/appointments/book")
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    rows = re.findall(r'<li class="appt-slot appt-slot--book" data-slot-id="(\d+)"', html)
    assert len(rows) == SLOTS, f"the book page offers {len(rows)} slots, not {SLOTS}"
    assert "with your timetable or appointments" not in html, "some slots clash"
    url, data = feed_url(html)
    assert data["start"] == world["week"].isoformat(), (data["start"], world["week"])
    feed = client.get(url).get_json()
    assert len(feed["items"]) == SLOTS and not feed["next"], (len(feed["items"]), feed["next"])

    cache = app.extensions["sis_appointments"].cache
    deadline = time.monotonic() + 10  # the cache's Redis listener subscribed: hits are kept
    while time.monotonic() < deadline:
        client.get(url)
        with Statements(app) as counter:
            client.get(url)
        if counter.counts["plugin"] == 0:  # the SIS still loads the logged-in user
            break
        time.sleep(0.1)
    else:
        raise RuntimeError("the slot feed is never answered from the cache")

    results = [
        measure(app, "book page (HTML)", lambda: client.get("/appointments/book")),
        measure(app, "slot feed, computed", lambda: client.get(url), before=cache.clear),
        measure(app, "slot feed, cached", lambda: client.get(url)),
    ]
    return results, {"book_page": "/appointments/book", "slot_feed": url,
                     "week": data["start"], "rows": len(rows)}


# -- live updates

class LiveServer:
    """The app served by werkzeug from a thread, on a free port (as tests/browser do)."""

    def __init__(self, app):
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(10)
        self.server.server_close()


def book_as(app, slot_id: int, students: list[tuple[str, str]]) -> dict | None:
    """Book ``slot_id`` for the first of ``students`` free at that time (removed from the
    list): the commit's time and when ``book`` returned (after the socket emit)."""
    from sqlalchemy import event

    from sis_appointments.contract import SisUser
    from sis_appointments.domain.errors import SchedulingError
    from sis_appointments.services.scheduling import booking

    for index, (key, name) in enumerate(students):
        actor = SisUser(key=key, name=name, roles=frozenset({"student"}))
        times = {}

        def committed(_session, times=times):
            times.setdefault("commit", time.time())

        with app.app_context():
            session = app.extensions["sis_appointments"].sessionmaker()
            event.listen(session, "after_commit", committed)
            try:
                booking.book(session, actor=actor, slot_id=slot_id)
            except SchedulingError:
                continue  # their timetable or another rule: the next student
            finally:
                session.close()
            times["returned"] = time.time()
        del students[index]
        return times
    return None


def clock_offset(page) -> dict:
    """The page's clock minus time.time(), from the evaluate with the shortest round trip."""
    best = None
    for _ in range(20):
        before = time.time()
        theirs = page.evaluate("() => performance.timeOrigin + performance.now()") / 1000
        after = time.time()
        if best is None or after - before < best[1]:
            best = (theirs - (before + after) / 2, after - before)
    return {"offset_ms": round(best[0] * 1000, 2), "uncertainty_ms": round(best[1] * 500, 2)}


def live_part(app, world) -> dict:
    from playwright.sync_api import expect, sync_playwright

    server = LiveServer(app)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(base_url=server.url, locale="en-US",
                                          timezone_id=CAMPUS,
                                          viewport={"width": 1366, "height": 900})
            page = context.new_page()
            page.goto("/login")
            page.get_by_label("Username").fill(world["student"])
            page.get_by_label("Password").fill("demo")
            page.get_by_role("button", name="Log in").click()
            expect(page).not_to_have_url(re.compile(r"/login"))
            page.goto("/appointments/book")
            page.wait_for_selector("html[data-appt-live=connected]")
            page.wait_for_load_state("networkidle")  # the calendar's first fetch
            ids = [int(i) for i in page.eval_on_selector_all(
                '#appt-book-list li[data-action="book"]', "items => items.map(i => i.dataset.slotId)")]
            assert len(ids) == SLOTS, len(ids)
            page.evaluate(OBSERVER)
            offset_before = clock_offset(page)
            students = list(world["others"])
            samples, missed = [], []
            # the first booking warms the path up (socket rooms joined, first emit): not counted
            for n, slot_id in enumerate(ids[: BOOKINGS + 1]):
                times = book_as(app, slot_id, students)
                if times is None:
                    raise RuntimeError(f"no student could book slot {slot_id}")
                try:
                    page.wait_for_function("id => id in window.__seen", arg=str(slot_id),
                                           timeout=10_000)
                    page.wait_for_function("id => id in window.__cal", arg=str(slot_id),
                                           timeout=10_000)
                except Exception:  # noqa: BLE001 - a lost update is a figure, not a crash
                    missed.append(slot_id)
                    continue
                seen = page.evaluate("id => window.__seen[id]", str(slot_id))
                shown = page.evaluate("id => window.__cal[id]", str(slot_id))
                if n == 0:
                    continue
                samples.append({"slot_id": slot_id, "text": seen["text"],
                                "seats_ms": seen["at"] - times["commit"] * 1000,
                                "calendar_ms": shown["at"] - times["commit"] * 1000,
                                "returned_ms": (times["returned"] - times["commit"]) * 1000})
            offset_after = clock_offset(page)
            feeds = page.evaluate("window.__feeds.length")
            browser.close()
    finally:
        server.stop()
    expected = f"{CAPACITY - 1} of {CAPACITY} free"
    wrong = [s for s in samples if s["text"] != expected]
    figures = {"bookings": len(samples), "missed": missed, "wrong_text": len(wrong),
               "feed_fetches": feeds,
               "clock_offset_before": offset_before, "clock_offset_after": offset_after,
               "samples_ms": [[s["slot_id"], *(round(s[k], 2) for k in
                                               ("returned_ms", "seats_ms", "calendar_ms"))]
                              for s in samples]}
    for key, label in (("returned_ms", "commit_to_book_returned"),
                       ("seats_ms", "commit_to_seat_count"),
                       ("calendar_ms", "commit_to_calendar_event")):
        figures[label] = {**percentiles([s[key] / 1000 for s in samples]),
                          "max_ms": round(max(s[key] for s in samples), 2)}
    return figures


def main() -> None:
    started = time.monotonic()
    app, world = prepare()
    print(f"world ready: {SLOTS} slots in the week of {world['week']}, "
          f"{len(CLASS_HOURS) * 5} classes ({time.monotonic() - started:.0f} s)")
    rows, urls = requests_part(app, world)
    print(table(rows, ["path", "requests", "p50_ms", "p95_ms", "p99_ms", "cpu_p50_ms",
                       "sql_per_request", "sql_sis", "sql_plugin", "kb", "statuses"]))
    live = live_part(app, world)
    print(f"\nlive updates, {live['bookings']} bookings (missed {len(live['missed'])}, "
          f"wrong text {live['wrong_text']}, feed fetches {live['feed_fetches']}; "
          f"page clock offset "
          f"{live['clock_offset_before']['offset_ms']} / "
          f"{live['clock_offset_after']['offset_ms']} ms):")
    print(table([{"from commit to": label, **{k: live[key][k] for k in
                                             ("p50_ms", "p95_ms", "p99_ms", "max_ms")}}
                 for key, label in (("commit_to_book_returned", "book() returned (emitted)"),
                                    ("commit_to_seat_count", "seat count changed"),
                                    ("commit_to_calendar_event", "calendar event changed"))],
                ["from commit to", "p50_ms", "p95_ms", "p99_ms", "max_ms"]))
    seconds = round(time.monotonic() - started)
    print(f"\nwrote {save('portal', {'slots': SLOTS, 'classes': len(CLASS_HOURS) * 5, 'hosts': HOSTS, 'capacity': CAPACITY, 'requests_per_measure': REQUESTS, 'urls': urls, 'rows': rows, 'live': live, 'seconds': seconds})} "
          f"({seconds} s)")


if __name__ == "__main__":
    main()

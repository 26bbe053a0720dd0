"""A registrar's batch cancellation: 1,000 slots holding 3,000 confirmed bookings (and 500
waitlist places) cancelled in one batch, through the service the staff page uses
(``services.scheduling.batch_ops``: ``select_slots``, then ``run(..., dry_run=True)`` for
the preview and ``run(...)`` for the real thing, all or nothing, with the page's progress
callback), issue #12.

The world, on PostgreSQL: the reference SIS seeded with 50 staff and 3,300 students (and its
admin, who runs the batch); one appointment type hosted by the 50; next week (Monday to
Friday, 09:00, 10:00, 13:00 and 14:00 New York time) 20 slots a host, 1,000 in all, each
full (3 seats, 3 confirmed bookings: 3,000 students, one booking each), every fourth also
with 2 students waiting (500 places); and, the Monday after, 2 slots a host (100) with 300
bookings that the batch must not touch.

Each run on a fresh world (the plugin's tables emptied and filled again; the SIS's are
kept), in-process as the admin (the page's ``progress`` emits to the admin's socket room
over Redis):

1. ``select_slots`` for next week (what the page's GET does);
2. the preview: ``run(..., dry_run=True)`` (the run, rolled back): time, statements;
3. the batch: ``run(...)``: time until its transaction commits (the outbox rows are written
   in that transaction, ``services.notifications.outbox``: at the commit another connection
   counts them all) and until ``run`` returns (after the commit, the events go to the SIS's
   hooks and the listeners: cache generations, socket messages); statements;
4. delivery: the worker's ``deliver`` job (``jobs.py``: claims of 200, rendered and sent one
   by one) drains the outbox to a local SMTP server (aiosmtpd, in another process) and the
   in-app table: time until all are sent;
5. the checks (the bench exits non-zero if one fails): the preview changed nothing; every
   chosen slot cancelled with no seat held, every booking in them cancelled by the admin with
   the reason, their waiting places removed, the other week's slots and bookings untouched;
   each booking's student and host have exactly one ``booking_cancelled`` notification per
   channel (email and in-app), each student waiting on a chosen slot one ``slot_changed``
   (their place ended) and no one else any; the SMTP server received exactly the
   email rows; audit rows for every booking, slot and waiting place; the seat invariants.

BENCH_RUNS runs (default 3): p50 and max of each figure. BENCH_PROFILE=1 also profiles the
real batch of the first run (cProfile, top functions by own time). BENCH_DRAIN=0 skips
delivery (and its checks).

Usage: python bench/batch.py  (BENCH_DATABASE_URL, default
postgresql+psycopg://postgres@127.0.0.1:5432/batch_bench, whose public schema is WIPED;
BENCH_REDIS_URL, default redis://127.0.0.1:6379/6, FLUSHED). Writes bench/results/batch.json.
"""

from __future__ import annotations

import cProfile
import io
import multiprocessing
import os
import pstats
import re
import socket
import statistics
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "tests" / "engine"))
from _common import save, seed_people, table, wipe  # noqa: E402
from portal import Statements  # noqa: E402

PG_URL = os.environ.get("BENCH_DATABASE_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/batch_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
PROFILE = os.environ.get("BENCH_PROFILE") == "1"
DRAIN = os.environ.get("BENCH_DRAIN", "1") != "0"
CAMPUS = "America/New_York"
HOSTS, STUDENTS, SEATS = 50, 3300, 3
HOURS = (9, 10, 13, 14)  # each weekday of next week, per host: 5 x 4 = 20 slots
WAITING = 2  # students waiting on every fourth chosen slot
REASON = "The advising centre is closed next week."


# -- the SMTP server, in a process of its own

def smtp_server(received, port, ready) -> None:
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            with received.get_lock():
                received.value += 1
            return "250 OK"

    Controller(Sink(), hostname="127.0.0.1", port=port).start()
    ready.set()
    while True:
        time.sleep(3600)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- the world

def make_app(smtp_port: int):
    """The reference SIS with 50 staff and 3,300 students, the plugin's tables created."""
    from demo_sis import create_app


    wipe(PG_URL, REDIS_URL)
    app = create_app({"SQLALCHEMY_DATABASE_URI": PG_URL, "SECRET_KEY": "bench",
                      "SIS_DISABLE_PLUGIN_AUTOLOAD": False,
                      "SIS_APPOINTMENTS_REDIS_URL": REDIS_URL,
                      "SIS_APPOINTMENTS_SMTP_HOST": "127.0.0.1",
                      "SIS_APPOINTMENTS_SMTP_PORT": smtp_port,
                      "SIS_APPOINTMENTS_MAIL_FROM": "appointments@bench.example"})
    with app.app_context():
        seed_people(app, STUDENTS, HOSTS)
    return app


def people(app) -> dict:
    from demo_sis.extensions import db
    from demo_sis.models import User
    from sqlalchemy import select

    with app.app_context():
        ids = lambda role: [str(i) for i in db.session.scalars(  # noqa: E731
            select(User.id).where(User.role == role).order_by(User.id))]
        found = {"admin": next(iter(ids("admin"))), "hosts": ids("staff")[:HOSTS],
                 "students": ids("student")[:STUDENTS]}
    assert len(found["hosts"]) == HOSTS and len(found["students"]) == STUDENTS, \
        {k: len(v) for k, v in found.items() if k != "admin"}
    return found


def fill(app, who: dict) -> dict:
    """Empty the plugin's tables and make the world; returns its ids and dates."""
    from sqlalchemy import insert, text

    from sis_appointments.models import (
        AppointmentType,
        Booking,
        Slot,
        TypeHost,
        WaitlistEntry,
        metadata,
        utcnow,
    )

    state = app.extensions["sis_appointments"]
    zone = ZoneInfo(CAMPUS)
    today = datetime.now(zone).date()
    monday = today + timedelta(days=7 - today.weekday())
    now = utcnow()
    stamps = {"created_at": now, "updated_at": now}
    with state.engine.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join(t.name for t in metadata.sorted_tables)
                          + " RESTART IDENTITY CASCADE"))
        type_id = conn.execute(insert(AppointmentType).values(
            name="Advising", duration_minutes=30, capacity=SEATS, timezone=CAMPUS,
            **stamps).returning(AppointmentType.id)).scalar_one()
        conn.execute(insert(TypeHost), [{"type_id": type_id, "host_key": h}
                                        for h in who["hosts"]])

        def slots(days, hours):
            rows = []
            for day in days:
                for hour in hours:
                    start = datetime.combine(day, clock(hour), zone).astimezone(
                        ZoneInfo("UTC"))
                    rows += [{"type_id": type_id, "host_key": host, "location": f"Room {n}",
                              "start_utc": start, "end_utc": start + timedelta(minutes=30),
                              "timezone": CAMPUS, "capacity": SEATS, "booked": SEATS,
                              "status": "open", "version": 1, **stamps}
                             for n, host in enumerate(who["hosts"])]
            return list(conn.execute(insert(Slot).returning(Slot.id, Slot.host_key), rows))

        chosen = slots([monday + timedelta(days=n) for n in range(5)], HOURS)
        other = slots([monday + timedelta(days=7)], HOURS[:2])
        students = who["students"]
        bookings = [{"slot_id": slot_id, "student_key": students[(SEATS * n + seat)
                                                                 % len(students)],
                     "status": "confirmed", "reason": "", "notes": "", "booked_by": "bench",
                     "version": 1, **stamps}
                    for n, (slot_id, _) in enumerate(chosen + other) for seat in range(SEATS)]
        made = list(conn.execute(insert(Booking).returning(
            Booking.id, Booking.slot_id, Booking.student_key), bookings))
        waiting = [{"slot_id": slot_id, "student_key": students[-1 - (WAITING * n + k)],
                    "status": "waiting", **stamps}
                   for n, (slot_id, _) in enumerate(chosen[::4]) for k in range(WAITING)]
        conn.execute(insert(WaitlistEntry), waiting)
        conn.execute(text("ANALYZE"))
    chosen_ids = {i for i, _ in chosen}
    return {"monday": monday, "zone": zone, "type_id": type_id,
            "chosen": {i: host for i, host in chosen}, "other": {i for i, _ in other},
            "bookings": {b_id: (slot_id, key) for b_id, slot_id, key in made
                         if slot_id in chosen_ids},
            "other_bookings": {b_id for b_id, slot_id, _ in made if slot_id not in chosen_ids},
            "waiting": len(waiting)}


# -- measuring

class Kinds:
    """SQL statements by kind (verb and table) on both engines, while installed."""

    def __init__(self, app):
        from demo_sis.extensions import db

        with app.app_context():
            self.engines = [db.engine, app.extensions["sis_appointments"].engine]
        self.counts: Counter = Counter()

    def _note(self, conn, cursor, statement, *args):
        words = statement.split()
        verb = words[0].upper() if words else "?"
        found = re.search(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", statement, re.I)
        self.counts[f"{verb} {found.group(1) if found else ''}".strip()] += 1

    def __enter__(self):
        from sqlalchemy import event

        for engine in self.engines:
            event.listen(engine, "before_cursor_execute", self._note)
        return self

    def __exit__(self, *_exc):
        from sqlalchemy import event

        for engine in self.engines:
            event.remove(engine, "before_cursor_execute", self._note)


def snapshot(conn) -> dict:
    from sqlalchemy import text

    return {t: conn.scalar(text(f"SELECT count(*) FROM appt_{t}"))
            for t in ("notification", "audit_log", "inapp_notification")} | {
        "open_slots": conn.scalar(text("SELECT count(*) FROM appt_slot WHERE status = 'open'")),
        "confirmed": conn.scalar(text(
            "SELECT count(*) FROM appt_booking WHERE status = 'confirmed'")),
        "waiting": conn.scalar(text(
            "SELECT count(*) FROM appt_waitlist_entry WHERE status = 'waiting'"))}


def one_run(app, who: dict, number: int) -> dict:
    from sqlalchemy import create_engine

    from sis_appointments.contract import SisUser
    from sis_appointments.jobs import JOBS
    from sis_appointments.services.scheduling import batch_ops

    state = app.extensions["sis_appointments"]
    world = fill(app, who)
    observer = create_engine(PG_URL, pool_size=1)  # another connection: what is committed
    admin = SisUser(key=who["admin"], name="Registrar", roles=frozenset({"admin"}))
    emitted = []

    def progress(done, total):  # as web/admin_batch.py: to the admin's pages
        emitted.append(done)
        state.emit("batch.progress", {"done": done, "total": total}, f"user:{admin.key}")

    figures: dict = {"run": number}
    with app.app_context():
        session = state.sessionmaker()
        began = time.perf_counter()
        found = batch_ops.select_slots(session, admin, batch_ops.Selection(
            world["monday"], world["monday"] + timedelta(days=4), world["zone"]))
        figures["select_ms"] = ms(began)
        ids = [s.id for s in found]
        assert sorted(ids) == sorted(world["chosen"]), (len(ids), len(world["chosen"]))
        with observer.connect() as conn:
            before = snapshot(conn)

        with Statements(app) as counter:
            began = time.perf_counter()
            preview = batch_ops.run(session, admin, ids, "cancel", {"reason": REASON},
                                    dry_run=True, progress=progress)
            figures["preview_ms"] = ms(began)
        figures["preview_sql"] = sum(counter.counts.values())
        session.close()
        with observer.connect() as conn:
            after_preview = snapshot(conn)

        # The batch: the commit is seen where tx.transaction hands over to events.deliver.
        session = state.sessionmaker()
        marks, deliver = {}, session.context.after_commit

        def committed(s):
            marks["commit"] = time.perf_counter()
            marks["kinds_at_commit"] = Counter(kinds.counts)
            with observer.connect() as conn:
                marks["outbox_at_commit"] = conn.exec_driver_sql(
                    "SELECT count(*) FROM appt_notification").scalar()
            marks["announce_from"] = time.perf_counter()
            deliver(s)
            marks["announced"] = time.perf_counter()

        emitted.clear()
        profiler = cProfile.Profile() if PROFILE and number == 1 else None
        session.context.after_commit = committed
        try:
            with Statements(app) as counter, Kinds(app) as kinds:
                if profiler:
                    profiler.enable()
                began = time.perf_counter()
                report = batch_ops.run(session, admin, ids, "cancel", {"reason": REASON},
                                       progress=progress)
                ended = time.perf_counter()
                if profiler:
                    profiler.disable()
        finally:
            session.context.after_commit = deliver
        session.close()
        figures["commit_ms"] = round((marks["commit"] - began) * 1000, 1)
        figures["announce_ms"] = round((marks["announced"] - marks["announce_from"]) * 1000, 1)
        figures["run_ms"] = round((ended - began - (marks["announce_from"] - marks["commit"]))
                                  * 1000, 1)
        figures["run_sql"] = sum(counter.counts.values())
        figures["run_sql_sis"], figures["run_sql_plugin"] = counter.counts["sis"], \
            counter.counts["plugin"]
        figures["progress_reports"] = len(emitted)
        figures["outbox_at_commit"] = marks["outbox_at_commit"]
        figures["kinds"] = {"until_commit": dict(marks["kinds_at_commit"].most_common()),
                            "after_commit": dict((kinds.counts - marks["kinds_at_commit"])
                                                 .most_common())}
        if profiler:
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("tottime").print_stats(12)
            stats.sort_stats("cumulative").print_stats("sis_appointments", 40)
            figures["profile"] = out.getvalue()

        with observer.connect() as conn:
            after_run = snapshot(conn)
        if DRAIN:
            worker = state.sessionmaker()
            sent_before = RECEIVED.value
            with Statements(app) as counter:
                began = time.perf_counter()
                done = JOBS["deliver"].run(state, worker)
                figures["drain_ms"] = ms(began)
            worker.close()
            figures["drain_sql"] = sum(counter.counts.values())
            figures["drained"] = done
            deadline = time.monotonic() + 10  # the SMTP server counts in its own process
            while RECEIVED.value - sent_before < after_run["notification"] // 2 and \
                    time.monotonic() < deadline:
                time.sleep(0.05)
            figures["smtp_received"] = RECEIVED.value - sent_before

        problems = check(observer, world, admin, preview, report, before, after_preview,
                         after_run, figures)
    observer.dispose()
    figures["problems"] = problems
    figures["counts"] = {"before": before, "after_preview": after_preview,
                         "after_run": after_run}
    return figures


def ms(began: float) -> float:
    return round((time.perf_counter() - began) * 1000, 1)


# -- the checks

def check(observer, world, admin, preview, report, before, after_preview, after_run,
          figures) -> list[str]:
    from invariants import violations
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from sis_appointments.models import (
        AuditEntry,
        Booking,
        InAppNotification,
        Notification,
        Slot,
        WaitlistEntry,
    )

    problems = []

    def expect(ok, what):
        if not ok:
            problems.append(what)

    n_slots, n_bookings = len(world["chosen"]), len(world["bookings"])
    expect(after_preview == before, f"the preview changed something: {before} -> "
                                    f"{after_preview}")
    expect(not preview.applied and all(o.ok for o in preview.outcomes)
           and len(preview.outcomes) == n_slots, "the preview does not report every slot done")
    expect(report.applied and all(o.ok for o in report.outcomes)
           and len(report.outcomes) == n_slots, "the batch did not do every slot")
    expect([(o.slot_id, o.told) for o in preview.outcomes]
           == [(o.slot_id, o.told) for o in report.outcomes],
           "the preview's outcomes differ from the batch's")
    expect(figures["progress_reports"] == n_slots // 25, "progress reports: "
                                                         f"{figures['progress_reports']}")
    with Session(observer) as s:
        slots = {x.id: x for x in s.scalars(select(Slot))}
        expect(all(slots[i].status == "cancelled" and slots[i].booked == 0
                   for i in world["chosen"]), "a chosen slot is not cancelled or holds seats")
        expect(all(slots[i].status == "open" and slots[i].booked == SEATS
                   for i in world["other"]), "a slot of the other week changed")
        bookings = {b.id: b for b in s.scalars(select(Booking))}
        expect(all(bookings[i].status == "cancelled" and bookings[i].cancelled_by == admin.key
                   and bookings[i].cancel_reason == REASON for i in world["bookings"]),
               "a booking of a chosen slot is not cancelled by the admin with the reason")
        expect(all(bookings[i].status == "confirmed" for i in world["other_bookings"]),
               "a booking of the other week changed")
        entries = list(s.scalars(select(WaitlistEntry)))
        expect(len(entries) == world["waiting"] and all(e.status == "removed"
                                                        for e in entries),
               "a waiting place is not removed")
        told, waited = Counter(), Counter()
        strays = 0
        for note in s.scalars(select(Notification)):
            booking_id = note.payload.get("entity_id")
            if note.event == "slot_changed":  # a waiting student told their place ended
                waited[note.payload.get("slot_id"), note.recipient_key, note.channel] += 1
                continue
            if note.event != "booking_cancelled" or booking_id not in world["bookings"]:
                strays += 1
                continue
            slot_id, student = world["bookings"][booking_id]
            role = {student: "student", world["chosen"][slot_id]: "host"}.get(
                note.recipient_key, "someone else")
            told[booking_id, role, note.channel] += 1
        expect(strays == 0, f"{strays} notifications of other events or bookings")
        wanted = {(b, role, channel) for b in world["bookings"]
                  for role in ("student", "host") for channel in ("email", "inapp")}
        expect(set(told) == wanted, f"notifications per booking: {len(set(told) - wanted)} "
                                    f"unexpected, {len(wanted - set(told))} missing")
        expect(max(told.values(), default=0) == 1,
               f"{sum(1 for v in told.values() if v > 1)} booking/person/channel told twice")
        waiting_told = {(e.slot_id, e.student_key, channel) for e in entries
                        for channel in ("email", "inapp")}
        expect(set(waited) == waiting_told and max(waited.values(), default=1) == 1,
               f"waiting students told: {len(set(waited) - waiting_told)} unexpected, "
               f"{len(waiting_told - set(waited))} missing, or someone twice")
        wanted_rows = len(wanted) + len(waiting_told)
        expect(figures["outbox_at_commit"] == wanted_rows,
               f"at commit the outbox held {figures['outbox_at_commit']} of {wanted_rows}")
        audits = Counter(s.execute(select(AuditEntry.action, AuditEntry.actor_key)).all())
        expect(audits == Counter({("booking.cancelled", admin.key): n_bookings,
                                  ("slot.cancelled", admin.key): n_slots,
                                  ("waitlist.removed", admin.key): world["waiting"]}),
               f"audit rows: {dict(audits)}")
        expect(after_run["notification"] == wanted_rows, "outbox rows after the run")
        if DRAIN:
            statuses = Counter(s.scalars(select(Notification.status)))
            expect(statuses == Counter({"sent": wanted_rows}),
                   f"after delivery: {dict(statuses)}")
            expect(figures["smtp_received"] == wanted_rows // 2,
                   f"the SMTP server received {figures['smtp_received']} of {wanted_rows // 2}")
            inapp = s.scalar(select(func.count()).select_from(InAppNotification))
            expect(inapp == wanted_rows // 2, f"in-app rows: {inapp}")
        problems += violations(s)
    return problems


# -- the whole

RECEIVED = None


def main() -> None:
    global RECEIVED
    RECEIVED = multiprocessing.Value("q", 0)
    port, ready = free_port(), multiprocessing.Event()
    sink = multiprocessing.Process(target=smtp_server, args=(RECEIVED, port, ready),
                                   daemon=True)
    sink.start()
    assert ready.wait(10), "the SMTP server did not start"
    print(f"batch benchmark: {RUNS} runs; PostgreSQL {PG_URL}; Redis {REDIS_URL}", flush=True)
    began = time.perf_counter()
    app = make_app(port)
    who = people(app)
    print(f"SIS seeded in {time.perf_counter() - began:.1f} s: {HOSTS} staff, "
          f"{STUDENTS} students", flush=True)
    runs, failed = [], False
    for number in range(1, RUNS + 1):
        figures = one_run(app, who, number)
        runs.append(figures)
        print(table([figures], COLUMNS).splitlines()[-1] if number > 1
              else table([figures], COLUMNS), flush=True)
        for problem in figures["problems"]:
            print(f"  FAILED: {problem}", flush=True)
            failed = True
    sink.terminate()
    world = {"chosen_slots": HOSTS * 5 * len(HOURS),
             "bookings": HOSTS * 5 * len(HOURS) * SEATS,
             "waiting": HOSTS * 5 * len(HOURS) // 4 * WAITING,
             "untouched_slots": HOSTS * 2, "untouched_bookings": HOSTS * 2 * SEATS,
             "notifications": runs[0]["counts"]["after_run"]["notification"]}
    summary = {key: {"p50": round(statistics.median(r[key] for r in runs), 1),
                     "max": max(r[key] for r in runs)}
               for key in COLUMNS[1:] if all(key in r for r in runs)}
    print(f"\nworld: {world}")
    print(table([{"measure": k, **v} for k, v in summary.items()], ["measure", "p50", "max"]))
    for part, kinds in runs[0]["kinds"].items():
        print(f"\nstatements of the batch by kind (first run), {part.replace('_', ' ')}:")
        for kind, n in list(kinds.items())[:12]:
            print(f"  {n:6d}  {kind}")
    if runs[0].get("profile"):
        print("\nprofile of the batch (first run), by own time, then the plugin's functions "
              "by cumulative time:")
        print(runs[0]["profile"])
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.1f} (1 min), {load[1]:.1f} (5 min) on "
          f"{os.cpu_count()} cores")
    for r in runs:
        r.pop("profile", None)
    print(f"wrote {save('batch', {'world': world, 'summary': summary, 'runs': runs, 'load_average_at_end': [round(x, 1) for x in load], 'drained': DRAIN})}")
    if failed:
        print("FAILED: an invariant does not hold (above)")
        sys.exit(1)
    print("all checks held in every run")


COLUMNS = ["run", "select_ms", "preview_ms", "preview_sql", "commit_ms", "announce_ms",
           "run_ms", "run_sql", "drain_ms", "drain_sql"]

if __name__ == "__main__":
    main()

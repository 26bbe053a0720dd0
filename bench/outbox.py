"""Outbox delivery throughput and commit-to-delivery delay, on PostgreSQL.

Delivers to a local SMTP server (aiosmtpd, in this process) and a local webhook receiver
(a threaded HTTP server answering 200), with 1 and 2 runners (worker processes, each with its
own connection and SMTP connection):

- backlog: 10,000 notifications committed at once, then drained: notifications per second,
  and the delay from commit (created_at) to delivery (sent_at) at p50/p95;
- trickle: notifications committed at a steady rate while one runner polls every second
  (the worker's default is 5 s): the delay a user sees in normal operation.

Usage: python bench/outbox.py   (BENCH_NOTIFICATIONS, default 10000; BENCH_DATABASE_URL,
default the test database, whose public schema is WIPED). Writes bench/results/outbox.json.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import sys
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, func, insert, select, text

sys.path.insert(0, str(Path(__file__).parent))
from _common import percentiles, save, table  # noqa: E402

from sis_appointments.contract import SisUser, Student  # noqa: E402
from sis_appointments.database import make_sessionmaker  # noqa: E402
from sis_appointments.models import (  # noqa: E402
    AppointmentType,
    Booking,
    Notification,
    Slot,
    metadata,
    utcnow,
)
from sis_appointments.notify import channels  # noqa: E402
from sis_appointments.notify.delivery import deliver_due  # noqa: E402
from sis_appointments.plugin import sis_object_manager  # noqa: E402

PG_URL = os.environ.get("BENCH_DATABASE_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
COUNT = int(os.environ.get("BENCH_NOTIFICATIONS", "10000"))
START = datetime(2031, 1, 6, 9, tzinfo=UTC)


class Host:
    def appointments_get_user(self, user_key):
        return SisUser(key=user_key, name=f"Person {user_key}",
                        email=f"{user_key}@bench.example", timezone="America/New_York")

    def appointments_get_student(self, student_key):
        return Student(key=student_key, name=student_key, program="BSc", cohort="2030")


class Counter:
    """A count shared with the receivers' process."""

    def __init__(self):
        self.value = multiprocessing.Value("q", 0)

    @property
    def n(self) -> int:
        return self.value.value

    def add(self):
        with self.value.get_lock():
            self.value.value += 1


class SmtpSink:
    def __init__(self, counter):
        self.counter = counter

    async def handle_DATA(self, server, session, envelope):
        self.counter.add()
        return "250 OK"


def receivers(mails, hooks, smtp_port, http_port, ready) -> None:
    """The local SMTP server and webhook receiver, in a process of their own (as real
    ones would be), so they do not compete with the runners for the interpreter."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            hooks.add()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    smtp = Controller(SmtpSink(mails), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    server = ThreadingHTTPServer(("127.0.0.1", http_port), Handler)
    ready.set()
    server.serve_forever()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare(engine, n: int) -> list[int]:
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    metadata.create_all(engine)
    with engine.begin() as conn:
        type_id = conn.execute(insert(AppointmentType).values(
            name="Advising", duration_minutes=30, capacity=n, timezone="America/New_York",
            created_at=utcnow(), updated_at=utcnow()).returning(AppointmentType.id)).scalar()
        slot_id = conn.execute(insert(Slot).values(
            type_id=type_id, host_key="advisor", start_utc=START,
            end_utc=START + timedelta(minutes=30), timezone="America/New_York", capacity=n,
            booked=n, status="open", version=1, location="Room 1", created_at=utcnow(),
            updated_at=utcnow()).returning(Slot.id)).scalar()
        conn.execute(insert(Booking), [
            {"slot_id": slot_id, "student_key": f"s{i}", "status": "confirmed", "reason": "",
             "notes": "", "version": 1, "created_at": utcnow(), "updated_at": utcnow()}
            for i in range(n)])
        return list(conn.execute(select(Booking.id, Booking.student_key, Booking.slot_id)))


def queue(engine, bookings, channel: str) -> None:
    now = utcnow()
    rows = [{"event": "booking_created", "channel": channel, "status": "pending",
             "attempts": 0, "next_attempt_at": now, "created_at": now, "updated_at": now,
             "recipient_key": key if channel == "email" else "webhook:bench",
             "payload": {"entity": "booking", "entity_id": bid, "slot_id": sid,
                         "student_key": key},
             "dedupe_key": f"booking_created:booking:{bid}:{channel}:{now.timestamp()}"}
            for bid, key, sid in bookings]
    with engine.begin() as conn:
        for start in range(0, len(rows), 2000):
            conn.execute(insert(Notification), rows[start:start + 2000])


def runner(url: str, settings: dict, stop=None, pause: float = 0.0) -> None:
    """One delivery worker process: its own engine, session and SMTP connection."""
    engine = create_engine(url, pool_size=2, max_overflow=0)
    factory = make_sessionmaker(engine, sis_object_manager(Host()), settings)
    session = factory()
    try:
        while True:
            made = {"email": channels.EmailChannel(settings),
                    "webhook": channels.WebhookChannel(settings)}
            done = sum(deliver_due(session, made, settings, limit=200).values())
            if done == 0:
                if stop is None or stop.is_set():
                    return
                time.sleep(pause)
    finally:
        session.close()
        engine.dispose()


def delays(engine) -> dict:
    with engine.connect() as conn:
        rows = conn.execute(select(Notification.created_at, Notification.sent_at).where(
            Notification.status == "sent")).all()
    return percentiles([(sent - made).total_seconds() for made, sent in rows])


def backlog(engine, settings, bookings, channel, runners, received) -> dict:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM appt_notification"))
    before = received.n
    queue(engine, bookings, channel)
    began = time.perf_counter()
    workers = [multiprocessing.Process(target=runner, args=(PG_URL, settings))
               for _ in range(runners)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - began
    with engine.connect() as conn:
        sent = conn.scalar(select(func.count()).select_from(Notification).where(
            Notification.status == "sent"))
    assert sent == len(bookings) and received.n - before == sent, (sent, received.n - before)
    figures = delays(engine)
    return {"scenario": "backlog", "channel": channel, "runners": runners, "sent": sent,
            "per_second": round(sent / elapsed, 1), "delay_p50_ms": figures["p50_ms"],
            "delay_p95_ms": figures["p95_ms"]}


def trickle(engine, settings, bookings, channel, rate: int) -> dict:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM appt_notification"))
    stop = multiprocessing.Event()
    worker = multiprocessing.Process(target=runner, args=(PG_URL, settings, stop, 1.0))
    worker.start()
    chunk = max(rate // 10, 1)
    for start in range(0, len(bookings), chunk):
        queue(engine, bookings[start:start + chunk], channel)
        time.sleep(0.1)
    time.sleep(1.5)
    stop.set()
    worker.join()
    figures = delays(engine)
    return {"scenario": f"trickle {rate}/s", "channel": channel, "runners": 1,
            "sent": len(bookings), "per_second": rate, "delay_p50_ms": figures["p50_ms"],
            "delay_p95_ms": figures["p95_ms"]}


def main() -> None:
    engine = create_engine(PG_URL, pool_size=8, max_overflow=0)
    bookings = prepare(engine, COUNT)
    mails, hooks = Counter(), Counter()
    port, http_port = free_port(), free_port()
    ready = multiprocessing.Event()
    sink = multiprocessing.Process(target=receivers, args=(mails, hooks, port, http_port, ready),
                                   daemon=True)
    sink.start()
    ready.wait(10)
    settings = {
        "SIS_APPOINTMENTS_SMTP_HOST": "127.0.0.1", "SIS_APPOINTMENTS_SMTP_PORT": port,
        "SIS_APPOINTMENTS_SMTP_STARTTLS": False, "SIS_APPOINTMENTS_SMTP_USERNAME": None,
        "SIS_APPOINTMENTS_SMTP_PASSWORD": None, "SIS_APPOINTMENTS_DELIVERY_TIMEOUT": 10,
        "SIS_APPOINTMENTS_MAIL_FROM": "appointments@bench.example",
        "SIS_APPOINTMENTS_DEFAULT_TIMEZONE": "UTC", "SIS_APPOINTMENTS_OUTBOX_BACKOFF": 30,
        "SIS_APPOINTMENTS_WEBHOOKS": [{
            "name": "bench", "url": f"http://127.0.0.1:{http_port}/hook",
            "secret": "bench-secret-bench-secret", "events": ["*"]}],
    }
    rows = []
    for channel, counter in (("email", mails), ("webhook", hooks)):
        for runners in (1, 2):
            rows.append(backlog(engine, settings, bookings, channel, runners, counter))
            print(rows[-1], flush=True)
        rows.append(trickle(engine, settings, bookings[:1000], channel, 100))
        print(rows[-1], flush=True)
    sink.terminate()
    print()
    print(table(rows, ["scenario", "channel", "runners", "sent", "per_second",
                       "delay_p50_ms", "delay_p95_ms"]))
    print(f"\nwritten to {save('outbox', {'notifications': COUNT, 'rows': rows})}")


if __name__ == "__main__":
    main()

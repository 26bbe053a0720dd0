"""Two worker processes sharing live updates through Redis: an event caused through one
reaches a client connected to the other."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
import socketio
from api.conftest import API
from api.test_api_resources import make_slot, make_type

from sis_appointments.models import utcnow

# Server processes commit to the database: a fresh one each (conftest).
pytestmark = pytest.mark.own_database

SERVER = Path(__file__).with_name("socket_server.py")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_worker(database_url: str, redis_url: str):
    port = free_port()
    process = subprocess.Popen([sys.executable, str(SERVER), database_url, redis_url,
                                str(port)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, f"http://127.0.0.1:{port}"
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode()) from None
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("worker did not start")


def test_an_event_crosses_workers_through_redis(make_caller, database_url, redis_url):
    staff = make_caller(role="staff")
    type_id = make_type(staff)["id"]
    slot = make_slot(staff, type_id, (utcnow() + timedelta(days=2)).replace(
        minute=0, second=0, microsecond=0))
    student = make_caller()
    workers = [start_worker(database_url, redis_url) for _ in range(2)]
    try:
        (_, url_a), (_, url_b) = workers
        heard, got_it = [], threading.Event()
        client = socketio.Client(reconnection=False)

        @client.on("slot.availability", namespace="/appointments")
        def on_availability(data):
            heard.append(data)
            got_it.set()

        client.connect(url_b, namespaces=["/appointments"], auth={"token": staff.token},
                       transports=["polling"], wait_timeout=10)
        joined = client.call("join", {"room": f"type:{type_id}"}, namespace="/appointments",
                             timeout=10)
        assert joined["ok"]
        request = urllib.request.Request(
            f"{url_a}{API}/slots/{slot['id']}/bookings", data=b"{}", method="POST",
            headers={"Authorization": f"Bearer {student.token}",
                     "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
            assert json.loads(response.read())["slot_id"] == slot["id"]
        assert got_it.wait(10), "the event never reached the other worker"
        assert heard[0]["slot_id"] == slot["id"] and heard[0]["remaining"] == 0
        client.disconnect()
    finally:
        for process, _ in workers:
            process.terminate()
            process.wait(10)

"""Locust users for bench/api.py: each has a student token; the task is chosen by
BENCH_TASK (range, book or ping)."""

import json
import os
import random

from locust import HttpUser, constant, task

TOKENS = json.loads(os.environ["BENCH_TOKENS"])
SLOTS = json.loads(os.environ["BENCH_SLOTS"])
TASK = os.environ["BENCH_TASK"]
WINDOW = json.loads(os.environ["BENCH_WINDOW"])


class Client(HttpUser):
    wait_time = constant(0)

    def on_start(self):
        self.headers = {"Authorization": f"Bearer {random.choice(TOKENS)}"}

    @task
    def one(self):
        if TASK == "ping":
            self.client.get("/bench/ping", name="ping")
        elif TASK == "range":
            start = random.choice(WINDOW)
            self.client.get("/api/appointments/v1/slots", name="range", headers=self.headers,
                            params={"start": start[0], "end": start[1], "limit": 50})
        else:
            with self.client.post(f"/api/appointments/v1/slots/{random.choice(SLOTS)}/bookings",
                                  name="book", headers=self.headers, json={},
                                  catch_response=True) as response:
                if response.status_code in (201, 409, 422):
                    response.success()  # a refused booking is an answer, not an error

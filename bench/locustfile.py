"""Locust users for bench/api.py's think-time run: 500 students, each with a token, thinking
3-10 s between requests. The mix: 60 % calendar and availability (a week of slots, every
third one of a type's free slots), 25 % own bookings, 10 % book or cancel (a student holding
a booking cancels it, otherwise books a random slot), 5 % export of their calendar file."""

import json
import os
import random
from urllib.parse import urlencode

from locust import FastHttpUser, between, task

TOKENS = json.loads(os.environ["BENCH_TOKENS"])
SLOTS = json.loads(os.environ["BENCH_SLOTS"])
WINDOW = json.loads(os.environ["BENCH_WINDOW"])
API = "/api/appointments/v1"


class Student(FastHttpUser):  # geventhttpclient: the load generator's own CPU stays low
    wait_time = between(3, 10)

    def on_start(self):
        self.headers = {"Authorization": f"Bearer {random.choice(TOKENS)}"}
        self.held = None

    @task(60)
    def calendar(self):
        start, end = random.choice(WINDOW)
        params = {"start": start, "end": end, "limit": 50}
        if random.random() < 1 / 3:
            params["available_only"] = "true"
        self.client.get(f"{API}/slots?{urlencode(params)}", name="calendar",
                        headers=self.headers)

    @task(25)
    def own_bookings(self):
        self.client.get(f"{API}/bookings?limit=20", name="own bookings", headers=self.headers)

    @task(10)
    def book_or_cancel(self):
        if self.held:
            self.client.post(f"{API}/bookings/{self.held}/cancel", name="cancel",
                             headers=self.headers, json={})
            self.held = None
            return
        with self.client.post(f"{API}/slots/{random.choice(SLOTS)}/bookings", name="book",
                              headers=self.headers, json={}, catch_response=True) as response:
            if response.status_code == 201:
                self.held = response.json()["id"]
            if response.status_code in (201, 409, 422):
                response.success()  # a refused booking is an answer, not an error

    @task(5)
    def export(self):
        self.client.get(f"{API}/calendar/mine", name="calendar file", headers=self.headers)

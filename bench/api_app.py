"""The app gunicorn serves in bench/api.py: the reference SIS with the plugin (Socket.IO
included) on the benchmark database, plus the bare endpoints the plugin is measured against
(same process, same gunicorn shape, same PostgreSQL):

- ``GET /bench/hello``: a minimal Flask JSON answer (the web layer's ceiling);
- ``POST /bench/bare/slots/<id>/bookings``: the booking's row work and nothing else, in
  Flask + SQLAlchemy Core: take a seat with ``UPDATE ... RETURNING`` and insert the booking,
  in one transaction (409 when the slot is full or the student already holds it). The bearer
  token's text stands for the student; no rules, audit, outbox or events.
"""

import os
from datetime import UTC, datetime

from demo_sis import create_app
from demo_sis.extensions import csrf
from flask import request
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

app = create_app({"SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DATABASE_URL"],
                  "SECRET_KEY": "bench",
                  "SIS_APPOINTMENTS_REDIS_URL": os.environ.get("BENCH_REDIS_URL"),
                  "SIS_APPOINTMENTS_RATE_LIMIT_WRITES": "1000000/minute",
                  "SIS_APPOINTMENTS_RATE_LIMIT_TOKENS": "1000000/minute"})
bare = create_engine(os.environ["BENCH_DATABASE_URL"], pool_size=8, max_overflow=8)
TAKE = text("UPDATE appt_slot SET booked = booked + 1 WHERE id = :slot AND booked < capacity "
            "RETURNING booked, capacity")
INSERT = text("INSERT INTO appt_booking (slot_id, student_key, status, reason, notes, "
              "booked_by, version, created_at, updated_at) VALUES (:slot, :student, "
              "'confirmed', '', '', :student, 1, :now, :now) RETURNING id")


@app.get("/bench/hello")
def hello():
    return {"ok": True}


@app.post("/bench/bare/slots/<int:slot_id>/bookings")
@csrf.exempt  # a bearer-token API, as the plugin's own
def bare_book(slot_id: int):
    student = request.headers.get("Authorization", "")[7:][:32]
    now = datetime.now(UTC)
    try:
        with bare.begin() as conn:
            seat = conn.execute(TAKE, {"slot": slot_id}).first()
            if seat is None:
                return {"title": "Slot full"}, 409
            booking = conn.execute(INSERT, {"slot": slot_id, "student": student,
                                            "now": now}).scalar_one()
    except IntegrityError:  # the student already holds a seat here: the seat goes back
        return {"title": "Already booked"}, 409
    return {"id": booking, "slot_id": slot_id, "status": "confirmed",
            "remaining": seat.capacity - seat.booked}, 201

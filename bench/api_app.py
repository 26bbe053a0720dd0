"""The app gunicorn serves in bench/api.py: the reference SIS with the plugin (Socket.IO
included) on the benchmark database, plus a minimal endpoint for the web layer's ceiling."""

import os

from demo_sis import create_app

app = create_app({"SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DATABASE_URL"],
                  "SECRET_KEY": "bench",
                  "SIS_APPOINTMENTS_REDIS_URL": os.environ.get("BENCH_REDIS_URL"),
                  "SIS_APPOINTMENTS_RATE_LIMIT_WRITES": "1000000/minute",
                  "SIS_APPOINTMENTS_RATE_LIMIT_TOKENS": "1000000/minute"})


@app.get("/bench/ping")
def ping():
    return {"ok": True}

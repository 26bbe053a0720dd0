"""Print the README's benchmark tables from bench/results/*.json (after running the
benchmarks): python bench/markdown.py"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def row(*cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def api(found: dict) -> None:
    print(f"From `bench/results/api.json` ({found['when']}), {found['rounds']} alternated pairs "
          f"of {found['seconds_per_run']} s:\n")
    print(row("measure", "plugin / s", "bare / s", "ratio median (range)", "plugin p50 / p95 ms"))
    print(row(*["---"] * 5))
    for name, label in (("booking", "booking vs bare seat UPDATE + INSERT"),
                        ("range", "cached `GET /slots` vs bare hello")):
        f = found[name]
        mine = [r for r in f["runs"] if r["kind"] == f["plugin"]]
        theirs = [r for r in f["runs"] if r["kind"] == f["bare"]]
        rate = lambda runs: round(statistics.median(r["requests_per_s"] for r in runs), 1)  # noqa: E731
        p = lambda key, runs=mine: round(statistics.median(r[key] for r in runs))  # noqa: E731
        print(row(label, rate(mine), rate(theirs),
                  f"{f['ratio_median']} ({f['ratio_min']}-{f['ratio_max']})",
                  f"{p('p50_ms')} / {p('p95_ms')}"))
    print("\nStampedes, 500 students on one slot of capacity 20 (plugin, bare, bare, plugin):\n")
    print(row("side", "201", "409", "other", "drained s", "p50 ms", "p95 ms", "p99 ms"))
    print(row(*["---"] * 8))
    for s in found["stampedes"]:
        print(row(s["side"], s["created"], s["conflicts"], s["other"], s["drained_s"],
                  round(s["p50_ms"]), round(s["p95_ms"]), round(s["p99_ms"])))
    think = found.get("think_time")
    if think:
        print(f"\n{think['users']} users with think time, {think['seconds']} s:\n")
        print(row("request", "count", "per s", "p50 ms", "p95 ms", "p99 ms", "failures"))
        print(row(*["---"] * 7))
        for r in think["by_request"]:
            print(row(r["name"], r["requests"], r["requests_per_s"], r["p50_ms"], r["p95_ms"],
                      r["p99_ms"], r["failures"]))
        print(f"\nErrors: {think['errors'] or 'none'}")


def costs(found: dict) -> None:
    print(f"\nFrom `bench/results/request_costs.json` ({found['when']}):\n")
    print(row("path", "SQL", "Redis", "CPU ms"))
    print(row(*["---"] * 4))
    for r in found["rows"]:
        print(row(r["path"], r["sql_per_request"], r["redis_per_request"],
                  r["cpu_ms_per_request"]))


def reads(found: dict) -> None:
    print(f"\nFrom `bench/results/booking.json` ({found['when']}), reads:\n")
    print(row("database", "slots per week", "host's week p50 / p95 ms",
              "student's bookings p50 / p95 ms"))
    print(row(*["---"] * 4))
    for r in found["reads"]:
        print(row(r["database"], r.get("slots_per_week", "?"),
                  f"{r['host_week']['p50_ms']} / {r['host_week']['p95_ms']}",
                  f"{r['student_bookings']['p50_ms']} / {r['student_bookings']['p95_ms']}"))


def portal(found: dict) -> None:
    print(f"\nFrom `bench/results/portal.json` ({found['when']}), {found['slots']} open slots "
          f"in the week, {found['classes']} classes, {found['requests_per_measure']} requests "
          "each:\n")
    print(row("request", "p50 / p95 ms", "CPU p50 ms", "SQL (SIS + plugin)", "KiB"))
    print(row(*["---"] * 5))
    for r in found["rows"]:
        print(row(r["path"], f"{r['p50_ms']} / {r['p95_ms']}", r.get("cpu_p50_ms", "?"),
                  f"{r['sql_per_request']:g} ({r['sql_sis']:g} + {r['sql_plugin']:g})", r["kb"]))
    live = found["live"]
    print(f"\nLive updates, {live['bookings']} bookings one at a time (missed "
          f"{len(live['missed'])}, slot feed fetched again {live.get('feed_fetches', '?')} "
          "times), from the booking's commit:\n")
    print(row("until", "p50 ms", "p95 ms", "max ms"))
    print(row(*["---"] * 4))
    for key, label in (("commit_to_book_returned", "`book` returned (socket message sent)"),
                       ("commit_to_seat_count", "the other page's seat count changed"),
                       ("commit_to_calendar_event", "its calendar event changed")):
        f = live[key]
        print(row(label, f["p50_ms"], f["p95_ms"], f["max_ms"]))


def reports(found: dict) -> None:
    rows = found["results"]
    load = found.get("load_average_at_end", "?")
    print(f"\nFrom `bench/results/reports.json` ({found['when']}), "
          f"{found['requests_per_measure']} requests each, load average at the end {load}:\n")
    scopes = list(dict.fromkeys(r["scope"] for r in rows if r["report"] in REPORT_PAGES))
    print(row("report", *[f"{s} p50 / p95 ms" for s in scopes], "SQL statements",
              "Python CPU p50 ms"))
    print(row(*["---"] * (len(scopes) + 3)))
    for name in dict.fromkeys(r["report"] for r in rows if r["report"] in REPORT_PAGES):
        mine = {r["scope"]: r for r in rows if r["report"] == name}
        print(row(name, *[f"{mine[s]['p50_ms']:.0f} / {mine[s]['p95_ms']:.0f}" for s in scopes],
                  f"{max(r['sql_per_request'] for r in mine.values()):g}",
                  f"{max(r['cpu_p50_ms'] for r in mine.values()):.0f}"))
    print("\nThe staff pages over the same world:\n")
    print(row("page", "p50 / p95 ms", "SQL statements", "Python CPU p50 ms", "KiB"))
    print(row(*["---"] * 5))
    for r in rows:
        if r["report"] not in REPORT_PAGES:
            print(row(f"{r['report']}, {r['scope']}", f"{r['p50_ms']:.1f} / {r['p95_ms']:.1f}",
                      f"{r['sql_per_request']:g}", f"{r['cpu_p50_ms']:.1f}", r["kb"]))


def batch(found: dict) -> None:
    w, summary = found["world"], found["summary"]
    print(f"\nFrom `bench/results/batch.json` ({found['when']}), {len(found['runs'])} runs on "
          f"fresh worlds ({w['chosen_slots']} slots, {w['bookings']} bookings, {w['waiting']} "
          f"waiting; {w['notifications']} outbox rows), load average at the end "
          f"{found.get('load_average_at_end', '?')}:\n")
    print(row("step", "p50 s", "max s", "SQL statements (p50)"))
    print(row(*["---"] * 4))
    for key, label, sql in (
            ("select_ms", "choose the slots (`select_slots`)", None),
            ("preview_ms", "preview (`run(dry_run=True)`, rolled back)", "preview_sql"),
            ("commit_ms", "batch until its commit (outbox rows written)", None),
            ("run_ms", "batch until `run` returns (events announced)", "run_sql"),
            ("announce_ms", "of which after the commit (hooks, cache, sockets)", None),
            ("drain_ms", "delivery: the `deliver` job drains the outbox", "drain_sql")):
        if key in summary:
            f = summary[key]
            print(row(label, f"{f['p50'] / 1000:.2f}", f"{f['max'] / 1000:.2f}",
                      f"{summary[sql]['p50']:g}" if sql in summary else ""))


REPORT_PAGES = ("summary", "usage", "attendance", "lead-time", "cancellations", "waitlist",
                "busiest")

if __name__ == "__main__":
    for name, show in (("api", api), ("request_costs", costs), ("booking", reads),
                       ("portal", portal), ("reports", reports), ("batch", batch)):
        found = load(name)
        if found:
            show(found)

"""What a request costs in SQL statements, counted on both engines (the SIS's and the
plugin's). A change that adds statements to these paths fails here; lower the budget when a
change removes some. Pages cost the same whatever the number of rows they list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import count_statements

from sis_appointments.models import utcnow

# The most statements each path may send, by database: PostgreSQL takes an advisory lock
# on the student; on SQLite the write transaction's BEGIN is a statement of its own. A token
# already resolved by the process costs none (web/api/auth.py), nor do the settings once
# read. A slot already full is refused by the statement that loads it. The booking's answer
# counts its slot's waiting students (one statement; on SQLite its BEGIN too).
BUDGET = {
    "book": {"postgresql": 11, "sqlite": 14},
    "book_full": {"postgresql": 1, "sqlite": 2},
    "range_hit": {"postgresql": 0, "sqlite": 0},
    "range_miss": {"postgresql": 1, "sqlite": 2},
}


def dialect(app) -> str:
    return app.extensions["sis_appointments"].engine.dialect.name


def within(app, path, seen):
    budget = BUDGET[path][dialect(app)]
    assert len(seen) <= budget, f"{path}: {len(seen)} statements > {budget}:\n" + "\n".join(
        seen)


def test_a_booking_and_a_refused_one_stay_within_their_statements(app, make_caller,
                                                                   create_slot):
    slot, other = create_slot(capacity=1), create_slot(capacity=1)
    first, second, earlier = make_caller(), make_caller(), make_caller()
    for caller in (first, second):  # their tokens resolved, as for any client after one call
        assert caller.get("/me").status_code == 200
    # a server that has booked before keeps the settings table (until a setting changes)
    assert earlier.post(f"/slots/{other.id}/bookings", json={}).status_code == 201
    with count_statements(app) as seen:
        assert first.post(f"/slots/{slot.id}/bookings", json={}).status_code == 201
    within(app, "book", seen)
    with count_statements(app) as seen:
        refused = second.post(f"/slots/{slot.id}/bookings", json={})
    assert refused.status_code == 409 and refused.get_json()["state"]["remaining"] == 0
    within(app, "book_full", seen)


def test_a_range_read_sends_one_statement_and_a_cached_one_none(app, make_caller, create_slot):
    caller = make_caller()
    assert caller.get("/me").status_code == 200
    start = utcnow().replace(microsecond=0)
    create_slot(start=start + timedelta(days=1))
    window = {"start": start.isoformat(), "end": (start + timedelta(days=3)).isoformat()}
    with count_statements(app) as seen:  # the slots with their waitlists' lengths
        assert caller.get("/slots", query_string=window).status_code == 200
    within(app, "range_miss", seen)
    with count_statements(app) as seen:
        assert caller.get("/slots", query_string=window).status_code == 200
    within(app, "range_hit", seen)


def _slots(create_user, create_type, create_slot, count, hosts=3):
    staff = [create_user(role="staff") for _ in range(hosts)]
    kind = create_type(hosts=[s.key for s in staff])
    start = utcnow().replace(microsecond=0) + timedelta(days=1)
    for n in range(count):
        create_slot(start=start + timedelta(hours=n), type=kind, host_key=staff[n % hosts].key,
                    location=f"Room {n}")
    return staff


@pytest.mark.parametrize(("page", "role"), [("/appointments/book", "student"),
                                            ("/admin/appointments/", "admin")])
def test_pages_cost_the_same_whatever_the_number_of_rows(
        app, client, auth, create_user, create_type, create_slot, page, role):
    viewer = create_user(role=role)
    auth.login(viewer.username)
    costs = []
    for more in (2, 24):
        _slots(create_user, create_type, create_slot, more, hosts=more // 2)
        with count_statements(app) as seen:
            assert client.get(page).status_code == 200
        costs.append(len(seen))
    assert costs[0] == costs[1], costs

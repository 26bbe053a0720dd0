"""Every page an admin may GET, with hostile query arguments (dates near year 1 and 9999,
integers past what the database holds): never a server error. The API's own sweep is
api/test_api_hostile_inputs.py."""

from __future__ import annotations

import re

DAYS = ["0001-01-01", "9999-12-31", "0001-01-01T00:00:00Z"]
INTEGERS = [str(2**31), str(2**63), "-99999999999", "1.5"]
DAY_ARGS = ("start", "end", "week", "day", "since", "until", "first", "last")
INTEGER_ARGS = ("type", "days", "page", "slot", "before", "capacity")


def test_no_page_fails_on_hostile_query_arguments(app, client, auth, create_user,
                                                  create_slot):
    admin = create_user(role="admin")
    slot = create_slot(host_key=admin.key)
    auth.login(admin.username)
    paths = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith("/api") or "static" in rule.rule:
            continue
        path = re.sub(r"<int[^>]*:\w+>", str(slot.id), rule.rule)
        path = re.sub(r"<(?:string[^>]*:)?\w+>", admin.key, path)
        if "<" not in path and path not in ("/logout",):
            paths.add(path)
    assert len(paths) > 20
    failures = []
    for path in sorted(paths):
        # each hostile value in every argument of its kind at once: one request each
        cases = [dict.fromkeys(DAY_ARGS, value) for value in DAYS]
        cases += [dict.fromkeys(INTEGER_ARGS, value) for value in INTEGERS]
        for query in cases:
            try:
                status = client.get(path, query_string=query).status_code
            except Exception as exc:  # the test client re-raises what a server answers 500
                status = f"{type(exc).__name__}: {str(exc)[:100]}"
            if not isinstance(status, int) or status >= 500:
                failures.append((path, query, status))
    assert not failures

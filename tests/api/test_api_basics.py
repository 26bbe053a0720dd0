"""API conventions: OpenAPI document, problem+json, authentication, tokens, CSRF."""

from __future__ import annotations

import re

from api.conftest import API


def test_openapi_document_and_the_old_docs_address(client):
    document = client.get(f"{API}/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    assert f"{API}/slots/{{slot_id}}/bookings" in document["paths"]
    # flask-smorest's Swagger UI page is off; its address leads to the staff pages' API page
    # (tests/test_admin_api.py), which decides who may see it
    moved = client.get(f"{API}/docs")
    assert (moved.status_code, moved.location) == (301, "/admin/appointments/api")
    assert client.get(f"{API}/docs/swagger-ui").status_code == 404
    assert client.get("/appointments/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code \
        == 200


def test_the_documents_groups_are_named_in_plain_english(client):
    """Each operation is in one group the document describes (web/api/groups.py), named for
    people ("Slots"), not by a blueprint ("appointments_api_slots")."""
    document = client.get(f"{API}/openapi.json").get_json()
    names = [tag["name"] for tag in document["tags"]]
    assert len(names) == len(set(names)) and "Slots" in names and "API tokens" in names
    assert all(re.fullmatch(r"[A-Z][A-Za-z ]+", name) for name in names), names
    assert all(len(tag["description"]) > 20 for tag in document["tags"])
    used = {tag for item in document["paths"].values() for operation in item.values()
            if isinstance(operation, dict) for tag in operation["tags"]}
    assert used == set(names)
    assert all(len(operation["tags"]) == 1 for item in document["paths"].values()
               for operation in item.values() if isinstance(operation, dict))


def test_anonymous_calls_get_a_401_problem(anonymous):
    response = anonymous.get("/me")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["type"] == "urn:sis-appointments:problem:unauthenticated"


def test_tokens_authenticate_and_read_tokens_cannot_write(make_caller):
    reader = make_caller(scope="read", name="Rita Reader")
    me = reader.get("/me").get_json()
    assert (me["name"], me["roles"]) == ("Rita Reader", ["student"])
    refused = reader.post("/tokens", json={"name": "x"})
    assert (refused.status_code, refused.get_json()["code"]) == (403, "read_only_token")


def test_token_lifecycle_shown_once_and_revocable(make_caller, app):
    owner = make_caller(scope="write")
    created = owner.post("/tokens", json={"name": "calendar sync", "scope": "read"})
    assert created.status_code == 201
    secret = created.get_json()["token"]
    assert secret.startswith("sisappt_")
    listed = owner.get("/tokens").get_json()
    assert all("token" not in t or t["token"] is None for t in listed)
    from api.conftest import Caller
    other = Caller(app.test_client(), secret)
    assert other.get("/me").status_code == 200
    token_id = created.get_json()["id"]
    assert owner.delete(f"/tokens/{token_id}").get_json()["revoked_at"]
    assert other.get("/me").status_code == 401
    assert Caller(app.test_client(), "sisappt_made-up").get("/me").status_code == 401


def test_students_cannot_make_tokens_for_others(make_caller, create_user):
    someone = create_user(role="staff")
    response = make_caller().post("/tokens", json={"name": "x", "user": someone.key})
    assert response.status_code == 403


def test_session_writes_need_the_csrf_header(client, auth, create_user):
    create_user(username="ana")
    auth.login("ana")
    assert client.get(f"{API}/me").status_code == 200
    refused = client.post(f"{API}/tokens", json={"name": "x"})
    assert (refused.status_code, refused.get_json()["code"]) == (400, "csrf")
    page = client.get("/appointments/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    ok = client.post(f"{API}/tokens", json={"name": "x"}, headers={"X-CSRFToken": token})
    assert ok.status_code == 201


def test_validation_errors_are_problems_with_field_errors(make_caller):
    admin = make_caller(role="admin")
    response = admin.post("/appointment-types", json={"name": "", "duration_minutes": 0,
                                                      "timezone": "Nowhere/City"})
    body = response.get_json()
    assert (response.status_code, response.mimetype) == (422, "application/problem+json")
    assert set(body["errors"]) == {"name", "duration_minutes", "timezone", "hosts"}


def test_unknown_routes_inside_the_api_are_404(make_caller):
    assert make_caller().get("/slots/999999").status_code == 404


def test_nul_characters_are_refused_not_stored(make_caller):
    admin = make_caller(role="admin")
    response = admin.post("/grants", json={"user": "\x00", "grant": "manage_all"})
    assert response.status_code == 422 and "user" in response.get_json()["errors"]
    query = admin.get("/bookings", query_string={"student": "a\x00"})
    assert query.status_code == 422


def test_request_ids_stay_unique_across_threads():
    """Ids are drawn by every request thread at once (gunicorn gthread workers)."""
    from concurrent.futures import ThreadPoolExecutor

    from sis_appointments.web import db

    with ThreadPoolExecutor(8) as pool:
        batches = list(pool.map(lambda _: [db._next_id() for _ in range(5000)], range(8)))
    drawn = [i for batch in batches for i in batch]
    assert len(set(drawn)) == len(drawn) == 40_000

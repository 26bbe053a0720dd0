"""The staff pages' API page, with the Flask client: who may open it, the console's wiring
(spec URL and CSRF token for the script, no inline script) and its document (what the
viewer may call), and personal tokens created (shown once), refused with errors in place,
revoked, as the API does it (audited; a revoked token stops at once), and their last use
noted (at most once a minute) and shown."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from markupsafe import escape
from sqlalchemy import func, select, update
from test_portal_booking import token

from sis_appointments.models import ApiToken, AuditEntry, utcnow
from sis_appointments.services.accounts import tokens

PAGE = "/admin/appointments/api"
CREATE, DOCUMENT, API = PAGE + "/tokens", PAGE + "/openapi.json", "/api/appointments/v1"


@pytest.fixture
def people(create_user):
    return (create_user(username="lee", role="staff", name="Dr Lee"),
            create_user(username="boss", role="admin", name="The Registrar"),
            create_user(username="ana", name="Ana Student"))


def count(session, model=ApiToken, **where) -> int:
    session.rollback()  # read what the requests committed
    return session.scalar(select(func.count()).select_from(model).filter_by(**where))


def test_the_page_by_role(client, auth, people):
    lee, boss, ana = people
    assert client.get(PAGE).status_code == 302  # to the host's login
    assert client.post(CREATE, data={"name": "x"}).status_code in (302, 400)
    auth.login("ana")
    assert client.get(PAGE).status_code == 403
    csrf = {"csrf_token": auth.csrf_token("/")}
    assert client.post(CREATE, data={**csrf, "name": "x"}).status_code == 403
    assert client.post(PAGE + "/tokens/1/revoke", data=csrf).status_code == 403
    auth.logout()
    for who in ("lee", "boss"):
        auth.login(who)
        page = client.get(PAGE)
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        nav = html.split('aria-label="Appointments administration"')[1].split("</nav>")[0]
        assert 'aria-current="page">API</a>' in nav
        assert nav.index("Audit log") < nav.index(">API<")
        # admins read the tokens' audit entries; staff read only their calendars'
        assert ('href="/admin/appointments/audit?entity_type=token"' in html) == (who == "boss")
        auth.logout()


def test_the_console_is_wired_without_inline_scripts(client, auth, people):
    auth.login("lee")
    html = client.get(PAGE).get_data(as_text=True)
    assert f'href="{API}/openapi.json" download=' in html
    holder = re.search(r'<div id="appt-api-console"[^>]*>', html).group(0)
    assert f'data-spec-url="{DOCUMENT}"' in holder  # the viewer's (below), not the whole one
    csrf = re.search(r'data-csrf-token="([^"]+)"', holder).group(1)
    # the token the console sends is one the API accepts for a session write
    created = client.post(f"{API}/tokens", json={"name": "from the console"},
                          headers={"X-CSRFToken": csrf})
    assert created.status_code == 201, created.get_json()
    assert client.post(f"{API}/tokens", json={"name": "no header"}).status_code == 400
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S)
    assert scripts and all(not body.strip() for body in scripts), "no inline scripts"
    assert "vendor/swagger-ui/swagger-ui-bundle.js" in html and "js/api_console.js" in html
    assert "The console needs JavaScript" in html  # what a page without scripts says
    assert client.get("/appointments/static/js/api_console.js").status_code == 200


def test_the_console_shows_what_the_viewer_may_call(client, auth, people):
    """Staff get the document less the groups only admins may call; admins get it whole."""
    assert client.get(DOCUMENT).status_code == 302  # to the host's login
    whole = client.get(f"{API}/openapi.json").get_json()
    admins_only = {tag["name"] for tag in whole["tags"] if tag.get("x-admins-only")}
    assert admins_only == {"Access grants", "System"}
    auth.login("ana")
    assert client.get(DOCUMENT).status_code == 403
    auth.logout()
    auth.login("lee")
    html = client.get(PAGE).get_data(as_text=True)
    assert "It lists what you may call." in html
    staff = client.get(DOCUMENT).get_json()
    names = {tag["name"] for tag in whole["tags"]}
    assert {tag["name"] for tag in staff["tags"]} == names - admins_only
    assert f"{API}/slots/{{slot_id}}/bookings" in staff["paths"]
    assert not [path for path in staff["paths"] if path.startswith((f"{API}/grants",
                                                                   f"{API}/system"))]
    tagged = {tag for item in staff["paths"].values() for operation in item.values()
              if isinstance(operation, dict) for tag in operation["tags"]}
    assert tagged and not tagged & admins_only
    assert staff["components"] == whole["components"]
    auth.logout()
    auth.login("boss")
    assert "It lists what you may call." not in client.get(PAGE).get_data(as_text=True)
    assert client.get(DOCUMENT).get_json() == whole


def test_a_tokens_last_use_is_noted_once_a_minute_and_shown(client, auth, session, people):
    lee, *_ = people
    auth.login("lee")
    csrf = token(client, PAGE)
    made = client.post(CREATE, data={"csrf_token": csrf, "name": "Timetable sync"})
    secret = re.search(r'id="new-token"[^>]*value="(sisappt_[^"]+)"', made.get_data(as_text=True)
                       ).group(1)
    row = session.scalars(select(ApiToken)).one()
    assert row.last_used_at is None
    html = client.get(PAGE).get_data(as_text=True)
    assert '<td data-label="Last used">Never</td>' in html
    before = utcnow()
    assert client.get(f"{API}/me", headers={"Authorization": f"Bearer {secret}"}).status_code \
        == 200
    session.rollback()
    used = session.get(ApiToken, row.id).last_used_at
    assert before <= used <= utcnow()
    shown = used.astimezone(ZoneInfo("America/New_York")).strftime("%-d %b %Y, %H:%M")
    html = client.get(PAGE).get_data(as_text=True)
    assert f'<td data-label="Last used"><time datetime="{used.isoformat()}">{shown}</time>' \
        in html
    # within a minute a use writes nothing; after it, the next one is noted
    for later, noted in ((timedelta(seconds=59), used), (timedelta(seconds=61),
                                                         used + timedelta(seconds=61))):
        assert tokens.authenticate(session, secret, now=used + later).id == row.id
        session.rollback()
        assert session.get(ApiToken, row.id).last_used_at == noted
    # a revoked or unknown token notes nothing
    session.execute(update(ApiToken).values(revoked_at=utcnow()))
    session.commit()
    assert tokens.authenticate(session, secret, now=used + timedelta(hours=1)) is None
    session.rollback()
    assert session.get(ApiToken, row.id).last_used_at == used + timedelta(seconds=61)


def test_staff_create_a_token_shown_once_and_revoke_it(client, auth, session, people):
    lee, boss, ana = people
    auth.login("lee")
    csrf = token(client, PAGE)
    made = client.post(CREATE, data={"csrf_token": csrf, "name": "  Timetable sync ",
                                     "scope": "write", "expires_in_days": "30"})
    html = made.get_data(as_text=True)
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    secret = re.search(r'id="new-token"[^>]*value="(sisappt_[^"]+)"', html).group(1)
    assert "It is shown only now." in html
    row = session.scalars(select(ApiToken)).one()
    assert (row.user_key, row.name, row.scopes) == (lee.key, "Timetable sync", "write")
    assert abs(row.expires_at - row.created_at - timedelta(days=30)) < timedelta(minutes=1)
    # the token works against the API as Dr Lee, for writes too
    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get(f"{API}/me", headers=bearer).get_json()["name"] == "Dr Lee"
    # listed afterwards without its secret, with a revoke button
    listed = client.get(PAGE).get_data(as_text=True)
    assert secret not in listed and f'id="token-{row.id}"' in listed
    assert "Timetable sync" in listed and f"<code>{row.prefix}…</code>" in listed
    assert "Read and write" in listed and "Active" in listed
    revoked = client.post(f"{PAGE}/tokens/{row.id}/revoke", data={"csrf_token": csrf},
                          follow_redirects=True)
    text = revoked.get_data(as_text=True)
    assert revoked.status_code == 200 and str(escape("“Timetable sync” is revoked")) in text
    assert "Revoked " in text and f'action="{PAGE}/tokens/{row.id}/revoke"' not in text
    assert client.get(f"{API}/me", headers=bearer).status_code == 401  # at once
    session.rollback()
    actions = session.scalars(select(AuditEntry.action).where(
        AuditEntry.entity_type == "token").order_by(AuditEntry.id)).all()
    assert actions == ["token.created", "token.revoked"]
    assert session.scalar(select(AuditEntry.actor_key).where(
        AuditEntry.action == "token.created")) == lee.key


@pytest.mark.parametrize("fields,message", [
    ({"name": "   "}, "Give the token a name"),
    ({"name": "x" * 101}, "At most 100 characters."),
    ({"name": "ok", "scope": "admin"}, "Not a valid choice"),
    ({"name": "ok", "expires_in_days": "999"}, "Not a valid choice"),
    ({"name": "ok", "expires_in_days": "soon"}, "could not coerce"),
    ({"name": "a\x00b"}, "must not contain NUL characters"),
])
def test_bad_input_is_a_form_error_and_creates_nothing(client, auth, session, people, fields,
                                                      message):
    auth.login("lee")
    csrf = token(client, PAGE)
    refused = client.post(CREATE, data={"csrf_token": csrf, "scope": "read",
                                        "expires_in_days": "90", **fields})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "No token was created" in html and message in html
    assert 'aria-invalid="true"' in html or 'class="appt-field--error"' in html
    assert 'id="new-token"' not in html
    assert count(session) == 0 and count(session, AuditEntry) == 0


def test_forms_without_a_csrf_token_are_refused(client, auth, session, people):
    lee, *_ = people
    auth.login("lee")
    assert client.post(CREATE, data={"name": "no token"}).status_code == 400
    assert client.post(CREATE, data={"name": "bad", "csrf_token": "forged"}).status_code == 400
    assert count(session) == 0
    csrf = token(client, PAGE)
    assert client.post(CREATE, data={"csrf_token": csrf, "name": "kept"}).status_code == 200
    session.rollback()
    row_id = session.scalars(select(ApiToken.id)).one()
    assert client.post(f"{PAGE}/tokens/{row_id}/revoke").status_code == 400
    assert count(session, revoked_at=None) == 1


def test_only_ones_own_tokens_are_listed_and_revoked(client, auth, session, people):
    lee, boss, ana = people
    auth.login("boss")
    csrf = token(client, PAGE)
    client.post(CREATE, data={"csrf_token": csrf, "name": "registrar's script"})
    auth.logout()
    auth.login("lee")
    csrf = token(client, PAGE)
    html = client.get(PAGE).get_data(as_text=True)
    assert "registrar&#39;s script" not in html and "You have no API tokens yet." in html
    theirs = session.scalars(select(ApiToken.id)).one()
    assert client.post(f"{PAGE}/tokens/{theirs}/revoke",
                       data={"csrf_token": csrf}).status_code == 404
    assert client.post(f"{PAGE}/tokens/999999/revoke",
                       data={"csrf_token": csrf}).status_code == 404
    assert count(session, revoked_at=None) == 1
    client.post(CREATE, data={"csrf_token": csrf, "name": "Lee sync"})
    auth.logout()
    # an admin's page lists only their own tokens too (the API lists everyone's)
    auth.login("boss")
    html = client.get(PAGE).get_data(as_text=True)
    assert "registrar&#39;s script" in html and "Lee sync" not in html


def test_a_token_answers_at_once_while_another_writer_holds_the_lock(app, client, auth, people,
                                                                     caplog):
    """Noting the use is a note: while another writer holds the lock (a batch, SQLite's
    database lock or PostgreSQL's row lock), a request neither waits for it nor fails."""
    lee, *_ = people
    auth.login("lee")
    made = client.post(CREATE, data={"csrf_token": token(client, PAGE), "name": "Sync"})
    secret = re.search(r'id="new-token"[^>]*value="(sisappt_[^"]+)"', made.get_data(as_text=True)
                       ).group(1)
    auth.logout()
    engine = app.extensions["sis_appointments"].engine
    answers = []
    with engine.connect() as blocker:
        if engine.dialect.name == "sqlite":  # the database's write lock
            blocker.execution_options(sqlite_begin="IMMEDIATE").exec_driver_sql("SELECT 1")
        else:
            blocker.execute(select(ApiToken).with_for_update())  # the token's row
        asking = threading.Thread(target=lambda: answers.append(app.test_client().get(
            f"{API}/me", headers={"Authorization": f"Bearer {secret}"})))
        asking.start()
        asking.join(10)  # the busy timeout and retries would keep it waiting minutes
        held = asking.is_alive()
        blocker.rollback()
    asking.join()
    assert not held, "the request waited for the lock"
    assert answers[0].status_code == 200 and answers[0].get_json()["key"] == lee.key
    assert "last use was not written" in caplog.text

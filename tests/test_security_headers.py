"""Security headers on the plugin's responses, and the reference SIS's session cookie: its
flags, logout ending it on the server, and a login form that refuses control characters."""

from __future__ import annotations

import pytest

from sis_appointments import config
from sis_appointments.web.sockets import NAMESPACE

API = "/api/appointments/v1"


def assert_security_headers(response, name: str = "") -> None:
    assert "Content-Security-Policy" in response.headers, name
    policy = response.headers["Content-Security-Policy"]
    directives = dict((part.split(" ", 1) + [""])[:2] for part in policy.split("; "))
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == directives["form-action"] == "'self'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def test_pages_api_errors_and_static_files_carry_the_headers(client, auth, create_user):
    create_user(username="ana")
    create_user(username="adv", role="staff")
    anonymous = client.application.test_client()
    answers = {"401 problem": anonymous.get(f"{API}/me"),
               "unknown API URL": anonymous.get(f"{API}/no-such-thing"),
               "old docs address": anonymous.get(f"{API}/docs"),
               "openapi": anonymous.get(f"{API}/openapi.json"),
               "static": anonymous.get("/appointments/static/js/live.js"),
               "vendor": anonymous.get("/appointments/static/vendor/swagger-ui/swagger-ui.css")}
    auth.login("ana")
    answers |= {"student page": client.get("/appointments/"),
                "book page": client.get("/appointments/book"),
                "API answer": client.get(f"{API}/me"),
                "404 problem": client.get(f"{API}/bookings/999999"),
                "403 page": client.get("/admin/appointments/")}
    auth.logout()
    auth.login("adv")
    answers |= {"staff page": client.get("/admin/appointments/"),
                "staff calendar": client.get("/admin/appointments/calendar"),
                "API page": client.get("/admin/appointments/api")}
    for name, response in answers.items():
        assert_security_headers(response, name)
    assert answers["student page"].status_code == answers["API answer"].status_code == 200
    assert answers["404 problem"].status_code == 404
    assert answers["404 problem"].mimetype == "application/problem+json"
    assert answers["401 problem"].status_code == 401
    assert answers["403 page"].status_code == 403
    assert answers["staff page"].status_code == answers["API page"].status_code == 200
    assert answers["old docs address"].status_code == 301


def test_the_hosts_own_pages_are_left_to_the_host(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "Content-Security-Policy" not in response.headers


def test_headers_are_configurable_and_never_replace_the_hosts(make_app):
    app = make_app(SIS_APPOINTMENTS_CONTENT_SECURITY_POLICY=None,
                   SIS_APPOINTMENTS_REFERRER_POLICY="same-origin")

    @app.get("/appointments/host-made")  # a page the host put under the plugin's prefix
    def host_made():
        return "own", {"Content-Security-Policy": "default-src 'none'",
                       "X-Content-Type-Options": "nosniff"}

    client = app.test_client()
    response = client.get(f"{API}/me")
    assert "Content-Security-Policy" not in response.headers
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    own = client.get("/appointments/host-made")
    assert own.headers["Content-Security-Policy"] == "default-src 'none'"
    assert own.headers.getlist("X-Content-Type-Options") == ["nosniff"]


@pytest.mark.parametrize(("key", "value", "message"), [
    ("SIS_APPOINTMENTS_CONTENT_SECURITY_POLICY", "default-src 'self'\r\nX-Evil: 1",
     "one line of text"),
    ("SIS_APPOINTMENTS_CONTENT_SECURITY_POLICY", 42, "one line of text"),
    ("SIS_APPOINTMENTS_REFERRER_POLICY", "everyone", "Referrer-Policy value"),
])
def test_bad_header_settings_stop_start_up(key, value, message):
    with pytest.raises(config.ConfigError, match=message):
        config.load({"SQLALCHEMY_DATABASE_URI": "sqlite://", key: value})


# -- the reference SIS's session

def test_session_cookie_is_samesite_lax_and_httponly(client, auth, create_user):
    create_user(username="ana")
    response = auth.login("ana")
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie
    assert "Secure" not in cookie  # served over plain HTTP here


def test_session_cookie_is_secure_when_served_over_https(make_app):
    app = make_app(PREFERRED_URL_SCHEME="https")
    response = app.test_client().get("/login", base_url="https://sis.example.edu")
    assert response.status_code == 200  # the form's CSRF token starts the session
    cookie = response.headers["Set-Cookie"]
    assert "; Secure" in cookie and "SameSite=Lax" in cookie


def browsers(app, count: int) -> list:
    """Test clients with their own cookies and contexts (pytest-flask's ``client`` keeps its
    last request's context, whose ``g`` would hand its logged-in user to other clients)."""
    from helpers import Auth

    made = []
    for _ in range(count):
        browser = app.test_client()
        browser.auth = Auth(browser)
        made.append(browser)
    return made


def test_a_captured_session_cookie_stops_working_at_logout(app, create_user):
    create_user(username="ana")
    browser, thief = browsers(app, 2)
    browser.auth.login("ana")
    thief.set_cookie("session", session_cookie(browser))
    assert thief.get("/appointments/").status_code == 200  # the copy works while logged in
    assert browser.auth.logout().status_code == 302
    page = thief.get("/appointments/")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    assert thief.get("/portal").status_code == 302
    api = thief.get(f"{API}/me")
    assert api.status_code == 401 and api.mimetype == "application/problem+json"
    socketio = app.extensions["sis_appointments"].socketio
    assert not socketio.test_client(app, namespace=NAMESPACE,
                                    flask_test_client=thief).is_connected(NAMESPACE)
    # Logging in again makes a new session that works; the old copy stays dead.
    browser.auth.login("ana")
    assert browser.get("/appointments/").status_code == 200
    assert thief.get("/appointments/").status_code == 302


def test_logout_ends_the_users_sessions_in_other_browsers_too(app, create_user):
    create_user(username="ana")
    laptop, phone = browsers(app, 2)
    phone.auth.login("ana")
    laptop.auth.login("ana")
    assert phone.get("/appointments/").status_code == 200
    laptop.auth.logout()
    assert phone.get("/appointments/").status_code == 302


@pytest.mark.parametrize("session_id", ["1", "1:x", "1:0:0", "99999999999:0", "١:0", ""])
def test_session_ids_of_another_form_are_no_one(app, create_user, session_id):
    create_user(username="ana")  # id 1
    thief = app.test_client()
    with thief.session_transaction() as flask_session:
        flask_session["_user_id"] = session_id
    assert thief.get("/appointments/").status_code == 302


@pytest.mark.parametrize("username", ["ana\x00", "\x00", "an\ta"])
def test_login_refuses_control_characters_with_a_form_error(client, auth, create_user, username):
    create_user(username="ana")
    response = auth.login(username)
    assert response.status_code == 400
    assert "Use only letters, digits and punctuation." in response.get_data(as_text=True)
    assert client.get("/portal").status_code == 302

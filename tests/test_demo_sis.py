"""The reference SIS on its own: login, logout, roles, directory, profiles."""

from __future__ import annotations

import pytest


def test_login_page_renders_with_csrf_token(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert b'name="csrf_token"' in page.data


def test_login_with_right_password_lands_on_portal(client, auth, create_user):
    student = create_user(username="ana")
    response = auth.login("ana")
    assert response.status_code == 302
    assert client.get(response.headers["Location"], follow_redirects=True).status_code == 200
    assert f"Welcome, {student.name}" in client.get("/portal").get_data(as_text=True)


def test_wrong_password_is_a_form_error_not_a_login(client, auth, create_user):
    create_user(username="ana")
    response = auth.login("ana", "wrong")
    assert response.status_code == 400
    assert "Unknown username or wrong password." in response.get_data(as_text=True)
    assert client.get("/portal").status_code == 302


def test_empty_fields_are_form_errors(client, auth):
    token = auth.csrf_token()
    response = client.post("/login", data={"username": "", "password": "", "csrf_token": token})
    assert response.status_code == 400
    assert response.get_data(as_text=True).count("This field is required.") == 2


def test_login_without_csrf_token_is_refused(client, create_user):
    create_user(username="ana")
    response = client.post("/login", data={"username": "ana", "password": "demo"})
    assert response.status_code == 400
    assert "The CSRF token is missing." in response.get_data(as_text=True)
    assert client.get("/portal").status_code == 302


def test_login_ignores_offsite_next(client, auth, create_user):
    create_user(username="ana")
    token = auth.csrf_token()
    response = client.post("/login?next=https://evil.example/", data={
        "username": "ana", "password": "demo", "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_inactive_student_cannot_log_in(client, auth, create_user):
    create_user(username="gone", active=False)
    response = auth.login("gone")
    assert response.status_code == 400
    assert "no longer active" in response.get_data(as_text=True)


def test_logout_needs_post_with_csrf(client, auth, create_user):
    create_user(username="ana")
    auth.login("ana")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert auth.logout().status_code == 302
    assert client.get("/portal").status_code == 302


def test_directory_is_for_staff_only(client, auth, create_user):
    create_user(username="ana", name="Ana Lima")
    create_user(username="adv", role="staff")
    auth.login("ana")
    assert client.get("/students").status_code == 403
    auth.logout()
    auth.login("adv")
    page = client.get("/students?q=lima").get_data(as_text=True)
    assert "Ana Lima" in page and "1 of 1 students" in page


def test_student_sees_own_profile_only(client, auth, create_user):
    ana = create_user(username="ana")
    ben = create_user(username="ben")
    auth.login("ana")
    assert client.get(f"/students/{ana.id}").status_code == 200
    assert client.get(f"/students/{ben.id}").status_code == 403
    assert client.get("/students/999999").status_code == 404


def test_profile_shows_timetable_section(client, auth, create_user):
    ana = create_user(username="ana")
    auth.login("ana")
    page = client.get(f"/students/{ana.id}").get_data(as_text=True)
    assert 'id="section-timetable"' in page


@pytest.mark.own_database  # the reference SIS's own migrations build its tables here
def test_demo_migrations_match_its_models_and_step_down(make_app):
    from demo_sis.extensions import db
    from sqlalchemy import inspect

    app = make_app(create_tables=False)
    runner = app.test_cli_runner()

    def columns():
        with app.app_context():
            return {c["name"] for c in inspect(db.engine).get_columns("sis_user")}

    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "session_generation" in columns()
    result = runner.invoke(args=["db", "check"])  # autogenerate finds nothing to add
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["db", "downgrade", "0001"])
    assert result.exit_code == 0, result.output
    assert "session_generation" not in columns()

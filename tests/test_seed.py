"""The reference SIS's seed command and its busy-times answer."""

from __future__ import annotations

from datetime import UTC, datetime, time
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from demo_sis.hostimpl import weekly_busy_times
from sqlalchemy import func, select


def test_seed_creates_realistic_data_and_is_idempotent(app):
    from demo_sis.extensions import db
    from demo_sis.models import Student, TimetableEntry, User

    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed", "--students", "40", "--staff", "6"])
    assert first.exit_code == 0, first.output
    for login in ("admin ", "advisor ", "student ", "staff05 ", "student039 "):
        assert f"  {login}" in first.output
    assert "Appointments: 3 types with weekly series, and " in first.output
    second = runner.invoke(args=["seed", "--students", "40", "--staff", "6"])
    assert "Created 0 users" in second.output
    assert "Appointments:" not in second.output
    with app.app_context():
        counts = {role: n for role, n in db.session.execute(
            select(User.role, func.count()).group_by(User.role))}
        assert counts == {"admin": 3, "staff": 6, "student": 40}
        assert db.session.scalar(select(func.count(func.distinct(Student.program)))) > 3
        per_student = db.session.execute(
            select(func.count()).select_from(TimetableEntry).group_by(TimetableEntry.student_id)
        ).scalars().all()
        assert len(per_student) == 40 and min(per_student) >= 1
    from sis_appointments.models import AppointmentType, Booking, Series
    with app.extensions["sis_appointments"].sessionmaker() as session:
        assert session.scalar(select(func.count()).select_from(AppointmentType)) == 3
        assert session.scalar(select(func.count()).select_from(Series)) == 6
        assert session.scalar(select(func.count()).select_from(Booking)) > 5


def test_seed_rejects_bad_input_clearly(app):
    result = app.test_cli_runner().invoke(args=["seed", "--students", "-5"])
    assert result.exit_code == 2
    assert "Invalid value for '--students'" in result.output


@pytest.mark.own_database  # starts without tables: a fresh database
def test_seed_before_migrations_says_what_to_do(make_app):
    app = make_app(create_tables=False)
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 1
    assert "run `flask --app demo_sis db upgrade` first" in result.output
    assert "Traceback" not in result.output


def test_busy_times_keep_wall_clock_across_dst():
    monday_class = SimpleNamespace(weekday=0, start=time(10), end=time(11, 30), course="HIST 101")
    zone = ZoneInfo("America/New_York")
    busy = weekly_busy_times([monday_class], datetime(2026, 10, 26, tzinfo=UTC),
                             datetime(2026, 11, 10, tzinfo=UTC), zone)
    assert [b.start.astimezone(UTC).hour for b in busy] == [14, 15, 15]
    assert all(b.start.astimezone(zone).time() == time(10) for b in busy)
    assert {b.label for b in busy} == {"HIST 101"}


def test_busy_times_hook_answers_for_a_student(app, create_user):
    ana = create_user(username="ana")
    with app.app_context():
        from demo_sis.extensions import db
        from demo_sis.models import TimetableEntry

        db.session.add(TimetableEntry(student_id=ana.id, course="MATH 200", weekday=2,
                                      start=time(9), end=time(10)))
        db.session.commit()
        busy = app.extensions["sis_plugins"].hook.appointments_busy_times(
            student_key=ana.key, start=datetime(2026, 12, 1, tzinfo=UTC),
            end=datetime(2026, 12, 8, tzinfo=UTC))
    assert [(b.start, b.label) for b in busy] == [
        (datetime(2026, 12, 2, 14, tzinfo=UTC), "MATH 200")]


def test_reference_host_answers_student_lookups(app, create_user):
    ana = create_user(username="ana", name="Ana Lima", program="BA Economics", cohort="2024")
    create_user(username="ben", name="Ben Okafor")
    hook = app.extensions["sis_plugins"].hook
    with app.test_request_context():
        student = hook.appointments_get_student(student_key=ana.key)
        assert (student.name, student.program, student.cohort, student.active) == (
            "Ana Lima", "BA Economics", "2024", True)
        assert hook.appointments_get_student(student_key="no-such-key") is None
        found = hook.appointments_search_students(query="lima", limit=10)
        assert [s.key for s in found] == [ana.key]
        assert [s.key for s in hook.appointments_search_students(query="", limit=1)] == [ana.key]
        assert hook.appointments_profile_url(student_key=ana.key) == f"/students/{ana.id}"
        assert hook.appointments_profile_url(student_key="nobody") is None


def test_seed_with_an_unreachable_database_is_a_clear_error(make_app, tmp_path):
    app = make_app(create_tables=False,
                   SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/no/such/dir/sis.db",
                   SIS_APPOINTMENTS_DATABASE_URL=f"sqlite:///{tmp_path}/appt.db")
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 1
    assert "seeding failed, nothing was saved: unable to open database file" in result.output


@pytest.mark.own_database  # starts without tables: a fresh database
def test_seed_before_the_plugin_tables_exist_says_what_to_do(make_app):
    from demo_sis.extensions import db

    app = make_app(create_tables=False)
    with app.app_context():
        db.create_all()
    result = app.test_cli_runner().invoke(args=["seed", "--students", "3", "--staff", "2"])
    assert result.exit_code == 1
    assert "the SIS data was saved, but a plugin's demo data failed" in result.output
    assert "run `flask appointments db upgrade` first" in result.output


def test_a_tiny_staff_still_gets_demo_appointments(app):
    result = app.test_cli_runner().invoke(args=["seed", "--students", "2", "--staff", "1"])
    assert result.exit_code == 0, result.output
    assert "Appointments: 3 types with weekly series" in result.output

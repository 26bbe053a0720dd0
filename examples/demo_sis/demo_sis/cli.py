"""``flask --app demo_sis seed``: realistic demo data, safe to run twice."""

from __future__ import annotations

import random
from datetime import time

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import inspect, select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.security import generate_password_hash

from demo_sis import plugins
from demo_sis.extensions import db
from demo_sis.models import Student, TimetableEntry, User

DEMO_PASSWORD = "demo"
FIRST = ("Amara Ben Chloe Dmitri Elena Farah Gabriel Hana Ibrahim Jun Kofi Lena Mateo Nadia Omar "
         "Priya Quinn Rosa Samir Tomas Uma Victor Wen Ximena Yusuf Zoe Aiko Bruno Carmen Diego "
         "Esther Felix Grace Hugo Isla Jonas Kira Liam Maya Noah").split()
LAST = ("Okafor Schmidt Nguyen Patel Rossi Kim Haddad Silva Novak Tanaka Murphy Kowalski Garcia "
        "Andersen Mensah Dubois Yilmaz Costa Ivanova Chen Moreau Singh Lopez Fischer Ali Brown "
        "Cohen Sato Johansson Reyes").split()
PROGRAMS = ("BSc Computer Science", "BA History", "BEng Mechanical Engineering", "BSc Biology",
            "BA Economics", "BN Nursing", "BMus Performance")
OFFICES = ("Academic Advising", "Writing Centre", "Tutoring Centre", "Career Services",
           "Registrar's Office")
ZONES = ("America/New_York",) * 8 + ("America/Los_Angeles", "Europe/Berlin", "Asia/Kolkata",
                                     "Australia/Sydney")
COURSES = ("MATH", "CHEM", "HIST", "ECON", "BIOL", "COMP", "PHYS", "ENGL", "MUSC", "NURS")
# (username, role, name, office)
FIXED = (
    ("admin", "admin", "Alex Admin", "Registrar's Office"),
    ("registrar", "admin", "Rita Registrar", "Registrar's Office"),
    ("itadmin", "admin", "Ivan Systems", None),
    ("advisor", "staff", "Avery Advisor", "Academic Advising"),
)


def register(app: Flask) -> None:
    app.cli.add_command(seed)


@click.command("seed")
@with_appcontext
@click.option("--students", default=300, type=click.IntRange(1, 20000), show_default=True)
@click.option("--staff", default=15, type=click.IntRange(1, 500), show_default=True)
@click.option("--random-seed", default=2026, type=int, show_default=True)
def seed(students: int, staff: int, random_seed: int) -> None:
    """Fill the SIS with admins, staff, students and class timetables (password 'demo')."""
    rng = random.Random(random_seed)
    try:
        if not inspect(db.engine).has_table(User.__tablename__):
            raise click.ClickException(
                "the SIS tables do not exist yet: run `flask --app demo_sis db upgrade` first"
            )
        created = _seed(rng, students, staff)
        db.session.commit()
    except SQLAlchemyError as exc:
        db.session.rollback()
        reason = getattr(exc, "orig", exc)
        raise click.ClickException(f"seeding failed, nothing was saved: {reason}") from exc
    try:
        summaries = plugins.hook().sis_seed_demo(
            staff_keys=_keys("staff"), student_keys=_keys("student"),
            timezone=current_app.config["DEMO_SIS_TIMEZONE"],
        )
    except Exception as exc:  # a plugin's failure is reported, the SIS's own data is kept
        raise click.ClickException(f"the SIS data was saved, but a plugin's demo data "
                                   f"failed: {exc}") from exc
    for summary in summaries:
        click.echo(summary)
    click.echo(
        f"Created {created} users (existing ones were kept). Logins, password '{DEMO_PASSWORD}':"
    )
    for user in db.session.scalars(select(User).order_by(User.role, User.username)):
        detail = user.office or (user.student.program if user.student else "")
        click.echo(f"  {user.username:<14} {user.role:<8} {user.name:<24} {detail}")


def _seed(rng: random.Random, n_students: int, n_staff: int) -> int:
    existing = set(db.session.scalars(select(User.username)))
    people = [(u, r, n, o) for u, r, n, o in FIXED]
    for i in range(1, n_staff):
        office = OFFICES[i % len(OFFICES)]
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        people.append((f"staff{i:02d}", "staff", name, office))
    password_hash = generate_password_hash(DEMO_PASSWORD)  # hashed once: scrypt is slow on purpose
    created = 0
    for username, role, name, office in people:
        if username not in existing:
            _add_user(username, role, name, office, "America/New_York", password_hash)
            created += 1
    for i in range(n_students):
        username = "student" if i == 0 else f"student{i:03d}"
        # Every draw happens whether or not the user exists, so reruns produce the same people.
        name = "Sam Student" if i == 0 else f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        program, year, zone = rng.choice(PROGRAMS), rng.randint(1, 4), rng.choice(ZONES)
        classes = _timetable(rng)
        if username in existing:
            continue
        user = _add_user(username, "student", name, None, zone, password_hash)
        user.student = Student(student_number=f"S{2026000 + i:07d}", program=program,
                               cohort=str(2027 - year), year=year)
        user.student.classes = classes
        created += 1
    return created


def _keys(role: str) -> list[str]:
    """Keys of the users with ``role``, demo logins first, then by username."""
    users = db.session.scalars(select(User).where(User.role == role)).all()
    first = {"advisor", "student"}
    return [str(u.id) for u in sorted(users, key=lambda u: (u.username not in first, u.username))]


def _add_user(
    username: str, role: str, name: str, office: str | None, zone: str, password_hash: str
) -> User:
    email_name = name.lower().replace(" ", ".").replace("'", "")
    user = User(username=username, role=role, name=name, office=office, timezone=zone,
                email=f"{email_name}.{username}@demo-sis.example", password_hash=password_hash)
    db.session.add(user)
    return user


def _timetable(rng: random.Random) -> list[TimetableEntry]:
    """Three to five weekly classes on weekdays between 08:00 and 18:00 that do not overlap."""
    entries, taken = [], set()
    for _ in range(rng.randint(3, 5)):
        weekday, hour = rng.randint(0, 4), rng.randint(8, 16)
        if (weekday, hour) in taken or (weekday, hour - 1) in taken or (weekday, hour + 1) in taken:
            continue
        taken.add((weekday, hour))
        course = f"{rng.choice(COURSES)} {rng.randint(100, 499)}"
        entries.append(TimetableEntry(course=course, weekday=weekday, start=time(hour, 0),
                                      end=time(hour + 1, 30)))
    return entries

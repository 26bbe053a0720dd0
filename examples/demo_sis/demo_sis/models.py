"""The demo SIS's own tables: users, students and their weekly class timetable."""

from __future__ import annotations

from datetime import time

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from demo_sis.extensions import db, login_manager

ROLES = ("admin", "staff", "student")


class User(UserMixin, db.Model):
    __tablename__ = "sis_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    office: Mapped[str | None] = mapped_column(String(100))
    # Part of the login session's user ID ("<id>:<generation>"); logging out counts it up,
    # so every session cookie issued before (a copied one too) stops working.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    student: Mapped[Student | None] = relationship(back_populates="user", uselist=False)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_generation}"

    def end_sessions(self) -> None:
        """Invalidate every login session of this user, in every browser (server side)."""
        self.session_generation += 1

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class Student(db.Model):
    __tablename__ = "sis_student"

    user_id: Mapped[int] = mapped_column(ForeignKey("sis_user.id"), primary_key=True)
    student_number: Mapped[str] = mapped_column(String(20), unique=True)
    program: Mapped[str] = mapped_column(String(100))
    cohort: Mapped[str] = mapped_column(String(20))
    year: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True)

    user: Mapped[User] = relationship(back_populates="student")
    classes: Mapped[list[TimetableEntry]] = relationship(
        back_populates="student", order_by="(TimetableEntry.weekday, TimetableEntry.start)"
    )


class TimetableEntry(db.Model):
    """A weekly class, in the campus time zone (DEMO_SIS_TIMEZONE)."""

    __tablename__ = "sis_timetable_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("sis_student.user_id"), index=True)
    course: Mapped[str] = mapped_column(String(100))
    weekday: Mapped[int]  # 0 = Monday
    start: Mapped[time]
    end: Mapped[time]

    student: Mapped[Student] = relationship(back_populates="classes")


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The user of a session's ID "<id>:<generation>", unless they have logged out since the
    session began (their generation moved on); an ID of another form is no one."""
    user_id, _, generation = session_id.partition(":")
    if not (user_id.isascii() and user_id.isdigit() and generation.isascii()
            and generation.isdigit()) or len(user_id) > 10:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or str(user.session_generation) != generation:
        return None
    return user

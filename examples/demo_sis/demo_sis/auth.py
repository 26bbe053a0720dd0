"""Password login and logout (Flask-Login, CSRF-protected forms)."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from demo_sis.extensions import db
from demo_sis.models import User

bp = Blueprint("auth", __name__)


def printable(form, field) -> None:
    """No control characters (a NUL byte cannot even be sent to PostgreSQL)."""
    if field.data and not field.data.isprintable():
        raise ValidationError("Use only letters, digits and punctuation.")


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64), printable])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class CsrfForm(FlaskForm):
    """Only the CSRF token, for POST buttons (logout, deactivate)."""


def roles_required(*roles: str):
    """View decorator: log in first, then 403 unless the user has one of ``roles``."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths are followed after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data.strip()))
        if user is not None and user.check_password(form.password.data):
            if user.student is not None and not user.student.active:
                form.username.errors.append("This account is no longer active.")
            else:
                login_user(user)
                return redirect(_safe_next(request.args.get("next")) or url_for("main.home"))
        else:
            form.password.errors.append("Unknown username or wrong password.")
    status = 400 if request.method == "POST" else 200
    return render_template("login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    if CsrfForm().validate_on_submit():
        current_user.end_sessions()  # a copy of this session's cookie no longer works either
        db.session.commit()
        logout_user()
        flash("You have been logged out.")
        return redirect(url_for("auth.login"))
    abort(400)

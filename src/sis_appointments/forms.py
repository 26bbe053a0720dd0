"""WTForms of the plugin's pages; every POST carries a CSRF token (Flask-WTF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length, Regexp


class ActionForm(FlaskForm):
    """A button that changes something: book, join, leave."""


class CancelForm(FlaskForm):
    reason = StringField("Reason (optional)", validators=[
        Length(max=500), Regexp(r"^[^\x00]*$", message="must not contain NUL characters")])

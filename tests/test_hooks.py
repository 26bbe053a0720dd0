"""The host contract: specs documented, host-object adapter, post-commit events."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from flask import Flask
from flask_login import LoginManager, UserMixin
from helpers import COLLECTING_HOOKS, event_hook_names, hook_reference
from sqlalchemy import select

from sis_appointments import hookimpl, init_app
from sis_appointments.contract import AppointmentEvent, SisUser
from sis_appointments.hooks import sisspec, specs
from sis_appointments.models import AuditEntry, metadata
from sis_appointments.services.platform import audit, events, tx

README = (Path(__file__).parents[1] / "README.md").read_text()
SPEC_MODULES = (sisspec, specs)


def all_specs():
    for module in SPEC_MODULES:
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith(("sis_", "appointments_")):
                yield name, fn


@pytest.mark.parametrize("name,fn", list(all_specs()), ids=[n for n, _ in all_specs()])
def test_every_spec_has_a_docstring(name, fn):
    assert (fn.__doc__ or "").strip(), f"{name} has no docstring"


def test_the_readme_hook_reference_is_generated_from_the_docstrings():
    reference = hook_reference()
    tables = reference.render()
    assert reference.readme_block(README) == tables, (
        "README.md's hook reference differs from the specs' docstrings: run "
        ".venv/bin/python scripts/hook-reference --write")
    for name, fn in all_specs():
        assert f"`{name}{inspect.signature(fn)}`" in tables, name


def test_firstresult_specs_say_where_they_stop():
    for name, fn in all_specs():
        says = "Stops at the first non-None answer." in (fn.__doc__ or "")
        assert says == bool(fn.sis_spec.get("firstresult")), name


def test_lookups_are_firstresult_and_events_broadcast():
    for name, fn in inspect.getmembers(specs, inspect.isfunction):
        first = fn.sis_spec.get("firstresult")
        assert first == (name not in event_hook_names() and name not in COLLECTING_HOOKS), name
    assert len(event_hook_names()) == 10


def test_reference_host_passes_check_pending(app):
    pm = app.extensions["sis_plugins"]
    pm.check_pending()
    assert "appointments" in {name for name, _ in pm.list_name_plugin()}


def _audit_and_announce(session, name):
    audit.record(session, actor_key="1", action="test", entity_type="booking", entity_id=1)
    events.announce(session, AppointmentEvent(name, "booking", 1, actor_key="1"))


def test_events_reach_the_host_only_after_commit(app, session, event_recorder):
    recorder = event_recorder
    names = [n.removeprefix("appointments_") for n in event_hook_names()]
    with tx.transaction(session):
        for name in names:
            _audit_and_announce(session, name)
        session.flush()
        assert recorder.seen == [], "nothing is announced before commit"
    assert [hook for hook, _ in recorder.seen] == [f"appointments_{n}" for n in names]
    assert all(event.entity_id == 1 for _, event in recorder.seen)


def test_a_rolled_back_transaction_announces_nothing(app, session, event_recorder):
    recorder = event_recorder
    _audit_and_announce(session, "booking_created")
    session.rollback()
    session.commit()
    assert recorder.seen == []
    assert session.scalars(select(AuditEntry)).all() == []


def test_a_failing_host_listener_does_not_undo_the_commit(app, session, caplog):
    class Broken:
        @hookimpl
        def appointments_booking_created(self, event):
            raise RuntimeError("listener bug")

    app.extensions["sis_plugins"].register(Broken())
    with tx.transaction(session):
        _audit_and_announce(session, "booking_created")
    assert len(session.scalars(select(AuditEntry)).all()) == 1
    assert "appointments_booking_created failed" in caplog.text


# A host without pluggy: an object whose methods are named like the specs.


class PlainUser(UserMixin):
    def __init__(self, key, role):
        self.id, self.role = key, role


class PlainHost:
    def appointments_identify(self, user):
        return SisUser(key=user.id, name=f"User {user.id}", roles=frozenset({user.role}),
                        timezone="Asia/Kolkata")

    def not_a_hook(self):
        raise AssertionError("never registered")


def make_plain_app(tmp_path, host):
    app = Flask("plain_host")
    app.config.update(SECRET_KEY="x", SIS_APPOINTMENTS_DATABASE_URL=f"sqlite:///{tmp_path}/p.db")
    login = LoginManager(app)
    login.request_loader(lambda request: PlainUser(*request.headers["X-User"].split(":"))
                         if "X-User" in request.headers else None)
    init_app(app, host=host)
    metadata.create_all(app.extensions["sis_appointments"].engine)
    return app


def test_host_without_pluggy_gets_pages_in_the_plugins_own_layout(tmp_path):
    app = make_plain_app(tmp_path, PlainHost())
    client = app.test_client()
    page = client.get("/appointments/", headers={"X-User": "s1:student"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<title>My appointments</title>" in html and "Times are shown in Asia/Kolkata" in html
    assert client.get("/appointments/", headers={"X-User": "t1:staff"}).status_code == 403
    assert client.get("/appointments/").status_code == 401
    assert client.get("/admin/appointments/", headers={"X-User": "t1:staff"}).status_code == 200


def test_host_object_methods_must_match_spec_arguments(tmp_path):
    class WrongHost:
        def appointments_get_student(self, student_id):
            return None

    from pluggy import PluginValidationError

    with pytest.raises(PluginValidationError, match="student_id"):
        make_plain_app(tmp_path, WrongHost())

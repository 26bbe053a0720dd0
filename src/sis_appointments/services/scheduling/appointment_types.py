"""Appointment types (templates): create and change them, with precise validation."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sis_appointments.contract import SisUser
from sis_appointments.domain.errors import Conflict, InvalidInput, NotFound
from sis_appointments.domain.timezones import zone
from sis_appointments.domain.type_limits import (
    COLOUR,
    FLAGS,
    HOST_KEY_LENGTH,
    NUMBERS,
    OPTIONAL_TEXT,
    TEXT,
)
from sis_appointments.models import AppointmentType, Slot, TypeHost
from sis_appointments.services.accounts import access
from sis_appointments.services.platform import audit, sis, tx


def _number(key: str, value):
    limit = NUMBERS[key]
    if value is None and limit.optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < limit.low:
        raise InvalidInput(f"{key} must be a whole number of at least {limit.low}",
                           code="bad_number", field=key)
    if value > limit.high:
        raise InvalidInput(f"{key} must be at most {limit.high}", code="bad_number", field=key)
    return value


def _text(key: str, value):
    value = (value or "").strip() if isinstance(value, str | type(None)) else value
    if not isinstance(value, str) or len(value) > TEXT[key]:
        raise InvalidInput(f"{key} must be text of at most {TEXT[key]} characters", field=key)
    if key == "name" and not value:
        raise InvalidInput("a name is required", code="required", field=key)
    return value or (None if key in OPTIONAL_TEXT else value)


def _flag(key: str, value):
    if not isinstance(value, bool):
        raise InvalidInput(f"{key} must be true or false", field=key)
    return value


def _timezone(_key: str, value):
    zone(value)
    return value


def _colour(key: str, value):
    if value is not None and not re.fullmatch(COLOUR, str(value)):
        raise InvalidInput("colour must look like #1a2b3c", field=key)
    return value


def _hosts(key: str, value):
    if not value or not all(isinstance(h, str) and 0 < len(h) <= HOST_KEY_LENGTH
                            for h in value):
        raise InvalidInput("name at least one host", code="required", field=key)
    return sorted(set(value))


CHECKS = {**dict.fromkeys(NUMBERS, _number), **dict.fromkeys(TEXT, _text),
          **dict.fromkeys(FLAGS, _flag), "timezone": _timezone, "colour": _colour,
          "eligibility": lambda _key, value: _eligibility(value), "hosts": _hosts}


def validate(fields: dict) -> dict:
    """Check each given field; return them cleaned. Unknown fields are refused."""
    unknown = set(fields) - set(CHECKS)
    if unknown:
        raise InvalidInput(f"unknown fields: {', '.join(sorted(unknown))}", code="unknown_field")
    return {key: CHECKS[key](key, value) for key, value in fields.items()}


def listed(session: Session) -> list[AppointmentType]:
    """Every appointment type, active ones first, by name."""
    return list(session.scalars(select(AppointmentType).order_by(
        AppointmentType.active.desc(), AppointmentType.name)))


def get(session: Session, type_id: int) -> AppointmentType:
    return tx.get(session, AppointmentType, type_id, "appointment type")


def _eligibility(value) -> dict:
    value = value or {}
    if not isinstance(value, dict) or set(value) - {"programs", "cohorts"}:
        raise InvalidInput("eligibility takes 'programs' and 'cohorts' lists", field="eligibility")
    for key, names in value.items():
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise InvalidInput(f"eligibility {key} must be a list of names", field="eligibility")
    return {k: sorted(set(v)) for k, v in value.items() if v}


def state(appointment_type: AppointmentType) -> dict:
    data = {key: getattr(appointment_type, key) for key in set(CHECKS) - {"hosts"}}
    data["hosts"] = sorted(h.host_key for h in appointment_type.hosts)
    return data


def _require_hosts(session: Session, actor: SisUser, hosts) -> None:
    for host_key in hosts:
        access.require_manage_host(session, actor, host_key)


def create(session: Session, *, actor: SisUser, known_hosts: bool = False,
           **fields) -> AppointmentType:
    """Create a type; staff may create types only for calendars they manage. With
    ``known_hosts`` (the API), hosts the SIS does not know are refused (``unknown_user``)."""
    for required in ("name", "duration_minutes", "timezone", "hosts"):
        if required not in fields:
            raise InvalidInput(f"{required} is required", code="required", field=required)
    clean = validate(fields)

    def work() -> AppointmentType:
        _require_hosts(session, actor, clean["hosts"])
        if known_hosts:
            sis.require_users(session, clean["hosts"], "hosts")
        hosts = clean.pop("hosts")
        appointment_type = AppointmentType(**clean)
        appointment_type.hosts = [TypeHost(host_key=h) for h in hosts]
        session.add(appointment_type)
        session.flush()
        audit.record(session, actor_key=actor.key, action="type.created", entity_type="type",
                     entity_id=appointment_type.id, after=state(appointment_type))
        return appointment_type

    return tx.run(session, work)


def update(session: Session, *, actor: SisUser, type_id: int,
           expected_version: int | None = None, known_hosts: bool = False,
           **changes) -> AppointmentType:
    """Change a type's fields (If-Match with ``expected_version``). Capacity and buffers
    apply to slots created from now on; existing slots keep theirs."""
    clean = validate(changes)

    def work() -> AppointmentType:
        appointment_type = session.get(AppointmentType, type_id)
        if appointment_type is None:
            raise NotFound(f"appointment type {type_id} does not exist")
        _require_hosts(session, actor, [h.host_key for h in appointment_type.hosts])
        if expected_version is not None and appointment_type.version != expected_version:
            raise Conflict("the type changed since you read it", code="version_mismatch",
                           version=appointment_type.version)
        before = state(appointment_type)
        if "hosts" in clean:
            hosts = clean.pop("hosts")
            _require_hosts(session, actor, hosts)
            if known_hosts:
                sis.require_users(session, hosts, "hosts")
            _check_hosts_keep_their_slots(session, appointment_type, hosts)
            appointment_type.hosts = [TypeHost(host_key=h) for h in hosts]
        for key, value in clean.items():
            setattr(appointment_type, key, value)
        appointment_type.version += 1
        audit.record(session, actor_key=actor.key, action="type.updated", entity_type="type",
                     entity_id=type_id, before=before, after=state(appointment_type))
        return appointment_type

    return tx.run(session, work)


def _check_hosts_keep_their_slots(session: Session, appointment_type, hosts) -> None:
    orphaned = session.scalar(select(func.count()).select_from(Slot).where(
        Slot.type_id == appointment_type.id, Slot.status == "open",
        Slot.host_key.not_in(hosts)))
    if orphaned:
        raise Conflict(f"{orphaned} open slots belong to hosts you are removing",
                       code="host_has_slots")

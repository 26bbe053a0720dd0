"""Appointment types (templates): create and change them, with precise validation."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sis_appointments.contract import SisUser
from sis_appointments.domain.errors import Conflict, InvalidInput, NotFound
from sis_appointments.domain.timezones import zone
from sis_appointments.models import AppointmentType, Slot, TypeHost
from sis_appointments.services.accounts import access
from sis_appointments.services.platform import audit, tx

# field: (lowest allowed, may be None)
NUMBERS = {
    "duration_minutes": (1, False), "capacity": (1, False),
    "buffer_before_minutes": (0, False), "buffer_after_minutes": (0, False),
    "min_notice_minutes": (0, False), "max_advance_days": (1, True),
    "cancel_cutoff_minutes": (0, False), "max_active_per_student": (1, True),
    "max_per_student_per_day": (1, True), "max_per_student_per_week": (1, True),
    "waitlist_size": (1, True), "offer_minutes": (1, True),
}
TEXT = {"name": 200, "description": 5000, "location": 200, "online_url": 500}
FLAGS = {"waitlist_enabled", "active"}
EDITABLE = set(NUMBERS) | set(TEXT) | FLAGS | {"timezone", "eligibility", "colour", "hosts"}


def validate(fields: dict) -> dict:
    """Check each given field; return them cleaned. Unknown fields are refused."""
    unknown = set(fields) - EDITABLE
    if unknown:
        raise InvalidInput(f"unknown fields: {', '.join(sorted(unknown))}", code="unknown_field")
    clean = {}
    for key, value in fields.items():
        if key in NUMBERS:
            lowest, optional = NUMBERS[key]
            if value is None and optional:
                clean[key] = None
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value < lowest:
                raise InvalidInput(f"{key} must be a whole number of at least {lowest}",
                                   code="bad_number", field=key)
        elif key in TEXT:
            value = (value or "").strip() if isinstance(value, str | type(None)) else value
            if not isinstance(value, str) or len(value) > TEXT[key]:
                raise InvalidInput(f"{key} must be text of at most {TEXT[key]} characters",
                                   field=key)
            if key == "name" and not value:
                raise InvalidInput("a name is required", code="required", field=key)
            value = value or (None if key in ("location", "online_url") else value)
        elif key in FLAGS:
            if not isinstance(value, bool):
                raise InvalidInput(f"{key} must be true or false", field=key)
        elif key == "timezone":
            zone(value)
        elif key == "colour":
            if value is not None and not re.fullmatch(r"#[0-9a-fA-F]{6}", str(value)):
                raise InvalidInput("colour must look like #1a2b3c", field=key)
        elif key == "eligibility":
            value = _eligibility(value)
        elif key == "hosts":
            if not value or not all(isinstance(h, str) and h for h in value):
                raise InvalidInput("name at least one host", code="required", field=key)
            value = sorted(set(value))
        clean[key] = value
    return clean


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
    data = {key: getattr(appointment_type, key) for key in EDITABLE - {"hosts"}}
    data["hosts"] = sorted(h.host_key for h in appointment_type.hosts)
    return data


def _require_hosts(session: Session, actor: SisUser, hosts) -> None:
    for host_key in hosts:
        access.require_manage_host(session, actor, host_key)


def create(session: Session, *, actor: SisUser, **fields) -> AppointmentType:
    """Create a type; staff may create types only for calendars they manage."""
    for required in ("name", "duration_minutes", "timezone", "hosts"):
        if required not in fields:
            raise InvalidInput(f"{required} is required", code="required", field=required)
    clean = validate(fields)

    def work() -> AppointmentType:
        _require_hosts(session, actor, clean["hosts"])
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
           expected_version: int | None = None, **changes) -> AppointmentType:
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

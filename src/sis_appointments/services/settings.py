"""System defaults that admins edit (the appt_setting table), with built-in fallbacks."""

from __future__ import annotations

from sqlalchemy.orm import Session

from sis_appointments.domain.errors import Forbidden, InvalidInput
from sis_appointments.host import HostUser
from sis_appointments.models import Setting
from sis_appointments.services import audit, tx

DEFAULTS: dict[str, int] = {
    # How far ahead recurring series are materialised as slots, in days.
    "horizon_days": 120,
}


def get(session: Session, key: str):
    row = session.get(Setting, key)
    return DEFAULTS[key] if row is None else row.value


def put(session: Session, *, actor: HostUser, key: str, value) -> None:
    if not actor.has_role("admin"):
        raise Forbidden("only admins change system settings")
    if key not in DEFAULTS:
        raise InvalidInput(f"unknown setting {key!r}", code="unknown_setting")
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 3650:
        raise InvalidInput(f"{key} must be a whole number of days from 1 to 3650")

    def work():
        row = session.get(Setting, key)
        before = None if row is None else {"value": row.value}
        if row is None:
            row = Setting(key=key)
            session.add(row)
        row.value, row.updated_by = value, actor.key
        audit.record(session, actor_key=actor.key, action="setting.changed",
                     entity_type="setting", entity_id=key, before=before, after={"value": value})

    tx.run(session, work)

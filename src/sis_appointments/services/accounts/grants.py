"""Grants on top of the host's roles: who may manage another host's calendar (admins only)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sis_appointments.contract import SisUser
from sis_appointments.domain.errors import InvalidInput
from sis_appointments.models import RoleGrant
from sis_appointments.services.accounts import access
from sis_appointments.services.platform import audit, tx

GRANTS = ("manage_calendar", "manage_all")


def _admin(actor: SisUser) -> None:
    access.require_admin(actor, "manage grants")


def listed(session: Session, actor: SisUser) -> list[RoleGrant]:
    _admin(actor)
    return list(session.scalars(select(RoleGrant).order_by(RoleGrant.id)))


def give(session: Session, *, actor: SisUser, user_key: str, grant: str,
         target_key: str | None = None) -> RoleGrant:
    """``manage_calendar`` needs the calendar's host as ``target_key``; ``manage_all`` none."""
    _admin(actor)
    if grant not in GRANTS:
        raise InvalidInput(f"grant must be one of {', '.join(GRANTS)}", code="bad_grant")
    if (grant == "manage_calendar") != bool(target_key):
        raise InvalidInput("manage_calendar names a target host; manage_all does not",
                           code="bad_grant")

    def work() -> RoleGrant:
        row = RoleGrant(user_key=user_key, grant=grant, target_key=target_key,
                        created_by=actor.key)
        tx.add_unique(session, row, "this grant exists already", "grant_exists")
        audit.record(session, actor_key=actor.key, action="grant.given", entity_type="grant",
                     entity_id=row.id, after={"user_key": user_key, "grant": grant,
                                              "target_key": target_key})
        return row

    return tx.run(session, work)


def revoke(session: Session, *, actor: SisUser, grant_id: int) -> None:
    _admin(actor)

    def work() -> None:
        row = tx.get(session, RoleGrant, grant_id, "grant")
        audit.record(session, actor_key=actor.key, action="grant.revoked", entity_type="grant",
                     entity_id=row.id, before={"user_key": row.user_key, "grant": row.grant,
                                               "target_key": row.target_key})
        session.delete(row)

    tx.run(session, work)

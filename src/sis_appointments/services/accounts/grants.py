"""Grants on top of the host's roles: who may manage another host's calendar (admins only).

Who is admin, staff or student is the host's answer (the plugin keeps no user list). The
host contract has no hook listing staff, so ``staff`` lists the people the plugin knows of
(who host appointment types, series or slots, or hold or are the target of a grant) and
anyone an admin looks up by key with the host's user look-up.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from sis_appointments.contract import SisUser
from sis_appointments.domain.errors import InvalidInput
from sis_appointments.models import RoleGrant, Series, Slot, TypeHost
from sis_appointments.services.accounts import access
from sis_appointments.services.platform import audit, sis, tx

GRANTS = ("manage_calendar", "manage_all")


def _admin(actor: SisUser) -> None:
    access.require_admin(actor, "manage grants")


def listed(session: Session, actor: SisUser) -> list[RoleGrant]:
    _admin(actor)
    return list(session.scalars(select(RoleGrant).order_by(RoleGrant.id)))


def give(session: Session, *, actor: SisUser, user_key: str, grant: str,
         target_key: str | None = None, known_users: bool = False) -> RoleGrant:
    """``manage_calendar`` needs the calendar's host as ``target_key``; ``manage_all`` none.
    With ``known_users`` (the API), users the SIS does not know are refused."""
    _admin(actor)
    if grant not in GRANTS:
        raise InvalidInput(f"grant must be one of {', '.join(GRANTS)}", code="bad_grant")
    if (grant == "manage_calendar") != bool(target_key):
        raise InvalidInput("manage_calendar names a target host; manage_all does not",
                           code="bad_grant")
    if known_users:
        sis.require_users(session, [user_key], "user")
    if known_users and target_key:
        sis.require_users(session, [target_key], "target")

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


@dataclass(frozen=True)
class CalendarGrant:
    """A ``manage_calendar`` grant, with the name of the host whose calendar it opens."""

    grant: RoleGrant
    host_name: str


@dataclass(frozen=True)
class StaffRights:
    """A person's effective rights over calendars. ``role``: their host role (admin, staff,
    or None when the host does not know them as staff any more: their grants do nothing
    and may be revoked)."""

    key: str
    name: str
    email: str | None
    role: str | None
    hosting: bool  # hosts appointments (a type, series or slot names them)
    all_calendars: bool  # as an admin, or through a manage_all grant
    manage_all: RoleGrant | None
    calendars: tuple[CalendarGrant, ...]


def _known_keys(session: Session) -> tuple[set[str], list[RoleGrant]]:
    rows = list(session.scalars(select(RoleGrant).order_by(RoleGrant.id)))
    hosting = set(session.scalars(union(select(TypeHost.host_key), select(Series.host_key),
                                        select(Slot.host_key).distinct())))
    return hosting, rows


def staff(session: Session, *, actor: SisUser, look_up: str | None = None
          ) -> tuple[list[StaffRights], StaffRights | None]:
    """Everyone the plugin knows of (and the admin asking) with their rights, by name (admins
    only), and the person
    ``look_up`` names (a user key, asked of the host; None if the host knows no staff
    member by that key). One batched user look-up for the whole list."""
    _admin(actor)
    hosting, rows = _known_keys(session)
    keys = (hosting | {g.user_key for g in rows} | {g.target_key for g in rows if g.target_key}
            | {actor.key})
    wanted = sorted(keys | ({look_up} if look_up else set()))
    people = sis.users(session, wanted)

    def rights(key: str) -> StaffRights:
        user = people.get(key)
        role = next((r for r in ("admin", "staff") if user and user.has_role(r)), None)
        held = [g for g in rows if g.user_key == key]
        manage_all = next((g for g in held if g.grant == "manage_all"), None)
        calendars = tuple(CalendarGrant(g, _name(people, g.target_key))
                          for g in held if g.grant == "manage_calendar")
        return StaffRights(key, user.name if user else key, user.email if user else None,
                           role, key in hosting,
                           role == "admin" or (role is not None and manage_all is not None),
                           manage_all, calendars)

    listed = sorted((rights(k) for k in keys
                     if people.get(k) is None or not people[k].has_role("student")
                     or people[k].has_role("staff", "admin")
                     or any(g.user_key == k for g in rows)),
                    key=lambda r: (r.role is None, r.name.casefold(), r.key))
    found = None
    if look_up and people.get(look_up) and people[look_up].has_role("staff", "admin"):
        found = rights(look_up)
    return listed, found


def _name(people: dict, key: str | None) -> str:
    user = people.get(key) if key else None
    return user.name if user else (key or "")

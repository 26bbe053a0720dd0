"""Who may host an appointment type, as the staff pages offer it: the calendars the actor
manages, by name. The SIS has no list of its staff, so an actor who manages every calendar
(an admin, or staff with ``manage_all``) is offered the hosts the plugin knows (of types,
slots and grants) and may name another by user key (``known_host``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from sis_appointments.contract import SisUser
from sis_appointments.domain.errors import InvalidInput
from sis_appointments.models import RoleGrant, Slot, TypeHost
from sis_appointments.services.accounts import access
from sis_appointments.services.platform import sis


@dataclass(frozen=True)
class Host:
    key: str
    name: str


def _named(session: Session, keys) -> list[Host]:
    found = sis.users(session, sorted(set(keys)))
    hosts = [Host(key, user.name) for key, user in found.items()
             if user is not None and user.has_role("staff", "admin")]
    return sorted(hosts, key=lambda h: (h.name.lower(), h.key))


def choices(session: Session, actor: SisUser, current=()) -> list[Host]:
    """The staff ``actor`` may make hosts of a type (plus the type's ``current`` hosts)."""
    managed = access.managed_hosts(session, actor)
    if managed is None:
        known = session.scalars(union(
            select(TypeHost.host_key), select(Slot.host_key),
            select(RoleGrant.user_key), select(RoleGrant.target_key))).all()
        managed = [actor.key, *known]
    return _named(session, [k for k in [*managed, *current] if k])


def may_name_any(session: Session, actor: SisUser) -> bool:
    """Whether ``actor`` manages every calendar (and so may name any staff member)."""
    return access.managed_hosts(session, actor) is None


def known_host(session: Session, actor: SisUser, key: str) -> Host:
    """A host named by user key: a staff member or admin of the SIS whose calendar ``actor``
    manages."""
    key = key.strip()
    found = sis.user(session, key) if key else None
    if found is None or not found.has_role("staff", "admin"):
        raise InvalidInput(f"no staff member has the user key {key!r}", code="unknown_host",
                           field="extra_host")
    access.require_manage_host(session, actor, key)
    return Host(key, found.name)


def editable(session: Session, actor: SisUser, types) -> set[int]:
    """The ids of ``types`` that ``actor`` may change: they manage every one of the type's
    hosts' calendars (what ``appointment_types.update`` requires)."""
    if not actor.has_role("staff", "admin"):
        return set()
    managed = access.managed_hosts(session, actor)
    return {t.id for t in types
            if managed is None or all(h.host_key in managed for h in t.hosts)}

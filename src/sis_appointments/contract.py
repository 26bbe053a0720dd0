"""The plain values that cross the host contract, in both directions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

ROLES = ("admin", "staff", "student")


@dataclass(frozen=True)
class SisUser:
    """A host user as the plugin sees them: key, contact, zone, appointment roles, groups."""

    key: str
    name: str
    email: str | None = None
    timezone: str | None = None
    roles: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


@dataclass(frozen=True)
class Student:
    """A student record from the host's directory."""

    key: str
    name: str
    email: str | None = None
    program: str | None = None
    cohort: str | None = None
    year: int | None = None
    timezone: str | None = None
    active: bool = True


@dataclass(frozen=True)
class BusyTime:
    """An interval (aware datetimes) during which a student is busy, e.g. a class."""

    start: datetime
    end: datetime
    label: str = ""


@dataclass(frozen=True)
class PortalTab:
    """A tab in a user's portal."""

    id: str
    label: str
    url: str
    priority: int = 100


@dataclass(frozen=True)
class ProfileSection:
    """A rendered HTML fragment for a student's profile page; lower priority shows first."""

    id: str
    title: str
    html: str
    priority: int = 100


@dataclass(frozen=True)
class MenuEntry:
    """An entry of the host's admin menu."""

    id: str
    label: str
    url: str
    priority: int = 100


@dataclass(frozen=True)
class AppointmentEvent:
    """What happened, announced to the host after the transaction that did it committed."""

    name: str
    entity: str
    entity_id: int | None
    actor_key: str | None = None
    data: dict = field(default_factory=dict)

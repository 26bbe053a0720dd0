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
    """A tab in a user's portal.

    ``paths``: URL path prefixes of the pages that belong to the tab (its sub-pages), so the
    host can mark it current on them; empty means the tab's own ``url`` only. ``badge``: a
    count to show on the tab (e.g. unread notifications; None or 0: no badge), with
    ``badge_label`` saying what it counts to screen readers ("3 unread notifications").
    The Appointments tab's badge follows new notifications on the plugin's pages when the
    host marks it ``data-appt-unread`` (``hidden`` while zero), with the number in an
    element marked ``data-appt-n`` and the label in one marked ``data-appt-unread-words``.
    """

    id: str
    label: str
    url: str
    priority: int = 100
    paths: tuple[str, ...] = ()
    badge: int | None = None
    badge_label: str | None = None

    def is_current(self, path: str) -> bool:
        """Whether the page at URL path ``path`` belongs to this tab."""
        if path == self.url:
            return True
        return any(path.startswith(prefix) for prefix in self.paths)


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

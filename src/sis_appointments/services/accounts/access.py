"""Who may act on whose bookings and calendars: the one place these rules live.

Students act only for themselves. Staff manage the slots they host, and others' with a
grant (``manage_calendar`` for one host, or ``manage_all``). Admins manage everything.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sis_appointments.contract import SisUser
from sis_appointments.domain.errors import Forbidden, NotFound
from sis_appointments.models import Booking, RoleGrant, WaitlistEntry


def student_for(actor: SisUser, student_key: str | None) -> str:
    """The student an actor books for: a student only for themself, staff for anyone."""
    if actor.has_role("admin", "staff"):
        if not student_key:
            raise Forbidden("name the student to act for", code="student_required")
        return str(student_key)
    if actor.has_role("student") and student_key in (None, actor.key):
        return actor.key
    raise Forbidden("you can only act for yourself")


def can_manage_host(session: Session, actor: SisUser, host_key: str) -> bool:
    if actor.has_role("admin"):
        return True
    if not actor.has_role("staff"):
        return False
    if actor.key == host_key:
        return True
    grant = session.scalar(select(RoleGrant.id).where(
        RoleGrant.user_key == actor.key,
        or_(RoleGrant.grant == "manage_all",
            (RoleGrant.grant == "manage_calendar") & (RoleGrant.target_key == host_key)),
    ).limit(1))
    return grant is not None


def require_admin(actor: SisUser, what: str) -> None:
    """Only admins may do ``what`` (e.g. "change system settings")."""
    if not actor.has_role("admin"):
        raise Forbidden(f"only admins {what}")


def require_staff(actor: SisUser, what: str) -> None:
    """Only staff and admins may do ``what`` (e.g. "see and resolve conflicts")."""
    if not actor.has_role("staff", "admin"):
        raise Forbidden(f"only staff {what}")


def managed_hosts(session: Session, actor: SisUser) -> list[str] | None:
    """Every host key ``actor`` manages, as ``can_manage_host`` decides one by one
    (None: all of them)."""
    if actor.has_role("admin"):
        return None
    if not actor.has_role("staff"):
        return []
    grants = session.execute(select(RoleGrant.grant, RoleGrant.target_key).where(
        RoleGrant.user_key == actor.key)).all()
    if any(g == "manage_all" for g, _ in grants):
        return None
    return [actor.key] + [t for g, t in grants if g == "manage_calendar" and t]


def require_manage_host(session: Session, actor: SisUser, host_key: str) -> None:
    if not can_manage_host(session, actor, host_key):
        raise Forbidden("you cannot manage this calendar")


def require_booking_access(session: Session, actor: SisUser, student_key: str,
                           host_key: str) -> None:
    """The booked student themself, or someone who manages the slot's calendar."""
    if actor.key == student_key and actor.has_role("student"):
        return
    require_manage_host(session, actor, host_key)


def _visible(session: Session, actor: SisUser, model, row_id: int, what: str):
    """A booking or waitlist place, if ``actor`` may see it: its student or whoever manages
    its slot's calendar. To anyone else it does not exist (NotFound, not Forbidden: no
    probing for ids)."""
    found = session.get(model, row_id)
    if found is None:
        raise NotFound(f"{what} {row_id} does not exist")
    try:
        require_booking_access(session, actor, found.student_key, found.slot.host_key)
    except Forbidden as exc:
        raise NotFound(f"{what} {row_id} does not exist") from exc
    return found


def visible_booking(session: Session, actor: SisUser, booking_id: int) -> Booking:
    """The booking, if ``actor`` may see it (``_visible``)."""
    return _visible(session, actor, Booking, booking_id, "booking")


def visible_waitlist_entry(session: Session, actor: SisUser, entry_id: int) -> WaitlistEntry:
    """The waitlist place, if ``actor`` may act on it (``_visible``)."""
    return _visible(session, actor, WaitlistEntry, entry_id, "waitlist entry")


def booking_scope(session: Session, actor: SisUser, student: str | None = None,
                  host: str | None = None) -> tuple[list[str] | None, list[str] | None]:
    """Whose bookings ``actor`` may list, narrowed to ``student``/``host`` when given, as
    (students, hosts) filters (None: no filter): a student only their own; staff those on
    the calendars they manage; admins everyone's."""
    students = [student] if student else None
    if actor.has_role("admin", "staff"):
        if host:
            if not can_manage_host(session, actor, host):
                raise Forbidden("you cannot see this calendar")
            return students, [host]
        return students, managed_hosts(session, actor)
    if student and student != actor.key:
        raise Forbidden("students see only their own bookings")
    return [actor.key], [host] if host else None

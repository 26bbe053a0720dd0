"""Who hears of what, on which channels: a user's own choices over the system defaults.

A preference row switches one event on one channel for one user; the row for the event
``reminder`` on channel ``*`` holds the user's reminder lead times. A student always gets
the email when someone else cancelled their appointment: they cannot switch that off.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sis_appointments.contract import SisUser
from sis_appointments.domain.errors import InvalidInput
from sis_appointments.models import NotificationPreference
from sis_appointments.services.platform import audit, settings, tx

LEADS = ("reminder", "*")  # the row holding a user's reminder lead times
MANDATORY_EVENT = "booking_cancelled"  # for students, when someone else cancelled


def channel_names(session: Session) -> tuple[str, ...]:
    """The channels people can choose: those configured (email needs an SMTP server) and
    those the host's plugins add."""
    return session.context.channels


def mandatory_channel(session: Session) -> str:
    """How a student always hears that someone else cancelled: email, or in-app where
    there is no mail server."""
    return "email" if "email" in channel_names(session) else "inapp"


def _chosen(session: Session, user_keys) -> dict[tuple[str, str, str], bool]:
    """The users' own switches, (user key, event, channel) -> on, in one query."""
    query = select(NotificationPreference).where(NotificationPreference.user_key.in_(user_keys))
    return {(r.user_key, r.event, r.channel): r.enabled for r in session.scalars(query)}


def _channels(session: Session, chosen: dict, key: str, role: str, event: str) -> set[str]:
    default = set(settings.get(session, f"notify_{role}").get(event, ()))
    return {c for c in channel_names(session) if chosen.get((key, event, c), c in default)}


def channels_for(session: Session, recipients: list[tuple[str, str]], event: str,
                 forced: frozenset[tuple[str, str]] = frozenset()) -> dict[str, set[str]]:
    """The channels each (user key, role) recipient hears of ``event`` on; ``forced``
    holds (user key, channel) pairs that cannot be switched off."""
    chosen = prefetch(session, [key for key, _ in recipients])
    return {key: _channels(session, chosen, key, role, event)
            | {c for k, c in forced if k == key} for key, role in recipients}


def prefetch(session: Session, user_keys) -> dict[tuple[str, str, str], bool]:
    """The users' own switches, read for those not read yet in this unit of work (a batch
    tells thousands of people: one query for many of them, not one each); all switches
    read so far, (user key, event, channel) -> on."""
    kept = session.memo.setdefault("preferences", {"users": set(), "switches": {}})
    missing = sorted(set(user_keys) - kept["users"])
    for start in range(0, len(missing), 500):
        chunk = missing[start:start + 500]
        kept["switches"].update(_chosen(session, chunk))
        kept["users"].update(chunk)
    return kept["switches"]


def lead_minutes(session: Session, user_key: str) -> list[int]:
    own = own_leads(session, [user_key])
    return own[user_key] if user_key in own else settings.get(session, "reminder_lead_minutes")


def own_leads(session: Session, user_keys=None) -> dict[str, list[int]]:
    """The reminder lead times users chose themselves (of ``user_keys``, or everyone's);
    users on the system default are absent."""
    query = select(NotificationPreference.user_key, NotificationPreference.options).where(
        NotificationPreference.event == LEADS[0], NotificationPreference.channel == LEADS[1])
    if user_keys is not None:
        query = query.where(NotificationPreference.user_key.in_(user_keys))
    return {key: options["minutes"] for key, options in session.execute(query)
            if options.get("minutes") is not None}


def role_of(user: SisUser) -> str:
    return "staff" if user.has_role("admin", "staff") else "student"


def view(session: Session, user: SisUser) -> dict:
    """A user's effective preferences: each event's channels, and reminder lead times."""
    role = role_of(user)
    chosen = _chosen(session, [user.key])
    return {
        "channels": list(channel_names(session)),
        "events": {e: sorted(_channels(session, chosen, user.key, role, e))
                   for e in settings.ROLE_EVENTS[role]},
        "reminder_lead_minutes": lead_minutes(session, user.key),
        "locked": [{"event": MANDATORY_EVENT, "channel": mandatory_channel(session),
                    "why": "staff cancellations always reach you"}] if role == "student" else [],
    }


def update(session: Session, *, user: SisUser, events: dict | None = None,
           reminder_lead_minutes: list | None = None) -> dict:
    """Set a user's own choices: ``events`` maps an event to the channels wanted."""
    known = channel_names(session)
    events = events or {}
    for event, chans in events.items():
        if event not in settings.ROLE_EVENTS[role_of(user)]:
            raise InvalidInput(f"unknown event {event!r}", code="unknown_event")
        if not isinstance(chans, list) or not all(c in known for c in chans):
            raise InvalidInput(f"channels of {event} must be a list drawn from "
                               f"{', '.join(known)}", code="unknown_channel")
    leads = None if reminder_lead_minutes is None else settings.lead_minutes(
        reminder_lead_minutes)

    def work():
        before = view(session, user)
        for event, chans in events.items():
            for channel in known:
                row = session.get(NotificationPreference, (user.key, event, channel))
                if row is None:
                    row = NotificationPreference(user_key=user.key, event=event,
                                                 channel=channel, options={})
                    session.add(row)
                row.enabled = channel in chans
        if leads is not None:
            row = session.get(NotificationPreference, (user.key, *LEADS))
            if row is None:
                row = NotificationPreference(user_key=user.key, event=LEADS[0],
                                             channel=LEADS[1], enabled=True)
                session.add(row)
            row.options = {"minutes": leads}
        session.flush()
        session.memo.pop("preferences", None)
        after = view(session, user)
        audit.record(session, actor_key=user.key, action="preferences.changed",
                     entity_type="user", entity_id=user.key, before=before, after=after)
        return after

    return tx.run(session, work)

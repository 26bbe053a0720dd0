"""System defaults that admins edit (the appt_setting table), with built-in fallbacks."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sis_appointments.contract import SisUser
from sis_appointments.domain.errors import InvalidInput
from sis_appointments.models import Setting
from sis_appointments.services.accounts import access
from sis_appointments.services.platform import audit, tx

# The events people hear of; the channels built in are BUILTIN_CHANNELS (hosts add more).
PERSON_EVENTS = ("booking_created", "booking_cancelled", "booking_rescheduled", "slot_changed",
                 "waitlist_joined", "waitlist_offered", "waitlist_promoted", "reminder", "digest")
ROLE_EVENTS = {
    "student": PERSON_EVENTS[:-1],
    "staff": ("booking_created", "booking_cancelled", "booking_rescheduled", "waitlist_promoted",
              "reminder", "digest"),
}
_BOTH = ["email", "inapp"]

DEFAULTS: dict[str, object] = {
    "horizon_days": 120,
    "reminder_lead_minutes": [1440, 60],
    "reminder_grace_minutes": 360,
    "notify_student": {event: _BOTH for event in PERSON_EVENTS if event != "digest"},
    "notify_staff": {"booking_created": _BOTH, "booking_cancelled": _BOTH,
                     "booking_rescheduled": _BOTH, "waitlist_promoted": ["inapp"],
                     "digest": ["email"]},
    "digest_hour": 16,
}

# What each setting means, for the people who change it (the settings page shows these).
MEANINGS: dict[str, str] = {
    "horizon_days": "How far ahead recurring series are materialised as slots, in days: "
                    "students can book a series' slots this far ahead at most.",
    "reminder_lead_minutes": "Minutes before an appointment that reminders go out, unless "
                             "a user chose others (up to 5, e.g. 1440 and 60: a day and an "
                             "hour before).",
    "reminder_grace_minutes": "A reminder missed (e.g. while no worker ran) is still sent "
                              "this many minutes late; later than that it is dropped.",
    "notify_student": "Which events reach students on which channels, unless a student "
                      "chose otherwise.",
    "notify_staff": "Which events reach staff (the slot's host) on which channels, unless "
                    "they chose otherwise.",
    "digest_hour": "The hour (0-23, in each staff member's own time zone) from which staff "
                   "get the digest of tomorrow's appointments.",
}


def _days(value) -> int:
    if not _whole(value) or not 1 <= value <= 3650:
        raise InvalidInput("must be a whole number of days from 1 to 3650")
    return value


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def lead_minutes(value) -> list[int]:
    """Reminder lead times: up to 5 distinct whole minutes, 5 minutes to 30 days."""
    if (not isinstance(value, list) or len(value) > 5
            or not all(_whole(v) and 5 <= v <= 43200 for v in value)):
        raise InvalidInput("lead times must be a list of at most 5 whole numbers of minutes "
                           "from 5 to 43200", code="bad_lead_time")
    return sorted(set(value), reverse=True)


def _grace(value) -> int:
    if not _whole(value) or not 0 <= value <= 10080:
        raise InvalidInput("must be a whole number of minutes from 0 to 10080")
    return value


def _routing(value) -> dict[str, list[str]]:
    if not isinstance(value, dict) or not all(
            event in PERSON_EVENTS and isinstance(chans, list)
            and all(isinstance(c, str) and 0 < len(c) <= 32 for c in chans)
            for event, chans in value.items()):
        raise InvalidInput(f"must map events ({', '.join(PERSON_EVENTS)}) to lists of channels")
    return {event: sorted(set(chans)) for event, chans in value.items()}


def _hour(value) -> int:
    if not _whole(value) or not 0 <= value <= 23:
        raise InvalidInput("must be a whole hour from 0 to 23")
    return value


VALIDATORS = {"horizon_days": _days, "reminder_lead_minutes": lead_minutes,
              "reminder_grace_minutes": _grace, "notify_student": _routing,
              "notify_staff": _routing, "digest_hour": _hour}


GENERATION = "settings"


def get(session: Session, key: str):
    """A setting as set, else its default. The table is read once per unit of work, or, when
    the context shares generations, once per process until a setting changes."""
    memo = session.memo
    if "settings" not in memo:
        memo["settings"] = _table(session)
    return memo["settings"].get(key, DEFAULTS[key])


def _table(session: Session) -> dict:
    context = session.context
    generation = context.generations.generation(GENERATION) if context.generations else None
    kept = context.shared.get(GENERATION)
    if generation is not None and kept is not None and kept[0] == generation:
        return kept[1]
    table = dict(session.execute(select(Setting.key, Setting.value)).all())
    if generation is not None:  # read after the generation: a change after it moves it on
        context.shared[GENERATION] = (generation, table)
    return table


def all_settings(session: Session, *, actor: SisUser) -> dict:
    """Every system default, as set or built in (for admins)."""
    access.require_admin(actor, "see system settings")
    return {key: get(session, key) for key in DEFAULTS}


def _checked(key: str, value):
    if key not in DEFAULTS:
        raise InvalidInput(f"unknown setting {key!r}", code="unknown_setting")
    try:
        return VALIDATORS[key](value)
    except InvalidInput as exc:
        raise InvalidInput(f"{key} {exc}", code=exc.code,
                           errors={key: [exc.message]}) from exc


def put(session: Session, *, actor: SisUser, key: str, value) -> None:
    put_many(session, actor=actor, values={key: value})


def put_many(session: Session, *, actor: SisUser, values: dict) -> list[str]:
    """Change several settings at once, all or none: every value is validated first (the
    first refusal is raised, naming its key in ``details``); each setting that changes is
    audited. Returns the keys that changed."""
    access.require_admin(actor, "change system settings")
    checked = {key: _checked(key, value) for key, value in values.items()}

    def work() -> list[str]:
        changed = []
        for key, value in checked.items():
            previous = get(session, key)
            if value == previous:
                continue  # as set (or built in) already: nothing to change or audit
            row = session.get(Setting, key)
            before = {"value": previous}  # what was in force, the built-in default included
            if row is None:
                row = Setting(key=key)
                session.add(row)
            row.value, row.updated_by = value, actor.key
            audit.record(session, actor_key=actor.key, action="setting.changed",
                         entity_type="setting", entity_id=key, before=before,
                         after={"value": value})
            changed.append(key)
        session.memo.pop("settings", None)
        return changed

    changed = tx.run(session, work)
    if changed and session.context.generations:  # after the commit: no process keeps the old
        session.context.generations.bump(GENERATION)
    return changed

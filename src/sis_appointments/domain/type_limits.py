"""The limits of an appointment type's fields: one table for the service's checks and the
API's schema, so the two cannot differ."""

from __future__ import annotations

from dataclasses import dataclass

DAY_MINUTES = 24 * 60
INT_MAX = 2_147_483_647  # what the database stores
EARLIEST_YEAR, LATEST_YEAR = 1900, 2200  # times outside are refused: no arithmetic overflows


@dataclass(frozen=True)
class Whole:
    """A whole number in [low, high]; ``optional`` ones may be None (no limit)."""

    low: int
    high: int = INT_MAX
    optional: bool = False


NUMBERS = {
    "duration_minutes": Whole(1, DAY_MINUTES),
    "capacity": Whole(1, 100_000),
    "buffer_before_minutes": Whole(0, DAY_MINUTES),
    "buffer_after_minutes": Whole(0, DAY_MINUTES),
    "min_notice_minutes": Whole(0, 365 * DAY_MINUTES),
    "max_advance_days": Whole(1, 3650, optional=True),
    "cancel_cutoff_minutes": Whole(0, 365 * DAY_MINUTES),
    "max_active_per_student": Whole(1, optional=True),
    "max_per_student_per_day": Whole(1, optional=True),
    "max_per_student_per_week": Whole(1, optional=True),
    "waitlist_size": Whole(1, optional=True),
    "offer_minutes": Whole(1, 7 * DAY_MINUTES, optional=True),
}
TEXT = {"name": 200, "description": 5000, "location": 200, "online_url": 500}  # characters
OPTIONAL_TEXT = {"location", "online_url"}  # blank means none
FLAGS = {"waitlist_enabled", "reason_required", "active"}
COLOUR = r"#[0-9a-fA-F]{6}"
HOST_KEY_LENGTH = 64
GROUP_NAME_LENGTH = 100  # a program or cohort named in eligibility

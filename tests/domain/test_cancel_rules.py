"""The cancellation cutoff's rules without an app: when cancelling is late, when a student
may no longer move an appointment, and the words every page and refusal uses for a rule's
duration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sis_appointments.domain import rules
from sis_appointments.domain.errors import RuleViolation

START = datetime(2027, 3, 1, 10, tzinfo=UTC)
DAY = rules.Policy(cancel_cutoff=timedelta(hours=24))


@pytest.mark.parametrize(("before", "late"), [(timedelta(hours=25), False),
                                               (timedelta(hours=24), False),
                                               (timedelta(hours=23, minutes=59), True),
                                               (timedelta(minutes=5), True)])
def test_moving_closes_when_cancelling_becomes_late(before, late):
    now = START - before
    assert rules.is_late_cancellation(DAY, now, START) is late
    if late:
        with pytest.raises(RuleViolation) as refused:
            rules.check_move(DAY, now, START)
        assert refused.value.code == "too_late_to_move"
        assert "changes close 24 hours before it starts" in refused.value.message
    else:
        rules.check_move(DAY, now, START)


def test_without_a_cutoff_moving_stays_open_until_the_start():
    rules.check_move(rules.Policy(), START - timedelta(minutes=1), START)


@pytest.mark.parametrize(("minutes", "words"), [(30, "30 minutes"), (90, "90 minutes"),
                                                 (60, "1 hour"), (24 * 60, "24 hours"),
                                                 (48 * 60, "48 hours"), (72 * 60, "3 days"),
                                                 (50 * 60, "50 hours"), (0, "0 hours")])
def test_durations_are_worded_alike_everywhere(minutes, words):
    assert rules.duration_words(timedelta(minutes=minutes)) == words

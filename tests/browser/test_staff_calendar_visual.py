"""The staff calendar's week view looks as recorded (tests/browser/snapshots; re-record with
--update-snapshots after a meant change)."""

from __future__ import annotations

from browser.harness import assert_matches_snapshot
from browser.test_staff_calendar import _advisor_slot
from playwright.sync_api import expect

DATABASES = ("sqlite",)  # what is compared is the rendered page, the same on both


def test_the_advisors_week_looks_as_recorded(open_page, sis_server, update_snapshots):
    for hours, name in ((286, "Visual advising"), (310, "Visual drop-in"),
                        (311, "Visual drop-in")):  # the week of Monday 14 December
        _advisor_slot(sis_server, name, hours=hours)
    page = open_page("advisor", path="/admin/appointments/calendar?week=2026-12-14")
    expect(page.locator("#appt-staff-calendar .fc-event").first).to_be_visible()
    page.wait_for_timeout(300)  # the scroll to the morning settles
    assert_matches_snapshot(page, "staff-calendar-week-desktop", update_snapshots,
                            full_page=False)

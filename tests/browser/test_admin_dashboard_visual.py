"""Visual baselines of the staff dashboard (tests/browser/snapshots/): the advisor's on a
desktop (the top of the page: figures, chart and table, the first days) and on a phone, as
seeded. A module of its own, so the slots other modules add do not show.

Re-record after a change that is meant: ``scripts/test tests/browser --update-snapshots``.
"""

from __future__ import annotations

from browser.harness import assert_matches_snapshot
from playwright.sync_api import expect

DATABASES = ("sqlite",)  # what is compared is the rendered page, the same on both


def test_the_dashboard_on_a_desktop_looks_as_recorded(open_page, update_snapshots):
    page = open_page("advisor", "desktop", "/admin/appointments/")
    expect(page.locator("#appt-dash-chart")).to_be_visible()  # drawn by Chart.js
    expect(page.locator("html[data-appt-live=connected]")).to_have_count(1)
    assert_matches_snapshot(page, "dashboard-desktop", update_snapshots, full_page=False)


def test_the_dashboard_on_a_phone_looks_as_recorded(open_page, update_snapshots):
    page = open_page("advisor", "phone", "/admin/appointments/")
    expect(page.locator("#appt-dash-chart")).to_be_visible()
    expect(page.locator("html[data-appt-live=connected]")).to_have_count(1)
    assert_matches_snapshot(page, "dashboard-phone", update_snapshots, full_page=False)

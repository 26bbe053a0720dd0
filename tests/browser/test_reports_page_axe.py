"""axe-core and reflow at 320 CSS px on the report pages (the summary and every report),
with their charts drawn, at desktop and phone sizes; the visual baseline of a report.

Re-record the baseline after a change that is meant:
``scripts/test tests/browser/test_reports_page_axe.py --update-snapshots``."""

from __future__ import annotations

import pytest
from browser.harness import (
    assert_matches_snapshot,
    assert_no_axe_violations,
    assert_no_horizontal_scroll,
)
from browser.test_reports_page import QUERY

from sis_appointments.services.reports.catalogue import REPORTS

DATABASES = ("sqlite",)  # what is checked is the rendered page, the same on both
PAGES = ["", *(f"/{name}" for name in REPORTS)]


@pytest.mark.parametrize("device", ["desktop", "phone"])
@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_nothing_on_the_report_pages(open_page, sis_server, path, device):
    page = open_page("admin", device, f"/admin/appointments/reports{path}?{QUERY}")
    if path:
        page.locator(".appt-report-chart canvas").first.wait_for()
    assert_no_axe_violations(page, f"reports{path} ({device})")
    if device == "desktop":
        assert_no_horizontal_scroll(page, 320)


def test_the_usage_report_looks_as_recorded(open_page, sis_server, update_snapshots):
    """The visual baseline of a report: the heatmap drawn beside its table (desktop)."""
    page = open_page("admin", "desktop", f"/admin/appointments/reports/usage?{QUERY}")
    page.locator(".appt-report-chart canvas").first.wait_for()
    page.locator('[data-appt-report="heatmap"]').scroll_into_view_if_needed()
    page.wait_for_timeout(300)  # Chart.js's resize after the first layout
    assert_matches_snapshot(page, "report-usage-desktop", update_snapshots, full_page=False)

"""axe-core and reflow at 320 CSS px on the report pages (the summary and every report),
with their charts drawn, at desktop and phone sizes."""

from __future__ import annotations

import pytest
from browser.harness import assert_no_axe_violations, assert_no_horizontal_scroll
from browser.test_admin_reports import QUERY

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

"""The report pages in Chromium: the summary shows the seeded world's counts (worked out
here from the tables, not by the report service), the filters narrow them, the charts are
drawn beside their tables, a CSV downloads, staff see their own calendar; axe-core and reflow
checks are in test_reports_page_axe (SQLite only: the page is the same on both)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from browser.harness import assert_no_axe_violations
from sqlalchemy import func, select

from sis_appointments.models import ACTIVE_BOOKING_STATUSES, Booking, Slot

# The seeded bookings are in the three weeks after the server's clock (1 December 2026);
# these four weeks in New York hold them all.
QUERY = "from=2026-11-30&to=2026-12-27"
SINCE, UNTIL = datetime(2026, 11, 30, 5, tzinfo=UTC), datetime(2026, 12, 28, 5, tzinfo=UTC)


def seeded(server, host: str | None = None) -> dict[str, int]:
    """The world's counts in the range, straight from the tables."""
    narrow = [Slot.start_utc >= SINCE, Slot.start_utc < UNTIL, Slot.status == "open"]
    if host:
        narrow.append(Slot.host_key == host)
    with server.session() as session:
        slots, offered, booked = session.execute(select(
            func.count(), func.sum(Slot.capacity), func.sum(Slot.booked)).where(*narrow)).one()
        bookings = session.scalar(select(func.count()).select_from(Booking).join(Slot).where(
            *narrow, Booking.status.in_(ACTIVE_BOOKING_STATUSES)))
    return {"slots": slots, "offered": offered, "booked": booked, "bookings": bookings}


def shown(page) -> dict[str, int]:
    return {key: int(page.locator(f'[data-appt-figure="{key}"] dd').inner_text()
                     .replace(",", "")) for key in ("slots", "offered", "booked", "bookings")}


def test_the_summary_shows_the_seeded_counts_and_a_host_narrows_them(open_page, sis_server):
    page = open_page("admin", "desktop", f"/admin/appointments/reports?{QUERY}")
    expected = seeded(sis_server)
    assert expected["bookings"] > 10 and expected["slots"] > 20
    assert shown(page) == expected
    host = page.locator("#appt-report-host option").nth(1)
    name, key = host.inner_text(), host.get_attribute("value")
    page.select_option("#appt-report-host", key)
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**host={key}**")
    assert shown(page) == seeded(sis_server, key)
    assert page.locator("#appt-report-host option:checked").inner_text() == name


def test_a_report_draws_its_charts_beside_the_tables_and_downloads_csv(open_page, sis_server):
    page = open_page("admin", "desktop", f"/admin/appointments/reports?{QUERY}")
    page.get_by_role("link", name="Usage patterns").first.click()
    page.wait_for_url(f"**/reports/usage?{QUERY}")
    charts = page.locator(".appt-report-chart canvas")
    charts.first.wait_for()
    assert charts.count() == 2
    assert charts.first.get_attribute("role") == "img"
    weekly = page.locator('[data-appt-report="weekly"] tbody tr')
    bookings = sum(int(weekly.nth(n).locator("td").nth(2).inner_text())
                   for n in range(weekly.count()))
    assert bookings == seeded(sis_server)["bookings"]
    with page.expect_download() as made:
        page.get_by_role("link", name="Download “Bookings and utilisation per week” as CSV").click()
    rows = list(csv.reader(io.StringIO(open(made.value.path(), encoding="utf-8").read())))
    assert rows[0][0] == "Week of" and len(rows) == 5
    assert rows[0][3] == "Seats booked" and sum(int(r[3]) for r in rows[1:]) == bookings


def test_staff_see_the_reports_of_their_own_calendar(open_page, sis_server):
    page = open_page("advisor", "phone", f"/admin/appointments/reports?{QUERY}")
    assert shown(page) == seeded(sis_server, sis_server.user_key("advisor"))
    assert_no_axe_violations(page, "reports as staff (phone)")

"""Batch changes and "advisor out" in Chromium: an advisor cancels a day's slots (preview
first), downloads the report; the pages pass axe at desktop and phone size."""

from __future__ import annotations

import re

from browser.harness import assert_no_axe_violations, assert_no_horizontal_scroll
from browser.test_staff_calendar import _advisor_slot
from playwright.sync_api import expect

from sis_appointments.models import Slot

DATABASES = ("sqlite",)


def test_a_day_is_cancelled_in_one_batch_and_the_report_downloaded(open_page, sis_server):
    ids = [_advisor_slot(sis_server, "Batch day", hours=h) for h in (90, 91)]  # Sat 5 Dec
    page = open_page("advisor", path="/admin/appointments/batch")
    page.get_by_label("From").fill("2026-12-05")
    page.get_by_label("To (inclusive)").fill("2026-12-05")
    page.get_by_role("button", name="Find slots").click()
    expect(page.get_by_text(re.compile(r"\d+ slots? found"))).to_be_visible()
    for slot_id in ids:
        expect(page.locator(f'input[name=slot][value="{slot_id}"]')).to_be_checked()
    assert_no_axe_violations(page, "batch, slots found")
    page.get_by_label("Do this").select_option("cancel")
    page.get_by_label("Reason (for cancelling; the students are told)").fill("Open day")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Preview: \d+ of \d+ would change"))
           ).to_be_visible()
    assert_no_axe_violations(page, "batch, preview")
    with sis_server.session() as session:
        assert {session.get(Slot, i).status for i in ids} == {"open"}
    page.get_by_role("button", name=re.compile(r"^Run it on")).click()
    expect(page.get_by_role("heading", name=re.compile(r"^Done: \d+ of \d+ slots changed"))
           ).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the report (CSV)").click()
    text = open(download.value.path(), encoding="utf-8").read()
    assert text.startswith("slot_id,start,end,type,host,outcome")
    assert all(f"{i}," in text for i in ids)
    with sis_server.session() as session:
        assert {session.get(Slot, i).status for i in ids} == {"cancelled"}


def test_batch_pages_on_a_phone(open_page, sis_server):
    page = open_page("advisor", "phone", path="/admin/appointments/batch")
    for path in ("/admin/appointments/batch", "/admin/appointments/absence"):
        page.goto(path)
        assert_no_axe_violations(page, path)
        assert_no_horizontal_scroll(page, 320)

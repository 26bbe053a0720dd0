"""Findings of a review of the student pages in Chromium, each kept fixed: the book list's
rows readable on a desktop, focus after booking from the calendar, every calendar slot in
the tab order, the calendar's legend and held style, the week's navigation above the
calendar, the sheet's first focus on a phone, the reschedule page's sticky action bar."""

from __future__ import annotations

from playwright.sync_api import Page, expect

DATABASES = ("sqlite",)  # what is checked is the rendered page and its scripts


def _list(page: Page) -> None:
    toggle = page.get_by_role("button", name="List", exact=True)
    if toggle.get_attribute("aria-pressed") != "true":
        toggle.click()
    expect(page.locator("#appt-book-list [data-slot-id]").first).to_be_visible()


def _row_heights(page: Page) -> list[float]:
    return page.locator("#appt-book-list [data-slot-id]").evaluate_all(
        "items => items.map(item => item.getBoundingClientRect().height)")


def test_the_book_list_rows_stay_short_on_a_desktop(open_page):
    page = open_page("student", "desktop", "/appointments/book?clashes=1")
    _list(page)
    heights = _row_heights(page)
    assert heights and max(heights) < 120, max(heights)
    what = page.locator("#appt-book-list .appt-slot-what").first
    assert what.bounding_box()["width"] > 150


def test_the_book_list_rows_stay_short_on_a_phone(open_page):
    page = open_page("student", "phone", "/appointments/book?clashes=1")
    _list(page)
    heights = _row_heights(page)
    assert heights and max(heights) < 240, max(heights)

"""The book page's pages and states under axe-core (desktop and phone), reflow at 320 CSS px,
and their visual baselines: the week calendar (desktop) and the day-grouped list (phone).

Re-record after a change that is meant: ``scripts/test tests/browser --update-snapshots``.
"""

from __future__ import annotations

import pytest
from browser.harness import (
    assert_matches_snapshot,
    assert_no_axe_violations,
    assert_no_horizontal_scroll,
)
from playwright.sync_api import Page, expect

DATABASES = ("sqlite",)  # what is checked is the rendered page, the same on both


def _ready(page: Page) -> None:
    """The page's scripts have run: the calendar has its events, or the list is shown."""
    if page.get_by_role("button", name="Calendar").get_attribute("aria-pressed") == "true":
        expect(page.locator("#appt-calendar .fc-event").first).to_be_visible()
    else:
        expect(page.locator("#appt-book-list .appt-slot").first).to_be_visible()


def _calendar(page: Page) -> None:
    page.goto("/appointments/book")
    page.get_by_role("button", name="Calendar").click()
    _ready(page)


def _list(page: Page) -> None:
    page.goto("/appointments/book?clashes=1")
    page.get_by_role("button", name="List", exact=True).click()
    _ready(page)


def _dialog(page: Page) -> None:
    _list(page)
    page.locator('#appt-book-list li[data-action="book"] a[data-appt-confirm]').first.click()
    expect(page.get_by_role("dialog")).to_be_visible()


def _waitlist_dialog(page: Page) -> None:
    _list(page)
    page.locator('#appt-book-list li[data-action="waitlist"] a[data-appt-confirm]').first.click()
    expect(page.get_by_role("dialog")).to_contain_text("Join the waitlist")


def _confirmation_page(page: Page) -> None:
    page.goto("/appointments/book")
    href = page.locator('#appt-book-list li[data-action="book"] a[data-appt-confirm]'
                        ).first.get_attribute("href")
    page.goto(href)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Book ")


STATES = {"calendar": _calendar, "list-with-clashes": _list, "dialog": _dialog,
          "waitlist-dialog": _waitlist_dialog, "confirmation-page": _confirmation_page}


@pytest.mark.parametrize("device", ["desktop", "phone"])
@pytest.mark.parametrize("state", sorted(STATES))
def test_axe_finds_nothing_on_the_book_pages(open_page, state, device):
    page = open_page("student", device)
    STATES[state](page)
    assert_no_axe_violations(page, f"book: {state} ({device})")


@pytest.mark.parametrize("state", ["list-with-clashes", "dialog", "confirmation-page"])
def test_the_book_pages_reflow_at_320_css_px(open_page, state):
    page = open_page("student", viewport={"width": 320, "height": 800})
    STATES[state](page)
    assert_no_horizontal_scroll(page, 320)


def test_the_week_calendar_looks_as_recorded(open_page, update_snapshots):
    page = open_page("student", "desktop", "/appointments/book")
    _ready(page)
    assert_matches_snapshot(page, "book-calendar-week-desktop", update_snapshots)


def test_the_book_list_on_a_phone_looks_as_recorded(open_page, update_snapshots):
    page = open_page("student", "phone", "/appointments/book")
    _ready(page)
    assert_matches_snapshot(page, "book-list-phone", update_snapshots, full_page=False)

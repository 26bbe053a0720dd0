"""axe-core on every student page at desktop and phone sizes, and reflow at 320 CSS px."""

from __future__ import annotations

import pytest
from browser.harness import assert_no_axe_violations, assert_no_horizontal_scroll
from playwright.sync_api import Page, expect

DATABASES = ("sqlite",)  # what is checked is the rendered page, the same on both


def _calendar_address(page: Page) -> None:
    """The calendar-address page is the answer to a POST: create one from the preferences."""
    page.goto("/appointments/me/preferences")
    page.get_by_role("button", name="Create a new calendar address").click()
    expect(page.get_by_role("heading", name="Your calendar address")).to_be_visible()


def _profile(page: Page) -> None:
    page.goto("/portal")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My profile").click()
    expect(page.get_by_role("heading", level=2, name="Appointments")).to_be_visible()


# name -> a path, or a function taking the logged-in page there
STUDENT_PAGES = {
    "portal": "/portal",
    "my-appointments": "/appointments/",
    "book": "/appointments/book",
    "notifications": "/appointments/me/notifications",
    "preferences": "/appointments/me/preferences",
    "calendar-address": _calendar_address,
    "profile": _profile,
}


def _go(page: Page, name: str) -> None:
    where = STUDENT_PAGES[name]
    if callable(where):
        where(page)
    else:
        response = page.goto(where)
        assert response is not None and response.ok, f"{where}: {response and response.status}"


@pytest.mark.parametrize("device", ["desktop", "phone"])
@pytest.mark.parametrize("name", sorted(STUDENT_PAGES))
def test_axe_finds_nothing_on_student_pages(open_page, name, device):
    page = open_page("student", device)
    _go(page, name)
    assert_no_axe_violations(page, f"{name} ({device})")


@pytest.mark.parametrize("name", sorted(STUDENT_PAGES))
def test_student_pages_reflow_at_320_css_px(open_page, name):
    page = open_page("student", viewport={"width": 320, "height": 800})
    _go(page, name)
    assert_no_horizontal_scroll(page, 320)

"""Appointment types in Chromium: an advisor creates a type with the keyboard alone, edits
it and meets a refusal next to its field (the error summary takes the focus, its link takes
the keyboard to the field); two admins editing the same type at once (the second is refused
with what differed); axe-core at desktop and phone on every state of the pages, and no
sideways scrolling at 320 CSS px."""

from __future__ import annotations

import pytest
from browser.harness import assert_no_axe_violations, assert_no_horizontal_scroll
from playwright.sync_api import Page, expect
from sqlalchemy import select

from sis_appointments.models import AppointmentType

DATABASES = ("sqlite",)  # the flows write through the same services as the page tests
LIST = "/admin/appointments/types"


def tab_to(page: Page, selector: str, presses: int = 80) -> None:
    """Press Tab until the element matching ``selector`` has the focus (as a person would)."""
    for _ in range(presses):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)",
                         selector):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"Tab never reached {selector}")


def type_into(page: Page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def press_to_load(page: Page, key: str = "Enter") -> None:
    """Press ``key`` where it follows a link or sends a form; wait for the next page."""
    with page.expect_navigation():
        page.keyboard.press(key)


def type_id(sis_server, name: str) -> int:
    with sis_server.session() as session:
        return session.scalar(select(AppointmentType.id).where(AppointmentType.name == name))


def test_an_advisor_creates_and_edits_a_type_with_the_keyboard_alone(open_page, sis_server):
    page = open_page("advisor", "desktop", LIST)
    tab_to(page, "a[href$='/types/new']")
    press_to_load(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("New appointment type")
    expect(page.get_by_role("checkbox", name="Avery Advisor")).to_be_checked()
    type_into(page, "#name", "Keyboard office hours")
    type_into(page, "#duration_minutes", "20")
    type_into(page, "#min_notice", "1")
    page.keyboard.press("Tab")  # to its unit: hours
    page.keyboard.press("d")  # days
    type_into(page, "#location", "Room 12")
    tab_to(page, "#reason_required")
    page.keyboard.press("Space")
    tab_to(page, "button[type=submit].appt-button")
    press_to_load(page)
    expect(page.get_by_role("status")).to_contain_text("Keyboard office hours")
    row = page.get_by_role("row").filter(has_text="Keyboard office hours")
    expect(row).to_contain_text("20 minutes")
    made = type_id(sis_server, "Keyboard office hours")
    with sis_server.session() as session:
        created = session.get(AppointmentType, made)
        assert created.min_notice_minutes == 24 * 60 and created.reason_required
        assert created.location == "Room 12"

    tab_to(page, f"a[href$='/types/{made}/edit']")
    press_to_load(page)
    type_into(page, "#duration_minutes", "2000")
    press_to_load(page)  # Enter in a field sends the form
    summary = page.locator(".appt-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Duration in minutes: Enter a whole number from 1 to 1440")
    field = page.locator("#duration_minutes")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_attribute("aria-describedby", "duration_minutes-hint "
                                                        "duration_minutes-error")
    expect(page.locator("#duration_minutes-error")).to_be_visible()
    page.keyboard.press("Tab")
    expect(summary.get_by_role("link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(field).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("25")
    press_to_load(page)
    expect(page.get_by_role("status")).to_contain_text("saved")
    expect(page.get_by_role("row").filter(has_text="Keyboard office hours")
           ).to_contain_text("25 minutes")


def test_a_stale_edit_in_another_tab_is_refused_with_what_differed(open_page, sis_server):
    made = type_id(sis_server, "Study skills workshop")
    path = f"{LIST}/{made}/edit"
    first, second = open_page("admin", "desktop", path), open_page("admin", "desktop", path)
    second.locator("#capacity").fill("9")
    second.get_by_role("button", name="Save changes").click()
    expect(second.get_by_role("status")).to_contain_text("saved")
    first.locator("#capacity").fill("4")
    first.get_by_role("button", name="Save changes").click()
    notice = first.locator(".appt-stale")
    expect(notice).to_be_focused()
    expect(notice).to_contain_text("Someone else saved this type while you were editing")
    seats = notice.get_by_role("row").filter(has_text="Seats per slot")
    expect(seats).to_contain_text("4")
    expect(seats).to_contain_text("you and someone else")
    expect(first.locator("#capacity")).to_have_value("9")
    assert_no_axe_violations(first, "stale edit (desktop)")
    first.set_viewport_size({"width": 390, "height": 844})
    assert_no_axe_violations(first, "stale edit (phone)")
    assert_no_horizontal_scroll(first, 320)


def _errors(page: Page) -> None:
    page.goto(f"{LIST}/new")
    page.locator("#name").fill("")
    page.locator("#online_url").fill("not a link")
    page.get_by_role("button", name="Create appointment type").click()
    expect(page.locator(".appt-error-summary")).to_be_visible()


def _edit(page: Page) -> None:
    page.goto(f"{LIST}/1/edit")


STATES = {"list": lambda page: page.goto(LIST), "new": lambda page: page.goto(f"{LIST}/new"),
          "errors": _errors, "edit": _edit}


# The seeded types all have hosts the advisor does not manage, so only the admin's edit page
# is checked (the same template the advisor gets for their own types).
CASES = [(state, user) for state in sorted(STATES) for user in ("advisor", "admin")
         if (state, user) != ("edit", "advisor")]


@pytest.mark.parametrize("device", ["desktop", "phone"])
@pytest.mark.parametrize(("state", "user"), CASES)
def test_axe_finds_nothing_on_the_type_pages(open_page, sis_server, state, user, device):
    page = open_page(user, device)
    STATES[state](page)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_no_axe_violations(page, f"types: {state} as {user} ({device})")
    if device == "desktop":
        assert_no_horizontal_scroll(page, 320)

"""End to end in Chromium, on SQLite and PostgreSQL: a student logs in, books a slot from the
book page's list through the confirmation dialog, finds it under My appointments and cancels
it; and the same with the keyboard alone (Tab and Enter), focus visible at every step."""

from __future__ import annotations

import re

import pytest
from browser.harness import log_in
from playwright.sync_api import Locator, Page, expect

from sis_appointments.models import Booking, Slot

BOOKED = "Booked. It is listed under your upcoming appointments."

CANCELLED = re.compile(r"^Cancelled: .+, \w{3} \d+ \w{3} \d\d:\d\d\.$")


def _bookable(page: Page) -> Locator:
    """The first slot of the book page's list that offers Book (not Join waitlist)."""
    return page.locator('#appt-book-list li[data-action="book"]').first


def _book_link(row: Locator) -> Locator:
    return row.get_by_role("link", name=re.compile(r"^Book "))


def _slot_id(row: Locator) -> int:
    return int(row.get_attribute("data-slot-id"))


def _bookings(server, username: str, slot_id: int) -> list[tuple[str, str | None]]:
    """(status, cancel reason) of the user's bookings of the slot, as the database has them."""
    key = server.user_key(username)
    with server.session() as session:
        return [(b.status, b.cancel_reason) for b in session.query(Booking).filter_by(
            student_key=key, slot_id=slot_id)]


def _seats(server, slot_id: int) -> int:
    with server.session() as session:
        return session.get(Slot, slot_id).booked


def _upcoming_row(page: Page, start: str) -> Locator:
    return page.get_by_role("table", name="Upcoming").locator("tbody tr").filter(
        has=page.locator(f'time[datetime="{start}"]'))


def test_a_student_books_a_slot_and_cancels_it(open_page, sis_server):
    page = open_page()
    log_in(page, "student")
    page.get_by_role("navigation", name="Portal").get_by_role("link", name="Appointments").click()
    page.get_by_role("link", name="Book an appointment").click()
    expect(page.get_by_role("heading", name="Book an appointment")).to_be_visible()

    page.get_by_role("button", name="List", exact=True).click()
    row = _bookable(page)
    slot_id, start = _slot_id(row), row.locator("time").get_attribute("datetime")
    appointment = row.locator(".appt-slot-what strong").inner_text()
    seats = _seats(sis_server, slot_id)
    _book_link(row).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Confirm booking").click()
    expect(dialog.get_by_role("status")).to_have_text(BOOKED)
    dialog.get_by_role("link", name="See My appointments").click()

    expect(page).to_have_url(re.compile(r"/appointments/$"))
    booked = _upcoming_row(page, start)
    expect(booked).to_have_count(1)
    expect(booked).to_contain_text(appointment)
    assert _bookings(sis_server, "student", slot_id) == [("confirmed", None)]
    assert _seats(sis_server, slot_id) == seats + 1

    booked.get_by_role("link", name=re.compile("^Cancel")).click()  # a confirmation page
    page.get_by_label("Reason").fill("Exam moved")
    page.get_by_role("button", name="Cancel the appointment").click()
    expect(page.get_by_role("status")).to_have_text(CANCELLED)
    expect(_upcoming_row(page, start)).to_have_count(0)  # now under History
    assert _bookings(sis_server, "student", slot_id) == [("cancelled", "Exam moved")]
    assert _seats(sis_server, slot_id) == seats


def _tab_to(page: Page, target: Locator, limit: int = 80) -> None:
    """Press Tab until ``target`` has the focus, and check the focus can be seen there."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("e => e === document.activeElement"):
            shown = target.evaluate("""e => e.matches(":focus-visible")
                && getComputedStyle(e).outlineStyle !== "none"
                && parseFloat(getComputedStyle(e).outlineWidth) > 0""")
            assert shown, f"the focus on {target} is not visible"
            return
    pytest.fail(f"{limit} presses of Tab did not reach {target}")


def test_a_student_books_and_cancels_with_the_keyboard_alone(open_page, sis_server):
    page = open_page("student001", path="/appointments/")
    _tab_to(page, page.get_by_role("link", name="Book an appointment"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Book an appointment")).to_be_visible()

    as_list = page.get_by_role("button", name="List", exact=True)
    _tab_to(page, as_list)
    page.keyboard.press("Enter")
    row = _bookable(page)
    slot_id, start = _slot_id(row), row.locator("time").get_attribute("datetime")
    _tab_to(page, _book_link(row))
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    _tab_to(page, dialog.get_by_role("button", name="Confirm booking"))
    page.keyboard.press("Enter")
    expect(dialog.get_by_role("status")).to_have_text(BOOKED)
    assert _bookings(sis_server, "student001", slot_id) == [("confirmed", None)]
    _tab_to(page, dialog.get_by_role("link", name="See My appointments"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="My appointments")).to_be_visible()

    cancel = _upcoming_row(page, start).get_by_role("link", name=re.compile("^Cancel"))
    _tab_to(page, cancel)
    page.keyboard.press("Enter")
    _tab_to(page, page.get_by_role("button", name="Cancel the appointment"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text(CANCELLED)
    assert _bookings(sis_server, "student001", slot_id) == [("cancelled", "")]

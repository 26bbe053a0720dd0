"""The book page in Chromium, on SQLite and PostgreSQL: a slot found in the week calendar and
booked through the confirmation dialog; the phone books through the day-grouped list (the
dialog as a sheet); the keyboard alone; and two students at once, the second seeing the last
seat go without reloading and joining the waitlist at place 1."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from sis_appointments.models import Booking, Slot, WaitlistEntry

BOOKED = "Booked. It is listed under your upcoming appointments."


def _slot_of(item: Locator) -> int:
    return int(item.get_attribute("data-slot-id"))


def _bookings(server, username: str, slot_id: int) -> list[str]:
    key = server.user_key(username)
    with server.session() as session:
        return [b.status for b in session.query(Booking).filter_by(student_key=key,
                                                                   slot_id=slot_id)]


def _seats_left(server, slot_id: int) -> int:
    with server.session() as session:
        return session.get(Slot, slot_id).remaining


def _list_item(page: Page, slot_id: int) -> Locator:
    return page.locator(f'#appt-book-list li[data-slot-id="{slot_id}"]')


def _show_list(page: Page) -> None:
    toggle = page.get_by_role("button", name="List", exact=True)
    if toggle.get_attribute("aria-pressed") != "true":
        toggle.click()


def _first_bookable(page: Page) -> Locator:
    return page.locator('#appt-book-list li[data-action="book"]').first


def test_a_slot_found_in_the_calendar_is_booked_through_the_dialog(open_page, sis_server):
    page = open_page("student002", "desktop", "/appointments/book")
    calendar = page.locator("#appt-calendar")
    expect(page.get_by_role("button", name="Calendar")).to_have_attribute("aria-pressed", "true")
    event = calendar.locator("a.fc-event.appt-event--book").first
    expect(event).to_be_visible()
    # "Monday 7 December, 10:00 to 10:30, Academic advising with Avery Advisor, 1 of 1 seat
    # free" (Chromium puts a space around the time's block: " ," is read as ",")
    expect(event).to_have_accessible_name(re.compile(
        r"^\w+day \d+ \w+, \d\d:\d\d to \d\d:\d\d ?, .+ with .+ ?, \d+ of \d+ seats? free$"))
    slot_id = int(re.search(r"/slots/(\d+)/book", event.get_attribute("href")).group(1))
    seats = _seats_left(sis_server, slot_id)
    event.click()

    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_contain_text("Book ")
    expect(dialog).to_contain_text("Free cancellation until")
    dialog.get_by_label("What would you like to discuss? (optional)").fill("Choosing a minor")
    dialog.get_by_role("button", name="Confirm booking").click()
    expect(dialog.get_by_role("status")).to_have_text(BOOKED)
    expect(page).to_have_url(re.compile(r"/appointments/book$"))  # no page load
    assert _bookings(sis_server, "student002", slot_id) == ["confirmed"]
    assert _seats_left(sis_server, slot_id) == seats - 1

    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    # the page follows: the list says Booked, the calendar no longer offers the seat
    _show_list(page)
    expect(_list_item(page, slot_id).locator(".appt-status")).to_have_text("Booked")


def test_the_phone_books_through_the_list(open_page, sis_server):
    page = open_page("student003", "phone", "/appointments/book")
    expect(page.get_by_role("button", name="List", exact=True)).to_have_attribute(
        "aria-pressed", "true")
    expect(page.locator("#appt-calendar-view")).to_be_hidden()
    item = _first_bookable(page)
    slot_id = _slot_of(item)
    item.get_by_role("link", name=re.compile(r"^Book ")).tap()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    box = dialog.bounding_box()
    assert box["y"] + box["height"] >= 844 - 2 and box["width"] >= 389  # a bottom sheet
    dialog.get_by_role("button", name="Confirm booking").tap()
    expect(dialog.get_by_role("status")).to_have_text(BOOKED)
    assert _bookings(sis_server, "student003", slot_id) == ["confirmed"]
    dialog.get_by_role("link", name="See My appointments").tap()
    expect(page.get_by_role("heading", name="My appointments")).to_be_visible()


def _tab_to(page: Page, target: Locator, limit: int = 120, key: str = "Tab") -> None:
    for _ in range(limit):
        page.keyboard.press(key)
        if target.evaluate("e => e === document.activeElement"):
            shown = target.evaluate("""e => e.matches(":focus-visible")
                && getComputedStyle(e).outlineStyle !== "none"
                && parseFloat(getComputedStyle(e).outlineWidth) > 0""")
            assert shown, f"the focus on {target} is not visible"
            return
    pytest.fail(f"{limit} presses of {key} did not reach {target}")


def test_booking_with_the_keyboard_alone(open_page, sis_server):
    page = open_page("student004", "desktop", "/appointments/book")
    list_toggle = page.get_by_role("button", name="List", exact=True)
    _tab_to(page, list_toggle)
    page.keyboard.press("Enter")
    expect(list_toggle).to_have_attribute("aria-pressed", "true")
    item = _first_bookable(page)
    slot_id = _slot_of(item)
    book = item.get_by_role("link", name=re.compile(r"^Book "))
    _tab_to(page, book)
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    reason = dialog.get_by_label("What would you like to discuss? (optional)")
    expect(reason).to_be_focused()
    page.keyboard.type("Study plan")
    _tab_to(page, dialog.get_by_role("button", name="Confirm booking"))
    page.keyboard.press("Enter")
    expect(dialog.get_by_role("status")).to_have_text(BOOKED)
    assert _bookings(sis_server, "student004", slot_id) == ["confirmed"]
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    booked = _list_item(page, slot_id)
    expect(booked.locator(".appt-status")).to_have_text("Booked")
    # the focus went back to the slot's row, not lost to the top of the page
    expect(booked).to_be_focused()


def test_the_last_seat_goes_live_and_the_other_student_joins_the_waitlist(open_page,
                                                                        sis_server):
    first = open_page("student005", "desktop", "/appointments/book")
    second = open_page("student006", "desktop", "/appointments/book")
    for page in (first, second):
        _show_list(page)
        expect(page.locator("html[data-appt-live=connected]")).to_have_count(1)
    # a slot both may book, with one seat left
    with sis_server.session() as session:
        shown = {_slot_of(i) for i in second.locator('#appt-book-list li[data-action="book"]')
                 .all()}
        slot_id = next(i for i in (_slot_of(x) for x in first.locator(
            '#appt-book-list li[data-action="book"]').all())
            if i in shown and session.get(Slot, i).remaining == 1)
    theirs = _list_item(second, slot_id)
    expect(theirs.locator("[data-seats]")).to_have_text(re.compile(r"1 of \d+ free"))

    _list_item(first, slot_id).get_by_role("link", name=re.compile(r"^Book ")).click()
    first.get_by_role("dialog").get_by_role("button", name="Confirm booking").click()
    expect(first.get_by_role("dialog").get_by_role("status")).to_have_text(BOOKED)

    # without a reload, the other page shows the slot full and offers the waitlist
    expect(theirs.locator("[data-seats]")).to_have_text("Full")
    join = theirs.get_by_role("link", name=re.compile(r"^Join waitlist"))
    expect(join).to_be_visible()
    expect(second.locator("#appt-live")).to_contain_text("now full")
    join.click()
    dialog = second.get_by_role("dialog")
    expect(dialog).to_contain_text("If you join the waitlist you will be number 1.")
    dialog.get_by_role("button", name="Join the waitlist").click()
    expect(dialog.get_by_role("status")).to_contain_text("You are number 1 on the waitlist.")
    key = sis_server.user_key("student006")
    with sis_server.session() as session:
        assert [(e.student_key, e.status) for e in session.query(WaitlistEntry).filter_by(
            slot_id=slot_id)] == [(key, "waiting")]

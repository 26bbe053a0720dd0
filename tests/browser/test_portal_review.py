"""Findings of a review of the student pages in Chromium, each kept fixed: the book list's
rows readable on a desktop, focus after booking from the calendar, every calendar slot in
the tab order, the calendar's legend and held style, the week's navigation above the
calendar, the sheet's first focus on a phone, the reschedule page's sticky action bar."""

from __future__ import annotations

import re

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


def _calendar(page: Page) -> None:
    expect(page.get_by_role("button", name="Calendar")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#appt-calendar .fc-event").first).to_be_visible()


def test_the_focus_returns_to_the_calendar_after_booking_from_it(open_page):
    page = open_page("student003", "desktop", "/appointments/book")
    _calendar(page)
    event = page.locator("#appt-calendar a.fc-event.appt-event--book").first
    href = event.get_attribute("href")
    event.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Confirm booking").click()
    expect(dialog.get_by_role("status")).to_contain_text("Booked")
    # the page has followed (the calendar re-rendered its events) while the student read
    booked = page.locator(f'#appt-calendar a[href="{href}"]')
    expect(booked).to_have_class(re.compile(r"appt-event--held"))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    # the same slot's event (now the student's own), not the page's body
    expect(booked).to_be_focused()
    page.wait_for_timeout(500)
    expect(booked).to_be_focused()


def test_the_focus_survives_closing_before_the_calendar_follows(open_page):
    page = open_page("student004", "desktop", "/appointments/book")
    _calendar(page)
    event = page.locator("#appt-calendar a.fc-event.appt-event--book").first
    href = event.get_attribute("href")
    event.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Confirm booking").click()
    expect(dialog.get_by_role("status")).to_contain_text("Booked")
    dialog.get_by_role("button", name="Close").press("Enter")
    expect(dialog).to_be_hidden()
    booked = page.locator(f'#appt-calendar a[href="{href}"]')
    expect(booked).to_have_class(re.compile(r"appt-event--held"))  # re-rendered since
    page.wait_for_timeout(300)
    expect(booked).to_be_focused()


def test_every_calendar_slot_is_an_event_in_the_tab_order_in_time_order(open_page):
    page = open_page("student", "desktop", "/appointments/book")
    _calendar(page)
    assert page.locator("#appt-calendar .fc-more-link, #appt-calendar .fc-timegrid-more-link"
                        ).count() == 0
    offers = page.evaluate(
        "JSON.parse(document.getElementById('appt-book-data').textContent).offers")
    events = page.locator("#appt-calendar a.fc-event")
    expect(events).to_have_count(len(offers))
    # each slot's start, from the list beside the calendar
    starts = dict(page.locator("#appt-book-list [data-slot-id]").evaluate_all(
        """items => items.map(i => [i.dataset.slotId,
                                    i.querySelector('time').getAttribute('datetime')])"""))
    events.first.focus()
    seen = []
    for _ in range(len(offers)):
        href = page.evaluate("document.activeElement.getAttribute('href')")
        seen.append(starts[re.search(r"/slots/(\d+)/", href).group(1)])
        page.keyboard.press("Tab")
    assert len(seen) == len(offers) and seen == sorted(seen)


def test_the_calendar_has_a_legend_and_a_style_of_its_own_for_bookings(open_page):
    page = open_page("student", "desktop", "/appointments/book")
    _calendar(page)
    legend = page.get_by_role("list", name="Colours in the calendar")
    for words in ("Open", "Full: waitlist", "Booked by you"):
        expect(legend).to_contain_text(words)
    held = page.locator("#appt-calendar .appt-event--held").first
    expect(held).to_be_visible()
    expect(held).to_contain_text("Booked")
    full = page.locator("#appt-calendar .appt-event--full").first
    colour = "e => getComputedStyle(e).backgroundColor"
    assert held.evaluate(colour) != full.evaluate(colour)
    assert "appt-event--full" not in held.get_attribute("class")
    # a 30-minute event shows its time, who and the seats without cutting the lines off
    event = page.locator("#appt-calendar .fc-timegrid-event.appt-event--open").first
    main = event.locator(".fc-event-main")
    assert main.evaluate("e => e.scrollHeight <= e.clientHeight + 1")
    expect(event.locator(".appt-event-seats")).to_be_visible()


def test_the_week_title_and_notices_come_before_the_calendar(open_page):
    page = open_page("student", "desktop", "/appointments/book")
    _calendar(page)
    calendar_top = page.locator("#appt-calendar").bounding_box()["y"]
    for element in (page.get_by_role("heading", name=re.compile("^Week of")),
                    page.get_by_role("link", name=re.compile("Next week")),
                    page.locator("#appt-book-list .appt-notice").first):
        assert element.bounding_box()["y"] < calendar_top


def test_the_phone_sheet_does_not_open_the_keyboard(open_page):
    page = open_page("student003", "phone", "/appointments/book")
    _list(page)
    page.locator('#appt-book-list li[data-action="book"] a[data-appt-confirm]').first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading")).to_be_focused()
    expect(dialog.get_by_role("textbox")).not_to_be_focused()


def test_the_phone_calendar_list_shows_the_time_once_and_the_seats(open_page):
    page = open_page("student", "phone", "/appointments/book")
    page.get_by_role("button", name="Calendar").click()
    row = page.locator("#appt-calendar .fc-list-event").first
    expect(row).to_be_visible()
    time = row.locator(".fc-list-event-time").inner_text()
    # what the title cell shows, without its visually hidden words
    title = row.locator(".fc-list-event-title").evaluate("""cell => {
        const copy = cell.cloneNode(true);
        copy.querySelectorAll('.appt-sr').forEach(e => e.remove());
        return copy.textContent; }""")
    assert re.search(r"\d\d:\d\d", time) and not re.search(r"\d\d:\d\d", title), title
    assert re.search(r"free|Full|Booked", title), title


def test_the_reschedule_buttons_stay_in_sight_on_a_phone(open_page):
    page = open_page("student", "phone", "/appointments/")
    page.locator("a.appt-action", has_text="Reschedule").first.click()
    expect(page.get_by_role("heading", name="Reschedule your appointment")).to_be_visible()
    move = page.get_by_role("button", name="Move to the chosen time")
    assert page.evaluate("document.documentElement.scrollHeight") > 2 * 844
    expect(move).to_be_in_viewport()
    page.mouse.wheel(0, 1500)
    expect(move).to_be_in_viewport()
    bar = page.locator(".appt-sticky")
    assert bar.evaluate("e => getComputedStyle(e).backgroundColor") not in ("rgba(0, 0, 0, 0)",
                                                                             "transparent")
    # a radio reached with the keyboard is not hidden under the bar
    radios = page.get_by_role("radio")
    radios.nth(radios.count() // 2).focus()
    box = page.locator("input[type=radio]:focus").bounding_box()
    assert box["y"] + box["height"] <= bar.bounding_box()["y"]

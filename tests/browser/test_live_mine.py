"""My appointments and the book page following what others do, live, in Chromium on SQLite
and PostgreSQL: a waiting student promoted when the first cancels (and, with an offer window,
accepting the held seat from the banner that appeared), the places of those behind moving up,
the unread count rising, a slot cancelled by staff leaving the book page, and pages refetching
after a reconnect what they missed while offline."""

from __future__ import annotations

import re
from datetime import timedelta

from browser.conftest import FIXED_NOW
from browser.test_book_page import _list_item, _show_list
from browser.test_my_appointments import HOME, _bookings, _slot, _student
from playwright.sync_api import Page, expect

from sis_appointments.contract import SisUser
from sis_appointments.models import Booking, WaitlistEntry
from sis_appointments.notify import delivery
from sis_appointments.services.notifications import inbox
from sis_appointments.services.scheduling import booking, slots, waitlist

STAFF = SisUser(key="staff-test", name="Staff", roles=frozenset({"admin"}))

CANCELLED = re.compile(r"^Cancelled: .+, \w{3} \d+ \w{3} \d\d:\d\d\.$")


def _connected(page: Page) -> Page:
    expect(page.locator("html[data-appt-live=connected]")).to_have_count(1)
    return page


def _waiting(server, slot_id: int, *usernames: str) -> list[int]:
    with server.app.app_context(), server.session() as session:
        return [waitlist.join(session, actor=_student(server, name), slot_id=slot_id).id
                for name in usernames]


def _place(page: Page, entry_id: int):
    return page.locator(f'[data-entry-id="{entry_id}"] [data-appt-place]')


def test_the_first_cancels_and_the_next_is_promoted_live(open_page, sis_server):
    slot_id = _slot(sis_server, "Live promotion", hours=50)
    with sis_server.app.app_context(), sis_server.session() as session:
        booking.book(session, actor=_student(sis_server, "student007"), slot_id=slot_id)
    second, third = _waiting(sis_server, slot_id, "student008", "student009")
    first = open_page("student007", path=HOME)
    promoted = _connected(open_page("student008", path=HOME))
    behind = _connected(open_page("student009", "phone", path=HOME))
    expect(_place(promoted, second)).to_have_text("You are number 1 in line")
    expect(_place(behind, third)).to_have_text("You are number 2 in line")

    first.locator(f'[data-slot-id="{slot_id}"]').get_by_role(
        "link", name=re.compile("^Cancel")).click()
    first.get_by_role("button", name="Cancel the appointment").click()
    expect(first.get_by_role("status")).to_have_text(CANCELLED)

    # without a reload: the seat is the second student's, the third moves up
    row = promoted.locator(f"table[aria-labelledby=upcoming] [data-slot-id='{slot_id}']")
    expect(row).to_contain_text("Live promotion")
    expect(promoted.locator(f'[data-entry-id="{second}"]')).to_have_count(0)
    expect(promoted.locator("#appt-live")).to_contain_text(
        "You have a seat from the waitlist: Live promotion")
    expect(_place(behind, third)).to_have_text("You are number 1 in line")
    expect(behind.locator("#appt-live")).to_contain_text("you are now number 1 in line")

    # the notification of it, once delivered, raises the unread counts on the page and tab
    unread = promoted.locator(".appt-links [data-appt-unread] [data-appt-n]")
    before = int(unread.text_content())
    state = sis_server.app.extensions["sis_appointments"]
    with sis_server.app.app_context(), sis_server.session() as session:
        delivery.deliver_due(session, state.make_channels(), state.settings, emit=state.emit)
        now = inbox.unread_count(session, sis_server.user_key("student008"))
    assert now > before  # the promotion's notification, at least
    expect(unread).to_have_text(str(now))
    expect(promoted.locator("nav [data-appt-unread] [data-appt-n]")).to_have_text(str(now))
    expect(promoted.locator("nav [data-appt-unread-words]")).to_have_text(
        f"{now} unread notifications")
    expect(promoted.locator("#appt-live")).to_contain_text("New notification")
    assert _bookings(sis_server, "student008", slot_id) == [("confirmed", None)]


def test_a_held_seat_appears_live_and_is_accepted_from_the_banner(open_page, sis_server):
    slot_id = _slot(sis_server, "Live offer", hours=60, offer_minutes=30)
    with sis_server.app.app_context(), sis_server.session() as session:
        held = booking.book(session, actor=_student(sis_server, "student010"),
                            slot_id=slot_id).id
    [entry] = _waiting(sis_server, slot_id, "student011")
    page = _connected(open_page("student011", path=HOME))
    expect(page.get_by_role("region", name="A seat is free for you")).to_have_count(0)

    with sis_server.app.app_context(), sis_server.session() as session:
        booking.cancel(session, actor=_student(sis_server, "student010"), booking_id=held)

    offer = page.get_by_role("region", name="A seat is free for you")
    expect(offer).to_contain_text("Live offer")
    expect(offer).to_contain_text("(30 minutes left)")
    expect(page.locator("#appt-live")).to_contain_text("A seat is free for you: Live offer")
    # the time left follows the page's clock (counted again when the tab is shown again)
    page.clock.set_fixed_time(FIXED_NOW + timedelta(minutes=21))
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(offer).to_contain_text("(9 minutes left)")
    offer.get_by_role("button", name="Accept the seat").click()
    expect(page.get_by_role("status")).to_contain_text("Accepted. The seat is yours")
    with sis_server.session() as session:
        assert session.get(WaitlistEntry, entry).status == "promoted"
    assert _bookings(sis_server, "student011", slot_id) == [("confirmed", None)]


def test_a_slot_cancelled_by_staff_leaves_both_pages_live(open_page, sis_server):
    slot_id = _slot(sis_server, "Live cancel", hours=34, capacity=3)  # 19:00 New York
    with sis_server.app.app_context(), sis_server.session() as session:
        booking.book(session, actor=_student(sis_server, "student012"), slot_id=slot_id)
    mine = _connected(open_page("student012", path=HOME))
    book = _connected(open_page("student013", path="/appointments/book"))
    _show_list(book)
    expect(_list_item(book, slot_id)).to_have_count(1)
    expect(mine.locator(f"table[aria-labelledby=upcoming] [data-slot-id='{slot_id}']")
           ).to_have_count(1)

    with sis_server.app.app_context(), sis_server.session() as session:
        slots.cancel(session, actor=STAFF, slot_id=slot_id, reason="Adviser ill")

    expect(_list_item(book, slot_id)).to_have_count(0)
    expect(book.locator("#appt-live")).to_contain_text("no longer open")
    expect(mine.locator(f"table[aria-labelledby=upcoming] [data-slot-id='{slot_id}']")
           ).to_have_count(0)
    expect(mine.locator(f"table[aria-labelledby=history] [data-slot-id='{slot_id}']")
           ).to_contain_text("cancelled")


def test_pages_refetch_after_a_reconnect(open_page, sis_server):
    """Pushes are hints: what happened while a page was offline shows once it reconnects."""
    slot_id = _slot(sis_server, "Missed while offline", hours=35, capacity=2)
    mine = _connected(open_page("student014", path=HOME))
    book = _connected(open_page("student015", path="/appointments/book"))
    _show_list(book)
    seats = _list_item(book, slot_id).locator("[data-seats]")
    expect(seats).to_have_text("2 of 2 free")
    for page in (mine, book):
        page.evaluate("window.apptLive.disconnect()")
        expect(page.locator("html[data-appt-live=disconnected]")).to_have_count(1)

    with sis_server.app.app_context(), sis_server.session() as session:
        booking.book(session, actor=_student(sis_server, "student014"), slot_id=slot_id)
    row = mine.locator(f"table[aria-labelledby=upcoming] [data-slot-id='{slot_id}']")
    expect(row).to_have_count(0)  # offline: nothing arrived
    expect(seats).to_have_text("2 of 2 free")

    for page in (mine, book):
        page.evaluate("window.apptLive.connect()")
        _connected(page)
    expect(row).to_contain_text("Missed while offline")
    expect(_list_item(book, slot_id).locator("[data-seats]")).to_have_text("1 of 2 free")
    with sis_server.session() as session:
        assert session.query(Booking).filter_by(slot_id=slot_id).count() == 1


def test_the_calendar_follows_seats_in_place(open_page, sis_server):
    """A seat taken elsewhere changes the calendar's event without downloading the week
    again (on registration day every open calendar would otherwise refetch it per booking);
    the last seat turns the event into a waitlist offer."""
    slot_id = _slot(sis_server, "Calendar seats", hours=33, capacity=2)  # 18:00 New York
    page = _connected(open_page("student016", path="/appointments/book"))
    event = page.locator(f'#appt-calendar a.fc-event[href*="/slots/{slot_id}/"]')
    expect(event).to_have_accessible_name(re.compile(r"2 of 2 seats free$"))
    feeds = []
    page.on("request", lambda r: feeds.append(r.url) if "/api/appointments/v1/slots" in r.url
            else None)
    for name, left in (("student017", "1 of 2 seats free$"),
                       ("student018", "Full, join the waitlist$")):
        with sis_server.app.app_context(), sis_server.session() as session:
            booking.book(session, actor=_student(sis_server, name), slot_id=slot_id)
        expect(event).to_have_accessible_name(re.compile(left))
    expect(event).to_have_class(re.compile(r"appt-event--full"))
    assert feeds == []

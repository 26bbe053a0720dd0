"""My appointments in Chromium, on SQLite and PostgreSQL: book from the book page, then
reschedule and cancel from My appointments; a late cancellation warns first; cancelling with
the keyboard alone; accepting a held seat (axe on the pages: test_my_appointments_axe). The
data each test needs beyond the seeded world is made through the services, on the live
server's database, at its fixed clock."""

from __future__ import annotations

import re
from datetime import timedelta

from browser.conftest import FIXED_NOW
from browser.harness import assert_no_axe_violations
from browser.test_booking_flow import (
    BOOKED,
    _book_link,
    _bookable,
    _bookings,
    _slot_id,
    _tab_to,
)
from playwright.sync_api import Page, expect
from sqlalchemy import select

from sis_appointments.contract import SisUser
from sis_appointments.models import AppointmentType, Booking, Slot, TypeHost, WaitlistEntry
from sis_appointments.services.scheduling import booking, waitlist

HOME = "/appointments/"

CANCELLED = re.compile(r"^Cancelled: .+, \w{3} \d+ \w{3} \d\d:\d\d\.$")
MOVED = re.compile(r"^Moved: .+ is now \w{3} \d+ \w{3} \d\d:\d\d\.$")


def _student(server, username: str) -> SisUser:
    return SisUser(key=server.user_key(username), name=username, roles=frozenset({"student"}))


def _slot(server, name: str, hours: float, capacity: int = 1, more: tuple = (),
          **type_fields) -> int:
    """A new type ``name`` (its fields as given) and a slot of it ``hours`` from now (and
    one more at each of ``more`` hours); returns the first slot's id."""
    with server.session() as session:
        host = session.scalars(select(Slot.host_key).limit(1)).one()
        kind = AppointmentType(name=name, duration_minutes=30, timezone="America/New_York",
                               location="Student centre 2", **type_fields)
        kind.hosts = [TypeHost(host_key=host)]
        slots = []
        for at in (hours, *more):
            start = FIXED_NOW + timedelta(hours=at)
            slots.append(Slot(type=kind, host_key=host, start_utc=start,
                              end_utc=start + timedelta(minutes=30),
                              timezone="America/New_York", capacity=capacity))
        session.add_all(slots)
        session.commit()
    # made beside the services: the API's cached slot ranges must learn of them as they
    # would of slots made through them
    server.app.extensions["sis_appointments"].cache.bump("slots")
    return slots[0].id


def _book(server, username: str, slot_id: int) -> int:
    with server.app.app_context(), server.session() as session:  # the app's fixed clock
        return booking.book(session, actor=_student(server, username), slot_id=slot_id).id


def _upcoming(page: Page, start: str):
    return page.locator("table[aria-labelledby=upcoming] tbody tr").filter(
        has=page.locator(f'time[datetime="{start}"]'))


def _slot_of(server, booking_id: int) -> int:
    with server.session() as session:
        return session.get(Booking, booking_id).slot_id


def test_book_then_reschedule_then_cancel(open_page, sis_server):
    page = open_page("student", path="/appointments/book")
    page.get_by_role("button", name="List", exact=True).click()
    row = _bookable(page)
    slot_id, start = _slot_id(row), row.locator("time").get_attribute("datetime")
    _book_link(row).click()  # the confirmation dialog of the book page
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Confirm booking").click()
    expect(dialog.get_by_role("status")).to_have_text(BOOKED)
    [(status, _)] = _bookings(sis_server, "student", slot_id)
    assert status == "confirmed"
    dialog.get_by_role("link", name="See My appointments").click()

    _upcoming(page, start).get_by_role("link", name=re.compile("^Reschedule")).click()
    expect(page.get_by_role("heading", name="Reschedule your appointment")).to_be_visible()
    choice = page.locator("input[name=slot]").first
    target = int(choice.get_attribute("value"))
    choice.check()
    page.get_by_role("button", name="Move to the chosen time").click()
    expect(page.get_by_role("status")).to_have_text(MOVED)
    assert _bookings(sis_server, "student", slot_id) == []
    assert _bookings(sis_server, "student", target) == [("confirmed", None)]

    with sis_server.session() as session:
        start = session.get(Slot, target).start_utc.isoformat()
    _upcoming(page, start).get_by_role("link", name=re.compile("^Cancel")).click()
    expect(page.get_by_role("heading", name="Cancel this appointment?")).to_be_visible()
    page.get_by_label("Reason").fill("Exam moved")
    page.get_by_role("button", name="Cancel the appointment").click()
    expect(page.get_by_role("status")).to_have_text(CANCELLED)
    expect(_upcoming(page, start)).to_have_count(0)
    history = page.locator("table[aria-labelledby=history] tbody tr").filter(
        has=page.locator(f'time[datetime="{start}"]'))
    expect(history.locator(".appt-status")).to_have_text("cancelled")
    assert _bookings(sis_server, "student", target) == [("cancelled", "Exam moved")]


def test_a_late_cancellation_shows_the_warning_first(open_page, sis_server):
    slot_id = _slot(sis_server, "Late rule check", hours=12, cancel_cutoff_minutes=24 * 60)
    made = _book(sis_server, "student002", slot_id)
    page = open_page("student002", path=HOME)
    page.get_by_role("link", name=re.compile("^Cancel Late rule check")).click()
    warning = page.get_by_role("note")
    expect(warning).to_contain_text("This will count as a late cancellation")
    page.get_by_role("button", name="Cancel anyway (late)").click()
    expect(page.get_by_role("status")).to_have_text(
        re.compile(r"^Cancelled: .+\. It counts as a late cancellation\.$"))
    with sis_server.session() as session:
        assert session.get(Booking, made).status == "late_cancelled"


def test_cancelling_with_the_keyboard_alone(open_page, sis_server):
    slot_id = _slot(sis_server, "Keyboard check", hours=84)
    made = _book(sis_server, "student003", slot_id)
    page = open_page("student003", path=HOME)
    _tab_to(page, page.get_by_role("link", name=re.compile("^Cancel Keyboard check")))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Cancel this appointment?")).to_be_visible()
    _tab_to(page, page.get_by_label("Reason"))
    page.keyboard.type("Clash")
    _tab_to(page, page.get_by_role("button", name="Cancel the appointment"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text(CANCELLED)
    with sis_server.session() as session:
        found = session.get(Booking, made)
        assert (found.status, found.cancel_reason) == ("cancelled", "Clash")


def test_a_held_seat_is_accepted(open_page, sis_server):
    slot_id = _slot(sis_server, "Offer check", hours=84, offer_minutes=30)
    held = _book(sis_server, "student004", slot_id)
    with sis_server.app.app_context(), sis_server.session() as session:
        entry = waitlist.join(session, actor=_student(sis_server, "student005"),
                              slot_id=slot_id).id
        booking.cancel(session, actor=_student(sis_server, "student004"), booking_id=held)
    page = open_page("student005", path=HOME)
    offer = page.get_by_role("region", name="A seat is free for you")
    expect(offer).to_contain_text("Seat held for you until Tue 1 Dec, 09:30")
    assert_no_axe_violations(page, "my appointments with an offer")
    offer.get_by_role("button", name="Accept the seat").click()
    expect(page.get_by_role("status")).to_contain_text("Accepted. The seat is yours")
    with sis_server.session() as session:
        assert session.get(WaitlistEntry, entry).status == "promoted"
    assert _bookings(sis_server, "student005", slot_id) == [("confirmed", None)]

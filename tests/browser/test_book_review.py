"""What a review of the book page in Chromium found, kept fixed: a slot after midnight drawn
under its own day, an open dialog following the last seat live (and the student's place on
the waitlist shown in the list and the calendar), the Calendar/List choice kept across weeks
and filters, and the list's columns lined up whatever a row's button."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from sis_appointments.models import AppointmentType, Slot, TypeHost

DATABASES = ("sqlite",)  # the page's scripts and layout, the same on both
WEEK = "2026-11-30"  # the week of FIXED_NOW


def _type_with_slots(server, name: str, *starts: datetime) -> list[int]:
    """A new type ``name`` hosted by the advisor with a one-seat slot (45 minutes) at each
    of ``starts``; their ids, and the type's id last."""
    host = server.user_key("advisor")
    with server.session() as session:
        kind = AppointmentType(name=name, duration_minutes=45, timezone="America/New_York",
                               location="Library")
        kind.hosts = [TypeHost(host_key=host)]
        made = [Slot(type=kind, host_key=host, start_utc=start.astimezone(UTC),
                     end_utc=start.astimezone(UTC) + timedelta(minutes=45), capacity=1,
                     timezone="America/New_York", location="Library") for start in starts]
        session.add_all(made)
        session.commit()
        return [s.id for s in made] + [kind.id]


def _connected(page: Page) -> Page:
    expect(page.locator("html[data-appt-live=connected]")).to_have_count(1)
    return page


def test_a_slot_after_midnight_is_drawn_under_its_own_day(open_page, sis_server):
    kolkata = ZoneInfo("Asia/Kolkata")  # the `student` user's zone
    evening, small_hours, type_id = _type_with_slots(
        sis_server, "Night owls", datetime(2026, 12, 2, 20, 30, tzinfo=kolkata),
        datetime(2026, 12, 3, 0, 30, tzinfo=kolkata))
    page = open_page("student", "desktop",
                     f"/appointments/book?week={WEEK}&type={type_id}&clashes=1&view=calendar")
    expect(page.get_by_text("Times are shown in Asia/Kolkata.")).to_be_visible()
    for slot_id, day in ((evening, "2026-12-02"), (small_hours, "2026-12-03")):
        event = page.locator(f'#appt-calendar a[href*="/slots/{slot_id}/"]')
        expect(event).to_be_visible()
        assert event.evaluate("e => e.closest('[data-date]').dataset.date") == day
    expect(page.locator(f'#appt-calendar a[href*="/slots/{small_hours}/"]')).to_contain_text(
        "00:30")


def test_an_open_dialog_follows_the_last_seat_and_the_row_shows_the_place(open_page,
                                                                          sis_server):
    # a Saturday: no class of theirs clashes
    slot_id, type_id = _type_with_slots(
        sis_server, "Weekend clinic", datetime(2026, 12, 5, 10, tzinfo=ZoneInfo(
            "America/New_York")))
    path = f"/appointments/book?week={WEEK}&type={type_id}&view=list"
    first = _connected(open_page("student011", "desktop", path))
    second = _connected(open_page("student012", "desktop", path))
    for page in (first, second):
        page.get_by_role("button", name="List", exact=True).click()
        page.locator(f'li[data-slot-id="{slot_id}"] a[data-appt-confirm]').click()
    dialog = second.get_by_role("dialog")
    expect(dialog.get_by_role("button", name="Confirm booking")).to_be_visible()
    expect(dialog).to_contain_text("1 of 1 free")

    first.get_by_role("dialog").get_by_role("button", name="Confirm booking").click()
    expect(first.get_by_role("dialog").get_by_role("status")).to_contain_text("Booked.")

    # the other dialog turns into the waitlist's, and says so politely
    expect(dialog.get_by_role("heading")).to_have_text("Join the waitlist for Weekend clinic")
    expect(dialog.get_by_role("button", name="Confirm booking")).to_have_count(0)
    expect(dialog).to_contain_text("If you join the waitlist you will be number 1.")
    expect(second.locator("#appt-live")).to_contain_text("The last seat was just taken")
    dialog.get_by_role("button", name="Join the waitlist").click()
    expect(dialog.get_by_role("status")).to_contain_text("You are number 1 on the waitlist.")
    dialog.get_by_role("button", name="Close").click()

    row = second.locator(f'#appt-book-list li[data-slot-id="{slot_id}"]')
    expect(row.locator("[data-seats]")).to_have_text("On the waitlist (#1)")
    expect(row.get_by_role("button", name=re.compile(r"^Leave waitlist"))).to_be_visible()
    expect(row.get_by_role("link", name=re.compile("Join waitlist"))).to_have_count(0)
    second.get_by_role("button", name="Calendar").click()
    event = second.locator(f'#appt-calendar a[href*="/slots/{slot_id}/"]')
    expect(event).to_have_accessible_name(re.compile(r"On the waitlist \(#1\)$"))
    event.click()
    expect(dialog.get_by_role("heading")).to_have_text("On the waitlist for Weekend clinic")
    expect(dialog.get_by_role("button", name="Leave the waitlist")).to_be_visible()


def test_the_view_is_kept_across_weeks_and_filters(open_page, sis_server):
    page = open_page("student013", "desktop", "/appointments/book")
    calendar = page.get_by_role("button", name="Calendar")
    listed = page.get_by_role("button", name="List", exact=True)
    expect(calendar).to_have_attribute("aria-pressed", "true")
    listed.click()
    page.get_by_role("link", name="Next week →").click()
    expect(listed).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#appt-calendar-view")).to_be_hidden()
    calendar.click()
    page.get_by_role("link", name="← Previous week").click()
    expect(calendar).to_have_attribute("aria-pressed", "true")
    listed.click()
    page.get_by_role("button", name="Show slots").click()
    expect(page).to_have_url(re.compile(r"view=list"))
    expect(listed).to_have_attribute("aria-pressed", "true")


def test_the_lists_columns_line_up_whatever_the_button(open_page, sis_server):
    page = open_page("student014", "desktop", f"/appointments/book?week={WEEK}&view=list")
    rows = page.locator("#appt-book-list li.appt-slot")
    expect(rows.first).to_be_visible()
    kinds = set(rows.evaluate_all("rows => rows.map(r => r.dataset.action)"))
    assert {"book", "waitlist"} <= kinds, kinds
    for part in (".appt-slot-where", "[data-seats]"):
        lefts = set(rows.locator(part).evaluate_all(
            "parts => parts.map(p => Math.round(p.getBoundingClientRect().left))"))
        assert len(lefts) == 1, (part, lefts)

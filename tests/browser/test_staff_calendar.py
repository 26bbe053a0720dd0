"""The staff calendar in Chromium, on SQLite and PostgreSQL: the advisor's week in FullCalendar
with seats, updating live when a student books; availability added with the keyboard alone
(preview, then create); a slot dragged to another time moves only once confirmed; a slot
cancelled from its panel with the keyboard; axe at desktop and phone."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from browser.conftest import FIXED_NOW
from browser.harness import assert_no_axe_violations, assert_no_horizontal_scroll
from browser.test_booking_flow import _tab_to
from browser.test_my_appointments import _student
from playwright.sync_api import Page, expect
from sqlalchemy import select

from sis_appointments.models import AppointmentType, Slot, TypeHost
from sis_appointments.notify import delivery
from sis_appointments.services.notifications import inbox
from sis_appointments.services.scheduling import booking

CAL = "/admin/appointments/calendar"


def _advisor_slot(server, name: str, hours: float, capacity: int = 3) -> int:
    """A slot of a new type ``name`` on the advisor's calendar ``hours`` after the clock."""
    key = server.user_key("advisor")
    with server.session() as session:
        kind = AppointmentType(name=name, duration_minutes=30, timezone="America/New_York",
                               location="Room 4", colour="#2f6f3e")
        kind.hosts = [TypeHost(host_key=key)]
        start = FIXED_NOW + timedelta(hours=hours)
        slot = Slot(type=kind, host_key=key, start_utc=start,
                    end_utc=start + timedelta(minutes=30), timezone="America/New_York",
                    capacity=capacity)
        session.add(slot)
        session.commit()
        slot_id = slot.id
    server.app.extensions["sis_appointments"].cache.bump("slots")
    return slot_id


@contextmanager
def mail_through(server):
    """The live server mails through a real SMTP server (aiosmtpd) for the block; yields it
    (its ``inbox`` holds what arrived)."""
    from notify.conftest import SmtpServer

    smtp = SmtpServer()
    smtp.start()
    state = server.app.extensions["sis_appointments"]
    before = dict(state.settings)
    state.settings.update(SIS_APPOINTMENTS_SMTP_HOST="127.0.0.1",
                          SIS_APPOINTMENTS_SMTP_PORT=smtp.port,
                          SIS_APPOINTMENTS_MAIL_FROM="appointments@sis.example.edu")
    state.refresh_channels()  # email is a channel people have from now on
    try:
        yield smtp
    finally:
        state.settings.clear()
        state.settings.update(before)
        state.refresh_channels()
        smtp.stop()


def deliver(server) -> None:
    """One pass of the delivery job, as a worker runs it (the server's clock is stopped, so
    the job's own schedule is never due)."""
    state = server.app.extensions["sis_appointments"]
    with server.app.app_context(), server.session() as session:
        delivery.deliver_due(session, state.make_channels(), state.settings, emit=state.emit)


def _event(page: Page, slot_id: int):
    return page.locator(f'#appt-staff-calendar a.fc-event[href$="/calendar/slots/{slot_id}"]')


def drag_down(page: Page, event, heights: float) -> None:
    """Drag ``event`` of the week grid down by ``heights`` of its own height (a slot as long
    as the grid's rows: one height is half an hour) with the mouse."""
    event.scroll_into_view_if_needed()
    box = event.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 5)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 5 + heights * box["height"],
                    steps=8)
    page.mouse.up()


def test_the_week_shows_seats_and_follows_bookings_live(open_page, sis_server):
    slot_id = _advisor_slot(sis_server, "Live seats", hours=22)  # Wed 2 Dec, 07:00 New York
    page = open_page("advisor", path=CAL)
    expect(page.locator("html[data-appt-live=connected]")).to_have_count(1)
    event = _event(page, slot_id)
    expect(event).to_contain_text("0 of 3 booked")
    expect(event).to_have_accessible_name(re.compile(
        r"^Wednesday 2 December, 07:00 to 07:30 ?, Live seats ?, .+ 0 of 3 booked$"))
    assert_no_axe_violations(page, "staff calendar, week")
    with sis_server.app.app_context(), sis_server.session() as session:
        booking.book(session, actor=_student(sis_server, "student020"), slot_id=slot_id)
    expect(event).to_contain_text("1 of 3 booked")
    expect(page.locator("#appt-live")).to_contain_text("Live seats at 07:00: 1 of 3 booked")
    event.click()
    expect(page.get_by_role("heading", name="Live seats")).to_be_visible()
    expect(page.locator("table")).to_contain_text("booked")


def test_availability_is_added_with_the_keyboard_alone(open_page, sis_server):
    page = open_page("advisor", path=f"{CAL}/add")
    _tab_to(page, page.get_by_label("Date"))
    page.keyboard.type("12/09/2026")  # Chromium's date field, US locale: month/day/year
    _tab_to(page, page.get_by_label("From"))
    page.keyboard.type("0600AM")  # its segments fill one after another; a free hour
    _tab_to(page, page.get_by_label("To", exact=True))
    page.keyboard.type("0700AM")
    _tab_to(page, page.get_by_role("button", name="Preview"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile(r"^Preview: \d+ slots?"))).to_be_visible()
    expect(page.locator(".appt-plan")).not_to_contain_text("Collides")
    create = page.get_by_role("button", name=re.compile(r"^Create \d+ slots?"))
    count = int(re.search(r"\d+", create.text_content()).group(0))
    assert_no_axe_violations(page, "add availability, preview")
    _tab_to(page, create)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(f"{count} slot")
    key = sis_server.user_key("advisor")
    with sis_server.session() as session:
        made = session.scalars(select(Slot).where(
            Slot.host_key == key, Slot.start_utc >= FIXED_NOW + timedelta(days=8, hours=-3),
            Slot.start_utc < FIXED_NOW + timedelta(days=8, hours=-2))).all()
    assert len(made) == count >= 1


def test_a_dragged_slot_moves_only_once_confirmed(open_page, sis_server):
    slot_id = _advisor_slot(sis_server, "Drag me", hours=46)  # Thu 3 Dec, 07:00 New York
    page = open_page("advisor", path=CAL)
    event = _event(page, slot_id)
    expect(event).to_be_visible()
    drag_down(page, event, 2)
    expect(page.get_by_role("heading", name="Move Drag me?")).to_be_visible()
    with sis_server.session() as session:
        before = session.get(Slot, slot_id).start_utc
    assert before == FIXED_NOW + timedelta(hours=46)  # nothing moved yet
    page.get_by_role("button", name=re.compile("^Move")).click()
    expect(page.get_by_role("status")).to_contain_text("Moved.")
    with sis_server.session() as session:
        assert session.get(Slot, slot_id).start_utc > before


def test_a_slot_is_cancelled_from_its_panel_with_the_keyboard(open_page, sis_server):
    slot_id = _advisor_slot(sis_server, "Cancel me", hours=70)
    page = open_page("advisor", path=f"{CAL}/slots/{slot_id}")
    assert_no_axe_violations(page, "slot panel")
    _tab_to(page, page.get_by_label("Reason (the students are told)"))
    page.keyboard.type("Office closed")
    _tab_to(page, page.get_by_role("button", name="Cancel the slot"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Slot cancelled")
    with sis_server.session() as session:
        assert session.get(Slot, slot_id).status == "cancelled"


def test_the_calendar_pages_on_a_phone(open_page, sis_server):
    slot_id = _advisor_slot(sis_server, "Phone view", hours=26)
    page = open_page("advisor", "phone", path=CAL)
    expect(page.locator(".fc-list")).to_be_visible()  # the week as a list on a phone
    assert_no_axe_violations(page, "staff calendar, phone")
    assert_no_horizontal_scroll(page, 320)
    for path in (f"{CAL}/add", f"{CAL}/slots/{slot_id}"):
        page.goto(path)
        assert_no_axe_violations(page, path)
        assert_no_horizontal_scroll(page, 320)


def test_a_booked_slot_dragged_tells_its_student_in_the_app_and_by_email(open_page,
                                                                          sis_server):
    """The advisor moves a booked slot in the calendar; the student's My appointments
    follows live, and the change reaches them in the app and by email (a real SMTP server,
    aiosmtpd, which the server mails through for this test)."""
    from demo_sis.extensions import db
    from demo_sis.models import User

    with mail_through(sis_server) as smtp:
        slot_id = _advisor_slot(sis_server, "Drag booked", hours=48)  # Thu 3 Dec, 09:00
        with sis_server.app.app_context(), sis_server.session() as session:
            booking.book(session, actor=_student(sis_server, "student021"), slot_id=slot_id)
        mine = open_page("student021", path="/appointments/")
        expect(mine.locator("html[data-appt-live=connected]")).to_have_count(1)
        page = open_page("advisor", path=CAL)
        event = _event(page, slot_id)
        expect(event).to_contain_text("1 of 3 booked")
        drag_down(page, event, 1)  # half an hour later
        expect(page.get_by_text("This student keeps their seat and will be told")
               ).to_be_visible()
        page.get_by_role("button", name="Move and tell them").click()
        expect(page.get_by_role("status")).to_contain_text("Moved. 1 student will be told.")
        expect(mine.locator("#appt-live")).to_contain_text("Changed by staff: Drag booked")

        key = sis_server.user_key("student021")
        deliver(sis_server)
        with sis_server.session() as session:
            assert inbox.unread_count(session, key) >= 1
        with sis_server.app.app_context():
            address = db.session.get(User, int(key)).email
        changed = [m for m in smtp.inbox.to(address)
                   if "Your appointment changed" in m["Subject"]]
        assert len(changed) == 1
        assert "Was" in changed[0].get_body(("plain",)).get_content()


# -- several people's calendars at once (an admin's "All calendars")

PARALLEL_WEEK = "2027-06-07"  # past the seeded series: only the slots made here
CHOOSE = "Choose a slot for its bookings, waitlist and changes."


def _parallel_slots(server, name: str) -> list[tuple[int, str, str]]:
    """Three slots of a new type ``name`` at the same time (Tuesday 8 June 2027, 10:00 New
    York) on the calendars of advisor, staff01 and staff02, each in its own room: (slot id,
    host's name, room) each."""
    from demo_sis.extensions import db
    from demo_sis.models import User

    people = ("advisor", "staff01", "staff02")
    keys = [server.user_key(username) for username in people]
    with server.app.app_context():
        names = [db.session.get(User, int(key)).name for key in keys]
    start = datetime(2027, 6, 8, 14, 0, tzinfo=UTC)
    made = []
    with server.session() as session:
        kind = AppointmentType(name=name, duration_minutes=30, timezone="America/New_York",
                               location="Room 4", colour="#2f6f3e")
        kind.hosts = [TypeHost(host_key=key) for key in keys]
        for number, key in enumerate(keys, start=1):
            slot = Slot(type=kind, host_key=key, start_utc=start, location=f"Room 1{number}",
                        end_utc=start + timedelta(minutes=30), timezone="America/New_York",
                        capacity=3)
            session.add(slot)
            made.append(slot)
        session.commit()
        found = [(slot.id, names[i], f"Room 1{i + 1}") for i, slot in enumerate(made)]
    server.app.extensions["sis_appointments"].cache.bump("slots")
    return found


def _uncovered(page: Page, element) -> bool:
    """Whether the middle of ``element`` is ``element`` (or inside it), not something on top."""
    return element.evaluate("""(el) => { const r = el.getBoundingClientRect();
        const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
        return el.contains(top); }""")


def test_with_all_calendars_each_slot_says_whose_it_is(open_page, sis_server):
    """Parallel slots of three people: the week shows the first with its host and the others
    behind "+2", which opens them; each slot's tooltip says it all; focused, a slot shows
    whole and on top; the list says host and place on every row; the tips fit the view."""
    (first, first_host, first_room), *others = _parallel_slots(sis_server, "Parallel")
    page = open_page("admin", path=f"{CAL}?week={PARALLEL_WEEK}")
    event = _event(page, first)
    expect(event.locator(".appt-event-host")).to_have_text(first_host)
    expect(event.locator(".appt-event-host")).to_be_visible()
    expect(event.locator(".appt-event-text")).to_have_attribute(
        "title", f"10:00–10:30 · {first_host} · Parallel · {first_room} · 0 of 3 booked")
    expect(event).to_have_accessible_name(re.compile(
        rf"^Tuesday 8 June, 10:00 to 10:30 ?, {first_host} ?, Parallel ?, {first_room} ?, "
        r"0 of 3 booked$"))
    expect(page.get_by_text("drag a slot to move it")).to_be_visible()
    choose = page.get_by_text(CHOOSE, exact=True)  # the list's tip
    expect(choose).to_be_hidden()
    assert_no_axe_violations(page, "staff calendar, all calendars, week")

    more = page.get_by_role("button", name="+2 more slots")
    more.focus()
    page.keyboard.press("Enter")
    popover = page.locator(".fc-popover")
    for _, host, _ in others:
        expect(popover.locator(".appt-event-host", has_text=host)).to_be_visible()
    assert_no_axe_violations(page, "staff calendar, all calendars, the +2 popover")
    page.keyboard.press("Escape")
    expect(popover).to_have_count(0)

    _tab_to(page, event)  # the keyboard reaches it; focused, it is whole and on top
    expect(event).to_be_focused()
    assert _uncovered(page, event)
    assert event.locator(".appt-seats-long").bounding_box()["width"] > 30  # not "0/3"

    page.locator(".fc-listWeek-button").click()
    rows = page.locator(".fc-list-event")
    expect(rows).to_have_count(3)
    for (_, host, room), row in zip([(first, first_host, first_room), *others],
                                    rows.all(), strict=True):
        expect(row).to_contain_text(host)
        expect(row.locator(".appt-event-place")).to_have_text(room)
    expect(page.get_by_text("drag a slot to move it")).to_be_hidden()
    expect(choose).to_be_visible()
    page.locator(".fc-timeGridWeek-button").click()
    expect(page.get_by_text("drag a slot to move it")).to_be_visible()

    phone = open_page("admin", "phone", path=f"{CAL}?week={PARALLEL_WEEK}")
    rows = phone.locator(".fc-list-event")
    expect(rows).to_have_count(3)
    for (_, host, room), row in zip([(first, first_host, first_room), *others],
                                    rows.all(), strict=True):
        expect(row.locator(".appt-event-host")).to_have_text(host)
        expect(row.locator(".appt-event-place")).to_have_text(room)
    expect(phone.get_by_text("drag a slot to move it")).to_be_hidden()
    assert_no_axe_violations(phone, "staff calendar, all calendars, phone")
    assert_no_horizontal_scroll(phone, 320)


def test_an_empty_range_says_so_and_leads_to_adding_availability(open_page, sis_server):
    empty_week = "2027-08-02"
    page = open_page("advisor", path=f"{CAL}?week={empty_week}")
    words = "No slots in this range on this calendar."
    expect(page.locator("#appt-staff-calendar-empty")).to_be_visible()
    expect(page.locator("#appt-staff-calendar-empty")).to_contain_text(words)
    page.locator(".fc-next-button").click()  # another empty week: still said
    expect(page.locator("#appt-staff-calendar-empty")).to_be_visible()
    page.locator(".fc-listWeek-button").click()
    empty = page.locator(".fc-list-empty")
    expect(empty).to_contain_text(words)
    expect(empty).not_to_contain_text("No events to display")
    expect(page.locator("#appt-staff-calendar-empty")).to_be_hidden()  # said once
    assert_no_axe_violations(page, "staff calendar, an empty list")
    _tab_to(page, empty.get_by_role("link", name="Add availability"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Add availability")).to_be_visible()

    slot_id = _advisor_slot(sis_server, "Not empty", hours=30)
    page.goto(CAL)  # a week with slots says nothing of the kind
    expect(_event(page, slot_id)).to_be_visible()
    expect(page.locator("#appt-staff-calendar-empty")).to_be_hidden()

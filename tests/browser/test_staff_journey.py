"""A term of the staff admin panel, in one journey through the pages, in Chromium on SQLite and
PostgreSQL, with the advisor's, a student's and the registrar's pages open at once:

1. the advisor creates an appointment type on the Appointment types page;
2. from the Calendar page adds a weekly series of it (Add availability), whose preview marks
   the occurrences after New York's DST change of 14 March 2027 (the server's clock is
   stopped on 1 December 2026), and saves it;
3. a student finds a slot of the type in the Book page's calendar and books it; the
   advisor's calendar, open meanwhile, shows the seat taken without a reload;
4. the advisor drags the booked slot half an hour later; the confirmation names the student;
   the student's My appointments shows the new time live, and an email "changed" with the
   new time reaches an SMTP server (aiosmtpd) once the delivery job has run;
5. the registrar cancels that day's slots of the type on Batch changes with a reason
   (preview, run), reads the CSV report from its data: link, and the student is told (in
   the app and by email);
6. the registrar grants the advisor a colleague's calendar on Roles and changes a setting on
   Settings; both are on the Audit log page;
7. the Reports page, narrowed to the type and the term, counts the slots, the booking and
   its cancellation by staff.

Everything is done through the pages; the database is only read, to check what they did.
Notifications leave through one pass of the delivery job, run here where a worker would run
it."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

from browser.test_live_mine import _connected
from browser.test_staff_calendar import _event, deliver, drag_down, mail_through
from playwright.sync_api import Page, expect
from sqlalchemy import select

from sis_appointments.models import AppointmentType, AuditEntry, Booking, RoleGrant, Slot

TYPE = "Journey advising"
PLACE = "Journey room 7"
CAL = "/admin/appointments/calendar"
STUDENT = "student040"
SERIES_FIRST = "2026-12-03"  # a Thursday of the week the clock is stopped in
SERIES_COUNT = 17  # weekly to Thursday 25 March 2027: the last two after 14 March (EST->EDT)
FIRST_START = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)  # 07:00 New York (EST)
MOVED_START = datetime(2026, 12, 3, 12, 30, tzinfo=UTC)  # 07:30 New York
REASON = "Campus closed for the registrar's open day"


# -- helpers

def _status(page: Page, words: str | re.Pattern):
    return page.get_by_role("status").filter(has_text=words)


def _user(server, username: str):
    from demo_sis.extensions import db
    from demo_sis.models import User

    with server.app.app_context():
        user = db.session.scalars(select(User).filter_by(username=username)).one()
        return user.name, user.email


def _type_slots(server) -> list[Slot]:
    with server.session() as session:
        return list(session.scalars(select(Slot).join(AppointmentType).where(
            AppointmentType.name == TYPE).order_by(Slot.start_utc)))


def _mails(smtp, address: str, subject: str) -> list:
    return [m for m in smtp.inbox.to(address) if subject in m["Subject"]]


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


# -- the steps

def create_the_type(advisor: Page, server) -> int:
    """1. The advisor creates the type on the Appointment types page."""
    advisor.goto("/admin/appointments/")
    advisor.get_by_role("link", name="Appointment types").first.click()
    advisor.get_by_role("link", name=re.compile("New appointment type")).click()
    expect(advisor.get_by_role("heading", level=1)).to_have_text("New appointment type")
    expect(advisor.get_by_role("checkbox", name="Avery Advisor")).to_be_checked()
    advisor.get_by_label("Name", exact=True).fill(TYPE)
    advisor.get_by_label("Time zone").select_option("America/New_York")
    advisor.get_by_label("Duration in minutes").fill("30")
    advisor.get_by_label("Seats per slot (default capacity)").fill("2")
    advisor.get_by_label("Place", exact=True).fill(PLACE)
    advisor.get_by_role("button", name="Create appointment type").click()
    expect(_status(advisor, TYPE)).to_be_visible()
    expect(advisor.get_by_role("row").filter(has_text=TYPE)).to_contain_text("30 minutes")
    with server.session() as session:
        made = session.scalars(select(AppointmentType).where(AppointmentType.name == TYPE)).one()
        assert (made.capacity, made.location, made.timezone) == (2, PLACE, "America/New_York")
        assert [h.host_key for h in made.hosts] == [server.user_key("advisor")]
        return made.id


def add_a_weekly_series(advisor: Page, server) -> list[int]:
    """2. From the Calendar page, a weekly series over the DST change: preview, then save."""
    advisor.get_by_role("link", name="Calendar", exact=True).first.click()
    expect(advisor.get_by_role("heading", level=1)).to_have_text("Calendar")
    advisor.get_by_role("link", name="Add availability").first.click()  # the toolbar's
    advisor.get_by_label("Appointment type").select_option(label=TYPE)
    advisor.get_by_label("Date").fill(SERIES_FIRST)
    advisor.get_by_label("From").fill("07:00")
    advisor.get_by_label("To", exact=True).fill("07:30")
    advisor.get_by_label("Repeat").select_option("weekly")
    expect(advisor.get_by_role("checkbox", name="Thursday")).not_to_be_checked()  # the day's
    advisor.get_by_role("checkbox", name="Thursday").check()
    advisor.get_by_label("Or this many times").fill(str(SERIES_COUNT))
    advisor.get_by_role("button", name="Preview").click()
    expect(advisor.get_by_role("heading", name=f"Preview: {SERIES_COUNT} slots")).to_be_visible()
    plan = advisor.locator(".appt-plan")
    expect(plan.locator(".appt-notice")).to_have_text(re.compile(
        r"^2 occurrences fall after a daylight-saving change"))
    shifted = plan.locator("tbody tr").filter(has_text="After a DST change")
    expect(shifted).to_have_count(2)
    expect(shifted.first).to_contain_text("Thu 18 Mar 2027")
    expect(shifted.first).to_contain_text("07:00–07:30")
    expect(shifted.first).to_contain_text("11:00")  # UTC: an hour earlier than in winter
    expect(plan.locator("tbody tr").first).to_contain_text("12:00")
    expect(plan).not_to_contain_text("Collides")
    assert _type_slots(server) == []  # nothing saved yet
    advisor.get_by_role("button", name=f"Create {SERIES_COUNT} slots").click()
    expect(_status(advisor, "Series saved")).to_be_visible()
    made = _type_slots(server)
    assert len(made) == SERIES_COUNT and len({s.series_id for s in made}) == 1
    assert made[0].start_utc.replace(tzinfo=UTC) == FIRST_START
    assert made[-1].start_utc.replace(tzinfo=UTC) == datetime(2027, 3, 25, 11, 0, tzinfo=UTC)
    return [s.id for s in made]


def book_from_the_calendar(student: Page, advisor: Page, server, slot_id: int) -> None:
    """3. The student books the first slot from the Book page's calendar; the advisor's
    calendar follows live."""
    mine = _event(_connected(advisor), slot_id)
    expect(mine).to_contain_text("0 of 2 booked")
    student.get_by_role("link", name="Book an appointment").click()
    expect(student.get_by_role("heading", name="Book an appointment")).to_be_visible()
    event = student.locator("#appt-calendar a.fc-event").filter(has_text=TYPE)
    expect(event).to_have_count(1)  # this week's one
    expect(event).to_have_accessible_name(re.compile(
        rf"^Thursday 3 December, 07:00 to 07:30 ?, {TYPE} with Avery Advisor ?, "
        r"2 of 2 seats free$"))
    event.click()
    dialog = student.get_by_role("dialog")
    dialog.get_by_role("button", name="Confirm booking").click()
    expect(dialog.get_by_role("status")).to_have_text(
        "Booked. It is listed under your upcoming appointments.")
    expect(mine).to_contain_text("1 of 2 booked")  # live, no reload
    expect(advisor.locator("#appt-live")).to_contain_text(f"{TYPE} at 07:00: 1 of 2 booked")
    with server.session() as session:
        assert session.get(Slot, slot_id).booked == 1
        assert [b.status for b in session.scalars(select(Booking).where(
            Booking.slot_id == slot_id, Booking.student_key == server.user_key(STUDENT)))
                ] == ["confirmed"]
    dialog.get_by_role("link", name="See My appointments").click()
    expect(student.get_by_role("heading", name="My appointments")).to_be_visible()


def _upcoming(page: Page, slot_id: int):
    return page.locator(f"table[aria-labelledby=upcoming] [data-slot-id='{slot_id}']")


def drag_it_later(advisor: Page, student: Page, server, smtp, slot_id: int) -> None:
    """4. The advisor drags the booked slot to 07:30; the student is named before it moves,
    sees the new time live, and gets an email "changed" with it."""
    _connected(student)
    row = _upcoming(student, slot_id)
    expect(row.locator("time")).to_have_attribute("datetime", FIRST_START.isoformat())
    drag_down(advisor, _event(advisor, slot_id), 1)  # half an hour later
    expect(advisor.get_by_role("heading", name=f"Move {TYPE}?")).to_be_visible()
    name, address = _user(server, STUDENT)
    expect(advisor.get_by_text("Thursday 3 December 2026, 07:30 to 08:00")).to_be_visible()
    expect(advisor.get_by_text("This student keeps their seat and will be told of the new time")
           ).to_be_visible()
    expect(advisor.get_by_role("listitem").filter(has_text=re.compile(rf"^{name}$"))
           ).to_have_count(1)
    expect(advisor.get_by_role("radio", name="Only this one")).to_be_checked()
    with server.session() as session:
        assert session.get(Slot, slot_id).start_utc.replace(tzinfo=UTC) == FIRST_START
    advisor.get_by_role("button", name="Move and tell them").click()
    expect(_status(advisor, "Moved. 1 student will be told.")).to_be_visible()

    expect(student.locator("#appt-live")).to_contain_text(f"Changed by staff: {TYPE}")
    expect(row.locator("time")).to_have_attribute("datetime", MOVED_START.isoformat())
    starts = [s.start_utc.replace(tzinfo=UTC) for s in _type_slots(server)]
    assert starts[0] == MOVED_START
    assert starts[1] == FIRST_START + timedelta(days=7)  # only this one moved
    deliver(server)
    [changed] = _mails(smtp, address, "Your appointment changed")
    assert "07:30" in changed["Subject"]
    assert "Was: Thu 3 Dec 2026, 07:00 EST" in _text(changed)
    assert "When: Thu 3 Dec 2026, 07:30 EST" in _text(changed)


def batch_cancel_the_day(registrar: Page, student: Page, server, smtp, slot_id: int) -> None:
    """5. The registrar cancels the day's slots of the type on Batch changes: preview, run,
    the CSV report; the student is told in the app and by email."""
    registrar.goto("/admin/appointments/")
    registrar.get_by_role("link", name="Batch changes").first.click()
    registrar.get_by_role("checkbox", name=TYPE).check()
    registrar.get_by_label("From").fill(SERIES_FIRST)
    registrar.get_by_label("To (inclusive)").fill(SERIES_FIRST)
    registrar.get_by_role("button", name="Find slots").click()
    expect(registrar.get_by_text("1 slot found")).to_be_visible()
    expect(registrar.locator(f'input[name=slot][value="{slot_id}"]')).to_be_checked()
    registrar.get_by_label("Do this").select_option("cancel")
    registrar.get_by_label("Reason (for cancelling; the students are told)").fill(REASON)
    registrar.get_by_role("button", name="Preview").click()
    name, address = _user(server, STUDENT)
    expect(registrar.get_by_role("heading", name="Preview: 1 of 1 would change")).to_be_visible()
    expect(registrar.get_by_text("would be told")).to_contain_text(name)
    with server.session() as session:
        assert session.get(Slot, slot_id).status == "open"
    registrar.get_by_role("button", name="Run it on 1 slot").click()
    expect(registrar.get_by_role("heading", name="Done: 1 of 1 slots changed")).to_be_visible()
    href = registrar.get_by_role("link", name="Download the report (CSV)").get_attribute("href")
    kind, _, data = href.partition(",")
    assert kind == "data:text/csv;charset=utf-8"
    [row] = csv.DictReader(io.StringIO(unquote(data)))
    assert (row["slot_id"], row["type"], row["outcome"]) == (str(slot_id), TYPE, "done")
    assert row["start"].startswith("2026-12-03T12:30")
    assert server.user_key(STUDENT) in row["people_told"].split()

    # told: My appointments moves it to the history live; the notification and the email
    expect(_upcoming(student, slot_id)).to_have_count(0)
    expect(student.locator(f"table[aria-labelledby=history] [data-slot-id='{slot_id}']")
           ).to_contain_text("cancelled")
    with server.session() as session:
        [booked] = session.scalars(select(Booking).where(Booking.slot_id == slot_id)).all()
        assert (booked.status, booked.cancel_reason) == ("cancelled", REASON)
    deliver(server)
    [cancelled] = _mails(smtp, address, f"Appointment cancelled: {TYPE}")
    assert f"Reason: {REASON}" in _text(cancelled)
    student.get_by_role("link", name=re.compile("Notifications")).first.click()
    newest = student.locator(".appt-notification").first
    expect(newest.get_by_role("heading")).to_contain_text(f"Appointment cancelled: {TYPE}")
    expect(newest).to_contain_text("Cancelled by Alex Admin.")
    # (the list shows a notification's first lines; the reason is on the appointment's page)
    newest.get_by_role("link", name=re.compile("^See this appointment")).click()
    expect(student.get_by_text(f"Reason: {REASON}")).to_be_visible()


def grant_and_set(registrar: Page, server) -> None:
    """6. The registrar grants the advisor a colleague's calendar and changes a setting; the
    Audit log page shows both."""
    advisor, colleague = server.user_key("advisor"), server.user_key("staff01")
    registrar.get_by_role("link", name="Roles").first.click()
    registrar.get_by_label("Staff member", exact=True).select_option(advisor)
    registrar.get_by_label("Right", exact=True).select_option("manage_calendar")
    registrar.get_by_label("Calendar of").select_option(colleague)
    registrar.get_by_role("button", name="Grant", exact=True).click()
    expect(_status(registrar, "The right is granted.")).to_be_visible()
    expect(registrar.locator(f"#person-{advisor}")).to_contain_text("Hana Murphy's calendar")

    registrar.get_by_role("link", name="Settings").first.click()
    registrar.get_by_label("Staff digest hour (0-23)").fill("6")
    registrar.get_by_role("button", name="Save settings").click()
    expect(_status(registrar, "Saved: 1 setting changed.")).to_be_visible()

    registrar.get_by_role("link", name="Audit log").first.click()
    entries = registrar.locator(".appt-audit-entry")
    expect(entries.nth(0)).to_contain_text("Setting changed")
    expect(entries.nth(1)).to_contain_text("Right granted")
    expect(entries.nth(1)).to_contain_text("Avery Advisor")
    expect(entries.nth(1)).to_contain_text("Hana Murphy")
    with server.session() as session:
        grant = session.scalars(select(RoleGrant).where(RoleGrant.user_key == advisor)).one()
        assert (grant.grant, grant.target_key) == ("manage_calendar", colleague)
        assert session.scalar(select(AuditEntry.after).where(
            AuditEntry.action == "setting.changed", AuditEntry.entity_id == "digest_hour")
        ) == {"value": 6}


def read_the_reports(registrar: Page, server, type_id: int) -> None:
    """7. The Reports page counts the type's term: its open slots, the booking and its
    cancellation by staff."""
    registrar.get_by_role("link", name="Reports").first.click()
    registrar.get_by_label("From", exact=True).fill("2026-11-30")
    registrar.get_by_label("To", exact=True).fill("2027-03-31")
    registrar.get_by_label("Appointment type").select_option(str(type_id))
    registrar.get_by_role("button", name="Show").click()
    expect(registrar).to_have_url(re.compile(rf"type={type_id}"))

    def figure(key: str):
        return registrar.locator(f'[data-appt-figure="{key}"] dd')

    expect(figure("slots")).to_have_text(str(SERIES_COUNT - 1))  # one cancelled
    expect(figure("offered")).to_have_text(str(2 * (SERIES_COUNT - 1)))
    expect(figure("booked")).to_have_text("0")
    expect(figure("bookings")).to_have_text("0")
    expect(figure("cancelled")).to_have_text("1")
    registrar.get_by_role("link", name="Cancellations and reschedules").first.click()
    table = registrar.locator('[data-appt-report="cancellations"] table')
    expect(table.locator("tbody tr").first).to_contain_text("30 Nov 2026")  # the week of it
    headers = table.locator("thead th").all_inner_texts()
    first_week = dict(zip(headers, table.locator("tbody tr").first.locator("th, td")
                          .all_inner_texts(), strict=True))
    assert first_week["Bookings"] == "1" and first_week["Cancelled by staff"] == "1"


# -- the journey

def test_an_advisor_and_a_registrar_through_a_term(open_page, sis_server):
    """The seven steps of the module's docstring, three people's pages open throughout."""
    advisor = open_page("advisor")
    registrar = open_page("admin")
    student = open_page(STUDENT, path="/appointments/")
    with mail_through(sis_server) as smtp:
        type_id = create_the_type(advisor, sis_server)
        first, *_ = add_a_weekly_series(advisor, sis_server)
        book_from_the_calendar(student, advisor, sis_server, first)
        drag_it_later(advisor, student, sis_server, smtp, first)
        batch_cancel_the_day(registrar, student, sis_server, smtp, first)
        grant_and_set(registrar, sis_server)
        read_the_reports(registrar, sis_server, type_id)



"""The staff dashboard and conflicts pages in Chromium: axe-core at desktop and phone sizes
(and reflow at 320 px), the advisor's dashboard following a student's booking live, marking
attendance, cancelling a slot with a reason, and keeping a conflict with a reason."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from browser.conftest import FIXED_NOW
from browser.harness import assert_no_axe_violations, assert_no_horizontal_scroll
from browser.test_my_appointments import _student
from playwright.sync_api import Page, expect

from sis_appointments.contract import SisUser
from sis_appointments.models import AppointmentType, Booking, Slot, TypeHost
from sis_appointments.services.scheduling import booking, slots

HOME = "/admin/appointments/"
CONFLICTS = "/admin/appointments/conflicts"


def _connected(page: Page) -> Page:
    expect(page.locator("html[data-appt-live=connected]")).to_have_count(1)
    return page


def _advisor_slots(server, name: str, *hours: float, capacity: int = 2,
                   booked_by: tuple[str, ...] = ()) -> list[int]:
    """A new type ``name`` hosted by the advisor with a slot at each of ``hours`` from now;
    the first slot holds a confirmed booking of each of ``booked_by`` (written directly, so
    a slot already started can hold one)."""
    host = server.user_key("advisor")
    with server.session() as session:
        kind = AppointmentType(name=name, duration_minutes=30, timezone="America/New_York",
                               location="Advising Centre, desk 9")
        kind.hosts = [TypeHost(host_key=host)]
        made = []
        for at in hours:
            start = FIXED_NOW + timedelta(hours=at)
            made.append(Slot(type=kind, host_key=host, start_utc=start,
                             end_utc=start + timedelta(minutes=30),
                             timezone="America/New_York", capacity=capacity,
                             location=f"Desk {len(made) + 9}"))
        session.add_all(made)
        session.flush()
        for username in booked_by:
            session.add(Booking(slot_id=made[0].id, student_key=server.user_key(username)))
        made[0].booked = len(booked_by)
        session.commit()
        return [s.id for s in made]


@pytest.mark.parametrize("device", ["desktop", "phone"])
@pytest.mark.parametrize(("user", "path"), [("advisor", HOME), ("admin", HOME),
                                            ("advisor", CONFLICTS), ("admin", CONFLICTS)])
def test_axe_finds_nothing_on_the_dashboard_and_conflicts(open_page, sis_server, user, path,
                                                          device):
    if path == CONFLICTS:
        _advisor_slots(sis_server, "Axe overlap", 30, 30.25, booked_by=("student020",))
    page = open_page(user, device, path)
    assert_no_axe_violations(page, f"{path} as {user} ({device})")
    if device == "desktop":
        page.set_viewport_size({"width": 320, "height": 800})
        assert_no_horizontal_scroll(page, 320)


def test_the_dashboard_follows_a_booking_live(open_page, sis_server):
    [slot_id] = _advisor_slots(sis_server, "Live dashboard", 3)
    page = _connected(open_page("advisor", path=HOME))
    card = page.locator(f'[data-slot-id="{slot_id}"]')
    expect(card).to_contain_text("Nobody booked yet.")
    with sis_server.app.app_context(), sis_server.session() as session:
        booking.book(session, actor=_student(sis_server, "student030"), slot_id=slot_id)
        name = session.get(Booking, session.query(Booking).filter_by(
            slot_id=slot_id).one().id).student_key
    expect(card.locator("[data-appt-seats]")).to_have_text("1 of 2")
    expect(card.get_by_role("link")).to_have_count(1)
    assert card.get_by_role("link").get_attribute("href").startswith("/appointments/bookings/")
    expect(page.locator("#appt-live")).to_contain_text("A student booked a slot")
    assert name == sis_server.user_key("student030")


def test_marking_attendance_and_cancelling_a_slot(open_page, sis_server):
    started, later = _advisor_slots(sis_server, "Marked today", -0.25, 4,
                                    booked_by=("student031",))
    page = open_page("advisor", "phone", HOME)
    card = page.locator(f'[data-slot-id="{started}"]')
    card.get_by_role("button", name=re.compile("^No-show")).click()
    expect(page.get_by_text("Marked no-show.")).to_be_visible()
    expect(page.locator(f'[data-slot-id="{started}"] .appt-status')).to_have_text("no-show")
    with sis_server.session() as session:
        assert session.query(Booking).filter_by(slot_id=started).one().status == "no_show"

    later_card = page.locator(f'[data-slot-id="{later}"]')
    later_card.get_by_text("Cancel this slot").click()
    later_card.get_by_role("button", name="Cancel the slot").click()
    expect(page.get_by_text("Say why the slot is cancelled")).to_be_visible()  # in place
    later_card = page.locator(f'[data-slot-id="{later}"]')
    later_card.get_by_label("Reason (told to the students booked)").fill("Advisor away")
    later_card.get_by_role("button", name="Cancel the slot").click()
    expect(page.get_by_text("The slot is cancelled")).to_be_visible()
    expect(page.locator(f'[data-slot-id="{later}"]')).to_have_count(0)


def test_a_conflict_is_kept_with_a_reason(open_page, sis_server):
    first, second = _advisor_slots(sis_server, "Kept overlap", 40, 40.25)
    page = open_page("advisor", path=CONFLICTS)
    item = page.locator(f'[data-conflict="host_overlap:{first},{second}"]')
    expect(item).to_contain_text("A host's slots overlap")
    item.get_by_label("Why keep it").fill("Two desks, two colleagues")
    item.get_by_role("button", name="Keep the conflict").click()
    expect(page.get_by_text("The conflict is kept")).to_be_visible()
    expect(page.locator(f'[data-conflict="host_overlap:{first},{second}"]')).to_have_count(0)


def test_the_conflicts_page_follows_changes_live_and_keeps_what_is_typed(open_page,
                                                                         sis_server):
    first, second = _advisor_slots(sis_server, "Live overlap", 50, 50.25)
    third, fourth = _advisor_slots(sis_server, "Live overlap too", 60, 60.25)
    page = _connected(open_page("advisor", path=CONFLICTS))
    gone = page.locator(f'[data-conflict="host_overlap:{first},{second}"]')
    typed = page.locator(f'[data-conflict="host_overlap:{third},{fourth}"]')
    reason = typed.get_by_label("Why keep it")
    reason.fill("Shared desk")  # typing: a refetch waits until the field is left
    advisor = SisUser(key=sis_server.user_key("advisor"), name="advisor",
                      roles=frozenset({"staff"}))
    with sis_server.app.app_context(), sis_server.session() as session:
        slots.cancel(session, actor=advisor, slot_id=second, reason="Double entry")
    expect(page.locator("#appt-live")).to_contain_text("A slot changed")
    expect(gone).to_have_count(1)  # not refetched while typing
    expect(reason).to_have_value("Shared desk")
    page.get_by_role("heading", name="Conflicts", level=1).click()  # leaves the field
    expect(gone).to_have_count(0)
    expect(page.locator("#appt-live")).to_contain_text("The list of conflicts is up to date.")
    expect(typed).to_have_count(1)


def test_a_stream_of_changes_refetches_the_dashboard_steadily_not_on_every_seat(open_page,
                                                                               sis_server):
    """Registration opening: a change every 100 ms for 4 s. The body is refetched while the
    stream lasts (it is not put off until a quiet moment) and not once per change."""
    page = _connected(open_page("advisor", path=HOME))
    fetched = []
    page.on("request", lambda request: fetched.append(request.url)
            if "fragment=1" in request.url else None)
    page.evaluate("""() => new Promise((done) => {
        let sent = 0;
        const every = window.setInterval(() => {
          document.dispatchEvent(new CustomEvent("appt:booking.created", { detail: {} }));
          if (++sent === 40) { window.clearInterval(every); done(); }
        }, 100);
      })""")
    during = len(fetched)
    assert 2 <= during <= 4, fetched  # 40 changes in 4 s: a refetch every 2 s at most
    expect(page.locator("#appt-live")).to_contain_text("A student booked a slot.")

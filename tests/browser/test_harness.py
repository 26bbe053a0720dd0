"""The harness itself: the live server, its stopped clock, Socket.IO, log-ins, the page clock."""

from __future__ import annotations

import re

from browser.conftest import FIXED_NOW
from playwright.sync_api import expect


def test_the_live_server_serves_the_seeded_sis_with_the_plugin(open_page, sis_server):
    page = open_page("student", path="/portal")
    expect(page.get_by_role("heading", name="Welcome, Sam Student")).to_be_visible()
    page.get_by_role("navigation", name="Portal").get_by_role("link", name="Appointments").click()
    expect(page.get_by_role("heading", name="My appointments")).to_be_visible()
    # Socket.IO is served by the same server: an Engine.IO handshake over polling.
    handshake = page.request.get("/socket.io/?EIO=4&transport=polling")
    assert handshake.ok and handshake.text().startswith("0{"), handshake.text()


def test_the_server_and_the_page_share_one_stopped_clock(open_page, sis_server):
    from sis_appointments.models import Booking

    page = open_page("student", path="/appointments/")
    assert page.evaluate("() => new Date().toISOString()") == FIXED_NOW.isoformat(
        timespec="milliseconds").replace("+00:00", "Z")
    # The seeded bookings were made at the server's stopped clock.
    with sis_server.session() as session:
        made = {b.created_at for b in session.query(Booking)}
    assert made == {FIXED_NOW}


def test_a_wrong_password_is_refused(open_page):
    page = open_page(path="/login")
    page.get_by_label("Username").fill("student")
    page.get_by_label("Password").fill("not-demo")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Unknown username or wrong password.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/login$"))

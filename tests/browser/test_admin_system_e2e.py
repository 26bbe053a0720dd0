"""The system's staff pages in Chromium: axe-core at desktop and phone sizes on the audit log
(an admin's and an advisor's), roles and permissions, and settings (also with errors shown);
and the flows: an admin grants an advisor a colleague's calendar with the keyboard only, and
changes a setting (a refused value first, its error in place)."""

from __future__ import annotations

import re

import pytest
from browser.harness import assert_no_axe_violations, assert_no_horizontal_scroll
from playwright.sync_api import expect
from sqlalchemy import select

from sis_appointments.models import AuditEntry, RoleGrant
from sis_appointments.services.platform import settings

DATABASES = ("sqlite",)  # the pages and flows change nothing the database kind decides
AUDIT, ROLES, SETTINGS = ("/admin/appointments/audit", "/admin/appointments/roles",
                          "/admin/appointments/settings")


@pytest.mark.parametrize("device", ["desktop", "phone"])
@pytest.mark.parametrize("user,path", [("admin", AUDIT), ("advisor", AUDIT), ("admin", ROLES),
                                       ("admin", SETTINGS),
                                       ("admin", AUDIT + "?since=2026-12-02&until=2026-12-01")])
def test_axe_finds_nothing_on_the_system_pages(open_page, user, path, device):
    page = open_page(user, device, path)
    expect(page.locator("h1")).to_be_visible()
    assert_no_axe_violations(page, f"{path} as {user} ({device})")
    if device == "desktop":
        assert_no_horizontal_scroll(page, 320)


def test_an_admin_grants_a_calendar_with_the_keyboard(open_page, sis_server):
    advisor, colleague = sis_server.user_key("advisor"), sis_server.user_key("staff01")
    page = open_page("admin", "desktop", ROLES)
    page.get_by_label("Staff member", exact=True).focus()
    page.keyboard.type("Avery")  # a closed select picks the option typed
    page.keyboard.press("Tab")
    expect(page.get_by_label("Right", exact=True)).to_be_focused()
    page.keyboard.press("Tab")  # "Manage one colleague's calendar" is the first right
    page.keyboard.type("Hana")
    expect(page.get_by_label("Calendar of")).to_have_value(colleague)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Grant", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="The right is granted.")).to_be_visible()
    row = page.locator(f"#person-{advisor}")
    expect(row).to_contain_text("Hana Murphy's calendar")
    assert_no_axe_violations(page, "roles after a grant")
    with sis_server.session() as session:
        grant = session.scalars(select(RoleGrant).where(RoleGrant.user_key == advisor)).one()
        assert (grant.grant, grant.target_key) == ("manage_calendar", colleague)
    # the audit log names it in words, with the people by name
    page.goto(AUDIT + "?entity_type=grant")
    entry = page.locator(".appt-audit-entry").first
    expect(entry).to_contain_text("Right granted")
    expect(entry).to_contain_text("Avery Advisor")
    expect(entry).to_contain_text("Hana Murphy")
    # the advisor's audit log now holds the colleague's calendar, and no grants
    advisor_page = open_page("advisor", "desktop", AUDIT + "?action=grant.given")
    expect(advisor_page.get_by_text("No entries match.")).to_be_visible()
    # revoking is a button per right, reached by its name
    page.goto(ROLES)
    row.get_by_role("button", name="Revoke Hana Murphy's calendar from Avery Advisor").press(
        "Enter")
    expect(page.get_by_role("status").filter(has_text="The right is revoked.")).to_be_visible()


def test_an_admin_changes_a_setting(open_page, sis_server):
    page = open_page("admin", "phone", SETTINGS)
    horizon = page.get_by_label("Booking horizon (days)")
    expect(horizon).to_have_attribute("aria-describedby", "meaning-horizon_days")
    horizon.fill("5000")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved")
    expect(page.locator("#horizon_days-error")).to_have_text(
        "Must be a whole number of days from 1 to 3650.")
    expect(horizon).to_have_attribute("aria-invalid", "true")
    assert_no_axe_violations(page, "settings with an error")
    horizon.fill("200")
    page.get_by_label("Booking created to staff by inapp").uncheck()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status").filter(has_text="Saved: 2 settings changed.")
           ).to_be_visible()
    expect(page.get_by_label("Booking horizon (days)")).to_have_value("200")
    with sis_server.session() as session:
        assert settings.get(session, "horizon_days") == 200
        assert settings.get(session, "notify_staff")["booking_created"] == ["email"]
        changed = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "setting.changed", AuditEntry.entity_id == "horizon_days")).one()
        assert changed.after == {"value": 200}
    page.goto(AUDIT + "?entity_type=setting")
    first = page.locator(".appt-audit-entry").first
    expect(first).to_contain_text("Setting changed")
    expect(first.locator(".appt-audit-changed")).to_have_count(1)
    expect(first.get_by_role("link", name=re.compile("Setting"))).to_have_attribute(
        "href", re.compile(r"/settings#setting-"))

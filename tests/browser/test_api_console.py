"""The staff pages' API page in Chromium: axe-core at desktop and phone sizes (the console
closed, and with operations tried), no sideways scroll at 320 px; the console's groups by
their names, those only admins may call shown only to admins; "Try it out" in the console
works with the staff member's session, a write (POST /tokens, checked in the database and
the audit log) and a read, also under a strict Content-Security-Policy (no inline scripts
or styles); a token created with the page's form is shown once with its copy button;
without JavaScript the page explains and links the document; the old Swagger UI address
leads here."""

from __future__ import annotations

import json
import re

import pytest
from browser.conftest import FIXED_NOW
from browser.harness import assert_no_axe_violations, assert_no_horizontal_scroll
from playwright.sync_api import Page, expect
from sqlalchemy import select

from sis_appointments.models import ApiToken, AuditEntry

DATABASES = ("sqlite",)  # the console calls the same API on either; the flows are the page's
PAGE, API = "/admin/appointments/api", "/api/appointments/v1"
STRICT_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
              "connect-src 'self'")


def open_console(open_page, user: str = "advisor", device: str = "desktop",
                 csp: str | None = None, console: list[str] | None = None) -> Page:
    """The API page with its console loaded (served with ``csp`` as its
    Content-Security-Policy if given; its console messages into ``console``). The page's
    clock starts at FIXED_NOW but runs: Swagger UI resolves an opened operation after a
    debounce (lodash, reading Date.now), which a clock stopped for good never lets fire."""
    page = open_page(user, device)
    page.clock.set_system_time(FIXED_NOW)
    if console is not None:
        page.on("console", lambda message: console.append(message.text))
    if csp:
        def with_csp(route):
            response = route.fetch()
            route.fulfill(response=response, headers={
                **response.headers, "content-security-policy": csp})

        page.route(f"**{PAGE}", with_csp)
    page.goto(PAGE)
    expect(page.locator("#appt-api-console .opblock-tag").first).to_be_visible()
    return page


GROUPS = {"slots": "Slots", "tokens": "API tokens", "me": "You"}  # first segment: group


def operation(page: Page, method: str, path: str):
    """An operation of the console, opened (its group first), with "Try it out" chosen."""
    group = page.locator(f'.opblock-tag[data-tag="{GROUPS[path.split("/")[1]]}"]')
    if group.get_attribute("data-is-open") != "true":
        group.click()
    block = page.locator(f".opblock-{method.lower()}",
                         has=page.locator(f'[data-path="{API}{path}"]'))
    block.locator(".opblock-summary").click()
    block.get_by_role("button", name="Try it out").click()
    return block


def answer(block) -> tuple[int, str]:
    """Execute the operation; the status and body the console shows."""
    block.get_by_role("button", name="Execute").click()
    status = block.locator(".live-responses-table tbody .response-col_status").first
    expect(status).to_have_text(re.compile(r"^\s*\d{3}\s*$"))
    body = block.locator(".live-responses-table .response-col_description pre").first
    return int(status.inner_text().strip()), body.inner_text()


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_axe_finds_nothing_on_the_api_page(open_page, device):
    page = open_console(open_page, "advisor", device)
    expect(page.get_by_role("heading", name="API", exact=True)).to_be_visible()
    expect(page.get_by_text("The console needs JavaScript")).to_be_hidden()
    assert_no_axe_violations(page, f"the API page ({device})")
    # an operation tried, with its request body, answer and example fields shown
    listed = operation(page, "GET", "/slots/{slot_id}")
    listed.get_by_label("slot_id (path)").fill("1")
    status, _ = answer(listed)
    assert status in (200, 404)
    assert_no_axe_violations(page, f"the API page, an operation tried ({device})")
    assert_no_horizontal_scroll(page, 320)


@pytest.mark.parametrize("user", ["advisor", "admin"])
def test_the_console_shows_what_the_viewer_may_call(open_page, user):
    """Groups by their plain-English names; those only admins may call only to admins."""
    page = open_console(open_page, user, "phone")
    groups = page.locator("#appt-api-console .opblock-tag")
    expect(groups.first).to_contain_text("You")
    names = [name.strip() for name in groups.locator("a span").all_inner_texts()]
    assert {"Slots", "Bookings", "API tokens"} <= set(names), names
    admins_only = {"Access grants", "System"}
    assert (admins_only <= set(names)) if user == "admin" else not admins_only & set(names)
    assert not [name for name in names if "_" in name]


def test_try_it_out_writes_and_reads_with_the_session(open_page, sis_server):
    page = open_console(open_page, "advisor", "desktop")
    create = operation(page, "POST", "/tokens")
    create.get_by_label("Request body (JSON)").fill(
        json.dumps({"name": "made in the console", "scope": "read", "expires_in_days": 7}))
    status, body = answer(create)
    assert status == 201, body  # the session and the page's CSRF token were sent
    created = json.loads(body)
    assert created["name"] == "made in the console" and created["token"].startswith("sisappt_")
    advisor = sis_server.user_key("advisor")
    with sis_server.session() as session:
        row = session.scalars(select(ApiToken).where(ApiToken.id == created["id"])).one()
        assert (row.user_key, row.name, row.scopes) == (advisor, "made in the console", "read")
        assert session.scalar(select(AuditEntry.actor_key).where(
            AuditEntry.action == "token.created", AuditEntry.entity_id == str(row.id))) == advisor
    listed = operation(page, "GET", "/tokens")
    status, body = answer(listed)
    assert status == 200 and "made in the console" in body
    assert_no_axe_violations(page, "the API page after a write and a read")
    # the page's own list shows it after a reload
    page.reload()
    expect(page.locator(f"#token-{created['id']}")).to_contain_text("made in the console")


def test_the_console_works_under_a_strict_content_security_policy(open_page):
    messages: list[str] = []
    page = open_console(open_page, "advisor", "desktop", csp=STRICT_CSP, console=messages)
    me = operation(page, "GET", "/me")
    status, body = answer(me)
    assert status == 200 and "Avery Advisor" in body
    create = operation(page, "POST", "/tokens")
    create.get_by_label("Request body (JSON)").fill(json.dumps({"name": "under a CSP"}))
    assert answer(create)[0] == 201
    refused = [text for text in messages if "Content Security Policy" in text]
    assert not refused, refused


def test_a_token_made_with_the_form_is_shown_once_and_revoked(open_page, sis_server):
    page = open_page("advisor", "phone", PAGE)
    page.get_by_label("Name").fill("Timetable sync")
    page.get_by_label("Read and write").check()
    page.get_by_label("Expires after").select_option("30")
    page.get_by_role("button", name="Create the token").click()
    secret = page.get_by_label("Token (read and write")
    expect(secret).to_have_value(re.compile(r"^sisappt_"))
    copy = page.get_by_role("button", name="Copy the token")
    expect(copy).to_be_visible()  # copy.js shows it
    assert_no_axe_violations(page, "the API page with a new token (phone)")
    page.goto(PAGE)
    expect(page.get_by_label("Token (read and write")).to_have_count(0)  # shown only once
    row = page.get_by_role("row", name="Timetable sync")
    expect(row).to_contain_text("Read and write")
    row.get_by_role("button", name="Revoke the token Timetable sync").click()
    expect(page.get_by_role("status").filter(has_text="is revoked")).to_be_visible()
    expect(page.get_by_role("row", name="Timetable sync")).to_contain_text("Revoked")
    assert_no_axe_violations(page, "the API page listing a revoked token (phone)")
    assert_no_horizontal_scroll(page, 320)
    with sis_server.session() as session:
        row = session.scalars(select(ApiToken).where(ApiToken.name == "Timetable sync")).one()
        assert row.revoked_at is not None


def test_without_javascript_the_page_explains_and_links_the_document(open_page):
    page = open_page("advisor", "desktop", PAGE, java_script_enabled=False)
    expect(page.get_by_text("The console needs JavaScript")).to_be_visible()
    link = page.get_by_role("link", name="Download the OpenAPI document (JSON)")
    expect(link).to_have_attribute("href", f"{API}/openapi.json")
    expect(page.locator("#appt-api-console")).to_be_hidden()  # empty: nothing to tab through


def test_the_old_docs_address_leads_to_the_page(open_page):
    page = open_page("advisor", "desktop", f"{API}/docs")
    expect(page).to_have_url(re.compile(f"{PAGE}$"))
    expect(page.get_by_role("heading", name="API", exact=True)).to_be_visible()

"""The plugin's Content-Security-Policy, as the plugin sends it, in Chromium: its main student
and staff pages (the API page's console too) run their scripts, calendars, charts and live
updates without a single violation, and an inline script put into one of them is refused."""

from __future__ import annotations

import pytest
from browser.test_reports_page import QUERY
from playwright.sync_api import Page, expect

DATABASES = ("sqlite",)  # what is checked is the browser's, the same on either database

# Every violation the page reports, gathered from the document's own event.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def watched(page: Page) -> list[str]:
    """Console errors and failed requests of ``page`` from now on (violations show here too)."""
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def open_watched(open_page, user: str, path: str) -> tuple[Page, list[str]]:
    page = open_page(user, "desktop")
    page.add_init_script(RECORD_VIOLATIONS)
    problems = watched(page)
    response = page.goto(path)
    assert response.ok, (path, response.status)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    return page, problems


def assert_clean(page: Page, problems: list[str], where: str) -> None:
    page.wait_for_load_state("networkidle")
    violations = page.evaluate("() => window.__cspViolations")
    assert violations == [], f"{where}: {violations}"
    assert [p for p in problems if "Content Security Policy" in p] == [], where
    assert problems == [], f"{where}: {problems}"


@pytest.mark.parametrize(("user", "path", "ready"), [
    ("student", "/appointments/", "html[data-appt-live=connected]"),
    ("student", "/appointments/book", ".fc"),  # FullCalendar, its injected <style> too
    ("student", "/appointments/me/notifications", "main"),
    ("student", "/appointments/me/preferences", "main"),
    ("advisor", "/admin/appointments/", "html[data-appt-live=connected]"),
    ("advisor", "/admin/appointments/calendar?week=2026-12-14", ".fc"),
    ("advisor", "/admin/appointments/conflicts", "main"),
    ("admin", f"/admin/appointments/reports/usage?{QUERY}", "canvas"),  # Chart.js
    ("admin", "/admin/appointments/batch", "main"),
    ("admin", "/admin/appointments/types", "main"),
    ("advisor", "/admin/appointments/api", "#appt-api-console .opblock-tag"),  # Swagger UI
])
def test_pages_run_under_the_policy_without_violations(open_page, user, path, ready):
    page, problems = open_watched(open_page, user, path)
    expect(page.locator(ready).first).to_be_attached()
    assert_clean(page, problems, path)


def test_an_inline_script_is_refused(open_page):
    page, problems = open_watched(open_page, "student", "/appointments/")
    page.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "window.__injected = true";
        document.body.append(script);
    }""")
    page.wait_for_function("() => window.__cspViolations.length > 0")
    assert page.evaluate("() => window.__injected") is None
    assert page.evaluate("() => window.__cspViolations")[0].startswith("script-src")

"""Smoke test of a running reference SIS: login page, a student's Appointments tab, assets.

Usage: python smoke.py http://127.0.0.1:PORT  (standard library only)
"""

import http.cookiejar
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

base = sys.argv[1].rstrip("/")
opener = urllib.request.build_opener(
    urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
)


def get(path: str) -> str:
    with opener.open(base + path, timeout=10) as response:
        return response.read().decode()


for _ in range(100):
    try:
        login_page = get("/login")
        break
    except (urllib.error.URLError, ConnectionError):
        time.sleep(0.2)
else:
    sys.exit(f"no server at {base}")
assert "<h1>Log in</h1>" in login_page, "login page does not render"
token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
form = urllib.parse.urlencode({"username": "student", "password": "demo", "csrf_token": token})
with opener.open(base + "/login", data=form.encode(), timeout=10) as response:
    portal = response.read().decode()
assert "Welcome, Sam Student" in portal, "seeded student could not log in"
assert re.search(r'<a href="[^"]*/appointments/"[^>]*>Appointments\b', portal), \
    "the student sees no Appointments tab"
assert "My appointments" in get("/appointments/"), "the Appointments page does not render"
assert "FullCalendar" in get("/appointments/static/vendor/fullcalendar.min.js")[:300]
print(f"smoke test passed against {base}: login page, student login, Appointments tab, assets")

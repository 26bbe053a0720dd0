"""axe-core and reflow at 320 CSS px on the pages My appointments adds for one booking:
the cancel confirmation, the reschedule choice and what happened to it, at desktop and
phone sizes (My appointments itself, the profile and the calendar address are in
test_accessibility)."""

from __future__ import annotations

import pytest
from browser.harness import assert_no_axe_violations, assert_no_horizontal_scroll
from browser.test_my_appointments import _book, _slot

DATABASES = ("sqlite",)  # what is checked is the rendered page, the same on both


@pytest.fixture(scope="module")
def pages(sis_server):
    """The pages of one booking of ``student`` (made once per module): name -> path."""
    slot_id = _slot(sis_server, "Page check", hours=108, capacity=2, more=(132, 156, 156.5))
    made = _book(sis_server, "student", slot_id)
    return {"cancel": f"/appointments/bookings/{made}/cancel",
            "reschedule": f"/appointments/bookings/{made}/reschedule",
            "what-happened": f"/appointments/bookings/{made}"}


@pytest.mark.parametrize("device", ["desktop", "phone"])
@pytest.mark.parametrize("name", ["cancel", "reschedule", "what-happened"])
def test_axe_finds_nothing_on_the_booking_pages(open_page, sis_server, pages, name, device):
    page = open_page("student", device, pages[name])
    assert_no_axe_violations(page, f"{name} ({device})")
    if device == "desktop":
        page.set_viewport_size({"width": 320, "height": 800})
        assert_no_horizontal_scroll(page, 320)

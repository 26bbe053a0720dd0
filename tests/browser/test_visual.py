"""Visual baselines (tests/browser/snapshots/): the book page on a desktop and My appointments
on a phone as they look today, and proof that the comparison catches a change.

Re-record after a change that is meant: ``scripts/test tests/browser --update-snapshots``.
"""

from __future__ import annotations

from browser import harness
from browser.harness import assert_matches_snapshot, check_snapshot, compare_images, screenshot
from PIL import Image, ImageDraw
from playwright.sync_api import expect

DATABASES = ("sqlite",)  # what is compared is the rendered page, the same on both


def test_the_book_page_on_a_desktop_looks_as_recorded(open_page, update_snapshots):
    page = open_page("student", "desktop", "/appointments/book")
    expect(page.locator("#appt-calendar .fc-event").first).to_be_visible()  # events fetched
    assert_matches_snapshot(page, "book-desktop", update_snapshots, full_page=False)


def test_my_appointments_on_a_phone_looks_as_recorded(open_page, update_snapshots):
    page = open_page("student", "phone", "/appointments/")
    assert_matches_snapshot(page, "my-appointments-phone", update_snapshots)


def test_a_style_change_is_caught_and_its_diff_written(open_page, tmp_path, monkeypatch):
    monkeypatch.setattr(harness, "DIFFS", tmp_path)
    page = open_page("student", "phone", "/appointments/")
    # A plausible regression: the action buttons lose their borders and the cards' rows
    # their space.
    page.add_style_tag(content=".appt-action { border-color: transparent !important; }"
                               ".appt-bookings td { padding: .6rem 0 !important; }")
    comparison = check_snapshot(screenshot(page), "my-appointments-phone", update=False)
    assert comparison is not None, "the changed page matched the baseline"
    assert comparison.size_changed or comparison.ratio > 0.0005
    assert (tmp_path / "my-appointments-phone.actual.png").exists()
    assert (tmp_path / "my-appointments-phone.expected.png").exists()


def test_the_comparison_tolerates_noise_and_counts_real_changes():
    base = Image.new("RGB", (100, 50), (255, 255, 255))
    ImageDraw.Draw(base).text((5, 5), "Book", fill=(0, 0, 0))
    noisy = base.point(lambda v: max(0, v - 20))  # every pixel a little darker
    assert compare_images(noisy, base).different == 0
    changed = base.copy()
    ImageDraw.Draw(changed).rectangle((60, 10, 69, 19), fill=(200, 0, 0))
    comparison = compare_images(changed, base)
    assert comparison.different == 100 and not comparison.size_changed
    assert comparison.diff.getpixel((65, 15)) == (220, 0, 0)
    assert compare_images(base.crop((0, 0, 100, 40)), base).size_changed

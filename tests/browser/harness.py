"""Helpers of the browser tests: logging in, axe-core, reflow at 320 CSS px, visual baselines.

Fixtures live in tests/browser/conftest.py; these are plain functions over a Playwright page.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
DIFFS = Path(__file__).resolve().parent / "snapshot-diffs"  # gitignored
PASSWORD = "demo"  # every seeded user's (examples/demo_sis seed)

# Screenshots use one font whatever else the machine has (fonts-dejavu-core, which
# scripts/setup installs), and no caret or transition.
STABLE_STYLE = """
*, *::before, *::after { font-family: "DejaVu Sans", sans-serif !important;
  transition: none !important; animation: none !important; caret-color: transparent !important; }
"""


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Log in through the host's login form, as a person would."""
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


# -- accessibility

# WCAG 2.0, 2.1 and 2.2 at levels A and AA (2.2 adds target-size: touch targets of at least
# 24x24 px, which axe leaves out by default), and axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]


def axe_violations(page: Page) -> list[dict]:
    """axe-core's violations on the page as it is now (the rules of AXE_TAGS), each with its
    rule id, impact, what it asks and the nodes' selectors."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol, not added as a <script> element: the
        # plugin's Content-Security-Policy refuses inline scripts, as it should.
        page.evaluate(AXE.read_text())
    return page.evaluate("""async (tags) => {
        const result = await window.axe.run(document, {
            runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
        return result.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            targets: v.nodes.map(n => n.target.join(" ")),
        }));
    }""", AXE_TAGS)


def assert_no_axe_violations(page: Page, where: str = "") -> None:
    """Fail listing every axe-core violation: rule id, impact, what it means, selectors."""
    violations = axe_violations(page)
    if violations:
        lines = [f"axe-core found {len(violations)} violation(s) on {where or page.url}:"]
        for v in violations:
            shown = ", ".join(v["targets"][:5]) + (" ..." if len(v["targets"]) > 5 else "")
            lines.append(f"  {v['id']} [{v['impact']}] {v['help']}: {shown}")
        pytest.fail("\n".join(lines), pytrace=False)


def assert_no_horizontal_scroll(page: Page, width: int = 320) -> None:
    """WCAG 1.4.10 reflow: at ``width`` CSS px nothing makes the page scroll sideways.
    Fails naming the elements that stick out on the right."""
    page.set_viewport_size({"width": width, "height": 800})
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    if scroll_width > width:
        wide = page.evaluate("""(width) => [...document.querySelectorAll("body *")]
            .filter(e => e.getBoundingClientRect().right > width + 0.5)
            .map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
                 + (e.className && typeof e.className === "string"
                    ? "." + e.className.trim().split(/\\s+/).join(".") : "")
                 + " (" + Math.round(e.getBoundingClientRect().right) + " px)")
            .slice(0, 12)""", width)
        pytest.fail(f"{page.url} is {scroll_width} CSS px wide at a {width} px viewport; "
                    f"sticking out: {', '.join(wide)}", pytrace=False)


# -- visual baselines

@dataclass
class Comparison:
    """The outcome of comparing a screenshot with its baseline."""

    different: int  # pixels past the per-pixel tolerance (all of them if the sizes differ)
    total: int
    size_changed: bool
    diff: Image.Image | None  # the baseline greyed, differing pixels in red

    @property
    def ratio(self) -> float:
        return self.different / self.total if self.total else 0.0


def compare_images(actual: Image.Image, expected: Image.Image, tolerance: int = 32) -> Comparison:
    """Pixels whose red, green or blue value differs by more than ``tolerance`` (of 255)
    count as different; anti-aliasing noise stays below it."""
    actual, expected = actual.convert("RGB"), expected.convert("RGB")
    if actual.size != expected.size:
        total = max(actual.size[0] * actual.size[1], expected.size[0] * expected.size[1])
        return Comparison(total, total, True, None)
    red, green, blue = ImageChops.difference(actual, expected).split()
    largest = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    mask = largest.point(lambda v: 255 if v > tolerance else 0)
    different = mask.histogram()[255]
    faded = Image.blend(expected.convert("L").convert("RGB"),
                        Image.new("RGB", expected.size, "white"), 0.6)
    faded.paste(Image.new("RGB", expected.size, (220, 0, 0)), mask=mask)
    return Comparison(different, actual.size[0] * actual.size[1], False, faded)


def screenshot(page: Page, full_page: bool = True) -> Image.Image:
    """The page in one font, without caret or animations, one pixel per CSS pixel."""
    page.add_style_tag(content=STABLE_STYLE)
    page.evaluate("() => document.fonts.ready.then(() => true)")
    # two frames: the new font laid out and painted before the picture is taken
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    png = page.screenshot(full_page=full_page, animations="disabled", caret="hide", scale="css")
    return Image.open(io.BytesIO(png))


def check_snapshot(image: Image.Image, name: str, update: bool,
                   max_ratio: float = 0.0005) -> Comparison | None:
    """Compare ``image`` with tests/browser/snapshots/NAME.png: None when it matches (or was
    recorded, with ``update``); else the comparison, its images written to snapshot-diffs/."""
    baseline = SNAPSHOTS / f"{name}.png"
    if update:
        SNAPSHOTS.mkdir(exist_ok=True)
        image.save(baseline, optimize=True)
        return None
    if not baseline.exists():
        pytest.fail(f"no baseline {baseline.relative_to(ROOT)}: record it with "
                    "`scripts/test tests/browser --update-snapshots`", pytrace=False)
    comparison = compare_images(image, Image.open(baseline))
    if comparison.size_changed or comparison.ratio > max_ratio:
        DIFFS.mkdir(exist_ok=True)
        image.save(DIFFS / f"{name}.actual.png")
        Image.open(baseline).save(DIFFS / f"{name}.expected.png")
        if comparison.diff is not None:
            comparison.diff.save(DIFFS / f"{name}.diff.png")
        return comparison
    return None


def assert_matches_snapshot(page: Page, name: str, update: bool, full_page: bool = True) -> None:
    """Fail when the page looks different from its baseline; see check_snapshot."""
    comparison = check_snapshot(screenshot(page, full_page), name, update)
    if comparison is not None:
        what = ("its size changed" if comparison.size_changed
                else f"{comparison.different} pixels ({comparison.ratio:.3%}) differ")
        pytest.fail(f"screenshot {name!r} does not match its baseline: {what}; see "
                    f"{DIFFS.relative_to(ROOT)}/{name}.{{actual,expected,diff}}.png, or "
                    "re-record with --update-snapshots if the change is meant", pytrace=False)

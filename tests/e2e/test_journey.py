"""The whole journey in a real browser (Debian's chromium, headless, driven by Playwright; nothing is
downloaded): from the demo upstream site's "Get the components" button, through the terminal, to a
completed order, on a phone-sized screen. A screenshot of each step goes to tests/artifacts/journey/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import ViewportSize

from tests.e2e.running import kitting_up

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "journey"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE: ViewportSize = {"width": 375, "height": 740}
STEP_TIMEOUT_MS = 90_000

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: `make install` installs Debian's chromium"
)


def test_from_the_demo_sites_button_to_a_completed_order(tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    shots: list[Path] = []

    def shot(page: Page, name: str) -> None:
        path = ARTIFACTS / f"{len(shots) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        shots.append(path)

    with kitting_up(tmp_path) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport=PHONE)
            page.set_default_timeout(STEP_TIMEOUT_MS)
            expect.set_options(timeout=STEP_TIMEOUT_MS)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))

            page.goto(f"{base}/demo-site/lentil-curry")
            button = page.get_by_role("button", name=re.compile("Get the components", re.I))
            expect(button).to_be_visible()
            shot(page, "upstream-page")
            button.click()

            page.wait_for_url(re.compile(r"/terminal/\?basket="))
            boxes = page.locator('[data-testid^="component-"]')
            expect(boxes.first).to_be_visible()
            assert boxes.count() >= 5
            shot(page, "components")
            boxes.first.uncheck()  # the person has it already
            page.locator("#priority-cheapest").check()
            page.locator("#save-profile").click()
            page.locator("#contact-name").fill("Robin Reader")
            page.locator("#contact-address").fill("2 Page Lane, Sampletown")
            page.locator("#contact-phone").fill("+44 20 0000 0000")
            page.locator('input[name="delivery"][value="courier"]').check()
            page.locator('input[name="payment"][value="electronic"]').check()
            shot(page, "choices")
            page.locator("#ask-quotes").click()

            expect(page.locator('[data-testid^="offer-"]').first).to_be_visible()
            shot(page, "offers")
            expect(page.locator("#confirm-selection")).to_be_visible()
            expect(page.locator("#proposal")).to_contain_text("\u00d7")  # amounts in the shops' packs
            shot(page, "proposal")
            page.locator("#confirm-selection").click()

            expect(page.locator("#done")).to_be_visible()
            expect(page.locator("#timeline")).to_contain_text("delivered")
            shot(page, "completed")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"the terminal scrolls sideways on a phone ({width}px wide)"
            assert errors == [], errors
        finally:
            browser.close()
    assert [s.name for s in shots] == [
        "01-upstream-page.png", "02-components.png", "03-choices.png", "04-offers.png", "05-proposal.png",
        "06-completed.png",
    ]  # fmt: skip
    assert all(s.stat().st_size > 5_000 for s in shots)

"""A newcomer's path in a real browser (Debian's chromium, headless), on a desktop and on a phone: from
Kitting's bare address to a completed kit, meeting on the way every mistake a person makes: no address,
"hello" as an address, a site that does not exist, an empty contact form, a wrong e-mail address and
phone number, a shop named that does not exist; the timeline at the end reads in words, and a DIY
guide offers only the regions where a shop sells its kit. Each error must
be shown beside its cause (the field, or the page's address), with the focus on the field to fix; no
page error and no sideways scroll at any step. A screenshot of each step
goes to tests/artifacts/newcomer/<width>/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import ViewportSize

from tests.e2e.running import kitting_up
from tests.e2e.test_journey import CHROMIUM, LAUNCH_ARGS, PHONE, STEP_TIMEOUT_MS

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "newcomer"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: `make install` installs Debian's chromium"
)


@pytest.fixture(scope="module")
def kitting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with kitting_up(tmp_path_factory.mktemp("newcomer")) as base:
        yield base


def error_beside(page: Any, field: str, says: str) -> None:
    """The field's error is in the field's own block, names the problem, and the field has the focus."""
    from playwright.sync_api import expect

    note = page.locator(f"#{field}-error")
    expect(note).to_be_visible()
    expect(note).to_contain_text(re.compile(says, re.I))
    assert page.evaluate(
        f"document.getElementById('{field}-error').closest('.field') === "
        f"document.getElementById('{field}').closest('.field')"
    ), f"the error of {field} is not beside it"
    assert page.locator(f"#{field}").get_attribute("aria-invalid") == "true"
    described = (page.locator(f"#{field}").get_attribute("aria-describedby") or "").split()
    assert f"{field}-error" in described, f"a screen reader does not read the error of {field}"


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_newcomer_reaches_a_completed_kit_past_every_mistake(kitting: str, size: ViewportSize) -> None:
    from playwright.sync_api import Page, expect, sync_playwright

    folder = ARTIFACTS / f"{size['width']}px"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    shots: list[str] = []
    errors: list[str] = []

    def shot(page: Page, name: str) -> None:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size["width"], f"{name}: the page scrolls sideways ({width}px on {size['width']}px)"
        page.screenshot(path=str(folder / f"{len(shots) + 1:02d}-{name}.png"), full_page=True)
        shots.append(name)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport=size)
            page.set_default_timeout(STEP_TIMEOUT_MS)
            expect.set_options(timeout=STEP_TIMEOUT_MS)
            page.on("pageerror", lambda exc: errors.append(str(exc)))

            page.goto(f"{kitting}/")  # the bare address: the terminal
            expect(page).to_have_url(re.compile(r"/terminal/$"))
            expect(page.locator("#open-url")).to_be_visible()
            shot(page, "front-door")

            page.locator("#open-submit").click()  # no address at all
            error_beside(page, "open-url", "enter the address")
            assert page.evaluate("document.activeElement.id") == "open-url"
            shot(page, "no-address")

            page.locator("#open-url").fill("hello")  # not an address
            page.locator("#open-submit").click()
            error_beside(page, "open-url", "full address")
            expect(page.locator("#error")).to_be_hidden()
            shot(page, "not-an-address")

            page.locator("#open-url").fill("https://no-such-site.invalid/recipes/soup")
            page.locator("#open-submit").click()  # a site that does not exist: said once, in words
            reason = page.locator("#no-components")
            expect(reason).to_be_visible()
            expect(reason).to_contain_text("no site of that name")
            text = page.locator("main").inner_text()
            assert text.count("no site of that name") == 1, text
            assert not re.search(r"Errno|Exception|Traceback|basket-|\bc\d+\b", text), text
            shot(page, "no-such-site")

            page.goto(f"{kitting}/demo-site/")  # the demo site's home, then a recipe on it
            page.get_by_role("link", name="Red lentil curry").click()
            expect(page.get_by_role("listitem").filter(has_text="red lentils").first).to_be_visible()
            shot(page, "demo-recipe")
            page.get_by_role("button", name=re.compile("Get the components", re.I)).click()
            page.wait_for_url(re.compile(r"/terminal/\?basket="))
            expect(page.locator('[data-testid^="component-"]').first).to_be_visible()
            shot(page, "components")

            page.locator("#ask-quotes").click()  # the contact form left empty
            error_beside(page, "contact-name", "your name")
            error_beside(page, "contact-address", "street address")
            error_beside(page, "contact-phone", "phone number")
            assert page.evaluate("document.activeElement.id") == "contact-name"
            shot(page, "empty-contact")

            page.locator("#contact-name").fill("Robin Reader")
            page.locator("#contact-address").fill("2 Page Lane, Sampletown")
            page.locator("#contact-phone").fill("abc")
            page.locator("#contact-email").fill("not-an-email")
            page.locator("#ask-quotes").click()  # checked by the server, shown beside each field
            error_beside(page, "contact-phone", "not a phone number")
            error_beside(page, "contact-email", "not an e-mail address")
            expect(page.locator("#contact-name-error")).to_have_count(0)
            shot(page, "wrong-contact")

            page.locator("#contact-phone").fill("020 7946 0018")
            page.locator("#contact-email").fill("robin@example.org")
            page.locator("#preferred-shops").fill("Nope Shop")  # a shop that does not exist, by name
            page.locator("#ask-quotes").click()
            error_beside(page, "preferred-shops", "no shop is called “Nope Shop”.*Corner Grocer")
            shot(page, "unknown-shop")

            page.locator("#preferred-shops").fill("corner grocer")  # its name, as the person writes it
            page.locator("#ask-quotes").click()
            expect(page.locator("#confirm-selection")).to_be_visible()
            expect(page.locator(".field-error")).to_have_count(0)
            shot(page, "proposal")
            page.locator("#confirm-selection").click()
            expect(page.locator("#done")).to_be_visible()
            expect(page.locator("#done")).to_contain_text("Your kit is")
            timeline = page.locator("#timeline")
            expect(timeline).to_contain_text(re.compile(r"confirmed your order"))
            words = timeline.inner_text()
            assert not re.search(r"→|attempt \d|cash-due|recording|T\d\d:\d\d:\d\d", words), words
            assert not re.search(r"\b[a-z]+-[a-z]+\b", words), f"a party by its id, not its name: {words}"
            shot(page, "completed")

            page.goto(f"{kitting}/demo-site/hang-a-shelf")  # a DIY guide: no hardware shop in the north
            page.get_by_role("button", name=re.compile("Get the components", re.I)).click()
            page.wait_for_url(re.compile(r"/terminal/\?basket="))
            expect(page.locator('[data-testid^="component-"]').first).to_be_visible()
            regions = page.locator("#contact-region option")
            expect(regions).to_have_count(1)
            assert regions.all_inner_texts() == ["default"]
            shot(page, "diy-regions")
        finally:
            browser.close()
    assert errors == [], errors
    assert len(shots) == 12 and all(p.stat().st_size > 5_000 for p in folder.glob("*.png"))

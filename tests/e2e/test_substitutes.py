"""The terminal around the kit in a real browser (Debian's chromium, headless, driven by Playwright;
nothing is downloaded), on a phone-sized screen: a page with one line that no shop sells exactly
(black cocoa powder, for which plain cocoa is a substitute). With the default policy (ask) the proposal
shows the substitute with its reason and an unticked consent; not ticking it leaves the line out of
every order and the kit incomplete, ticking it orders it. A failed basket is tried again with the
choices made before already filled in. Screenshots go to tests/artifacts/substitutes/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import ViewportSize

from agents.reference.profiles import REFERENCE_SHOPS
from tests.e2e.running import kitting_up

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "substitutes"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE: ViewportSize = {"width": 375, "height": 740}
STEP_TIMEOUT_MS = 90_000
PAGE = "black-cocoa-pancakes"  # flour, eggs, milk: sold exactly; black cocoa powder: a substitute only
GROCERS = ["corner-grocer", "discount-depot", "fresh-express", "market-hall", "north-pantry"]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: `make install` installs Debian's chromium"
)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    with kitting_up(tmp_path_factory.mktemp("kitting")) as url:
        yield url


@pytest.fixture(scope="module")
def browser(base: str) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    from playwright.sync_api import expect

    context = browser.new_context(viewport=PHONE)
    opened = context.new_page()
    opened.set_default_timeout(STEP_TIMEOUT_MS)
    expect.set_options(timeout=STEP_TIMEOUT_MS)
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    opened.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    try:
        yield opened
        width = opened.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the terminal scrolls sideways on a phone ({width}px wide)"
        assert errors == [], errors
    finally:
        context.close()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def snapshot(base: str, page: Page) -> dict[str, Any]:
    """The terminal's own snapshot of the basket the page follows (its id and token are in the URL)."""
    query = parse_qs(urlparse(page.url).query)
    basket, token = query["basket"][0], query["token"][0]
    answer = httpx.get(f"{base}/v1/terminal/baskets/{basket}", params={"token": token}, timeout=10)
    assert answer.status_code == 200, answer.text
    state: dict[str, Any] = answer.json()
    return state


def open_the_page(base: str, page: Page) -> str:
    """Open the demo page from the terminal; the line id of its black cocoa powder."""
    from playwright.sync_api import expect

    page.goto(f"{base}/terminal/")
    page.get_by_test_id(f"demo-{PAGE}").click()
    page.wait_for_url(re.compile(r"/terminal/\?basket="))
    expect(page.locator('[data-testid^="component-"]').first).to_be_visible()
    components = snapshot(base, page)["method"]["components"]
    return next(c["line_id"] for c in components if "cocoa" in c["name"])


def fill_contact(page: Page) -> None:
    page.locator("#contact-name").fill("Robin Reader")
    page.locator("#contact-address").fill("2 Page Lane, Sampletown")
    page.locator("#contact-phone").fill("+44 20 0000 0000")


def ask_for_the_proposal(page: Page, cocoa: str) -> None:
    """Ask with the default policy; the proposal shows the substitute, its reason, an unticked box."""
    from playwright.sync_api import expect

    expect(page.locator("#substitutes-ask")).to_be_checked()  # the default policy
    fill_contact(page)
    page.locator("#ask-quotes").click()
    expect(page.locator("#confirm-selection")).to_be_visible()
    expect(page.locator("#proposal-coverage")).to_have_text(
        re.compile(r"^4 of 4 items, 1 of them a substitute")
    )
    line = page.get_by_test_id(f"line-{cocoa}")
    expect(line).to_contain_text("Substitute")
    expect(page.get_by_test_id(f"reason-{cocoa}")).to_contain_text("not said to be black")
    expect(page.get_by_test_id(f"accept-{cocoa}")).not_to_be_checked()
    expect(page.locator("#proposal-total")).to_contain_text(re.compile(r"Goods .+ \+ delivery .+ = total"))


def test_a_substitute_not_accepted_is_not_ordered_and_the_kit_says_what_is_missing(
    base: str, page: Page
) -> None:
    from playwright.sync_api import expect

    cocoa = open_the_page(base, page)
    amount = page.locator(f'.qty[data-line="{cocoa}"]')
    expect(amount).to_have_text("2 tbsp ")
    page.locator("#servings").fill("16")  # the page makes 8: every quantity doubles
    expect(amount).to_have_text("4 tbsp ")
    expect(page.locator("#servings-note")).to_contain_text("16 servings")
    page.locator("#servings").fill("8")
    expect(amount).to_have_text("2 tbsp ")
    ask_for_the_proposal(page, cocoa)
    shot(page, "01-proposal")
    page.locator("#confirm-selection").click()  # without accepting the substitute

    expect(page.locator("#done")).to_be_visible()
    expect(page.locator("#done")).to_contain_text("3 of 4 items")
    expect(page.get_by_test_id(f"missing-{cocoa}")).to_contain_text("black cocoa powder")
    expect(page.get_by_test_id(f"missing-{cocoa}")).to_contain_text("Buy it elsewhere")
    expect(page.locator(".order").first).to_contain_text("Goods")
    shot(page, "02-incomplete")
    state = snapshot(base, page)
    assert state["basket"]["status"] == "completed-partially", state["basket"]
    items = [item["line_id"] for order in state["orders"] for item in order["items"]]
    assert cocoa not in items and len(items) == 3
    assert [m["line_id"] for m in state["basket"]["missing"]] == [cocoa]
    assert page.locator(f'[data-testid="item-{cocoa}"]').count() == 0
    expect(page.locator('[data-testid^="item-"]')).to_have_count(3)


def test_a_substitute_accepted_is_ordered(base: str, page: Page) -> None:
    from playwright.sync_api import expect

    cocoa = open_the_page(base, page)
    ask_for_the_proposal(page, cocoa)
    page.get_by_test_id(f"accept-{cocoa}").check()
    page.locator("#confirm-selection").click()

    expect(page.locator("#done")).to_be_visible()
    expect(page.locator("#done")).to_contain_text("Your kit is complete")
    expect(page.get_by_test_id(f"item-{cocoa}")).to_contain_text("Substitute")
    shot(page, "03-accepted")
    state = snapshot(base, page)
    assert state["basket"]["status"] == "completed" and state["basket"]["missing"] == []
    ordered = {item["line_id"]: item for order in state["orders"] for item in order["items"]}
    assert ordered[cocoa]["substitute"]


def test_a_failed_basket_is_tried_again_with_the_choices_filled_in(base: str, page: Page) -> None:
    from playwright.sync_api import expect

    cocoa = open_the_page(base, page)
    page.locator("#servings").fill("16")
    page.locator("#substitutes-never").check()
    page.locator("#excluded-shops").fill(", ".join(GROCERS))  # nobody left to ask: the basket fails
    page.locator('input[name="delivery"][value="pickup"]').check()
    page.locator('input[name="payment"][value="pay-at-pickup"]').check()
    page.get_by_test_id(f"component-{cocoa}").uncheck()
    fill_contact(page)
    page.locator("#ask-quotes").click()
    expect(page.locator("#failed")).to_be_visible()
    failed = snapshot(base, page)["basket"]["basket_id"]
    page.locator("#retry").click()
    expect(page.locator("#retrying")).to_be_visible()
    page.reload()  # what is filled in comes from Kitting, not from the fields typed before

    expect(page.locator("#retrying")).to_be_visible()
    expect(page.get_by_test_id(f"component-{cocoa}")).not_to_be_checked()
    expect(page.locator("#servings")).to_have_value("16")
    expect(page.locator(f'.qty[data-line="{cocoa}"]')).to_have_text("4 tbsp ")
    expect(page.locator("#substitutes-never")).to_be_checked()
    names = {shop.provider_id: shop.name for shop in REFERENCE_SHOPS}  # the shops are shown by name
    expect(page.locator("#excluded-shops")).to_have_value(", ".join(names[shop] for shop in GROCERS))
    expect(page.locator('input[name="delivery"][value="pickup"]')).to_be_checked()
    expect(page.locator('input[name="payment"][value="pay-at-pickup"]')).to_be_checked()
    expect(page.locator("#contact-kept")).to_be_visible()
    expect(page.locator("#contact-name")).to_have_value("")  # the details stay in the vault
    shot(page, "04-retry")
    state = snapshot(base, page)
    assert state["basket"]["retry_of"] == failed and state["method"]["title"] == "Black cocoa pancakes"

    page.locator("#excluded-shops").fill("")  # the other choice; the contact is the one kept
    page.locator("#ask-quotes").click()
    expect(page.locator("#confirm-selection")).to_be_visible()
    expect(page.locator("#proposal-coverage")).to_have_text(re.compile(r"^3 of 3 items"))
    page.locator("#confirm-selection").click()
    expect(page.locator("#done")).to_be_visible()
    expect(page.locator("#done")).to_contain_text("Your kit is complete")
    assert snapshot(base, page)["basket"]["status"] == "completed"

"""The snippet in a real browser (Debian's chromium, headless; the upstream site and Kitting are served
by Playwright's request routing, so nothing leaves the machine): it sends nothing until the person
presses the button, and then the method's structured data and lists but nothing else of the page: not
the signed-in visitor's name, not a comment, not the #fragment of the address."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from agents.extraction.extract import extract_method
from tests.e2e.test_journey import CHROMIUM, LAUNCH_ARGS

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: `make install` installs Debian's chromium"
)
CANARY = "Signed in as Canary Visitor, canary@example.org"
SITE = "https://recipes.example/lentil-curry"
KITTING = "https://kitting.example/"


def page_with_snippet(name: str) -> str:
    html = resources.files("agents.http").joinpath("demo_pages", f"{name}.html").read_text(encoding="utf-8")
    account = f'<nav class="account">{CANARY}</nav>'
    comment = '<section class="comments"><p>Canary comment: my card ends 4242</p></section>'
    tag = f'<script src="{KITTING}snippet.js" data-site-key="ks_test" async></script>'
    # beside the method's own list: a field the visitor typed into, a panel of theirs, an attribute
    typed = '<input type="email" name="email" value="Canary Visitor <canary@example.org>">'
    panel = '<div class="user-panel">Canary Visitor: 3 saved recipes</div>'
    html = html.replace("<ul>", f'{typed}{panel}<ul data-visitor="Canary Visitor">', 1)
    html = re.sub(r"<body([^>]*)>", lambda m: f"<body{m.group(1)}>{account}", html, count=1)
    return html.replace("</body>", f"{comment}{tag}</body>", 1)


@pytest.mark.parametrize("name", ["lentil-curry", "hang-a-shelf"])
def test_the_snippet_sends_only_the_method_and_only_when_asked(name: str) -> None:
    from playwright.sync_api import Route, expect, sync_playwright

    snippet = resources.files("agents.http").joinpath("static", "snippet.js").read_bytes()
    posted: list[dict[str, Any]] = []

    def serve(route: Route) -> None:
        url = route.request.url
        if url.startswith(SITE):
            route.fulfill(status=200, content_type="text/html", body=page_with_snippet(name))
        elif url == f"{KITTING}snippet.js":
            route.fulfill(status=200, content_type="text/javascript", body=snippet)
        elif url == f"{KITTING}v1/collect/browse" and route.request.method == "POST":
            posted.append(json.loads(route.request.post_data or "{}"))
            answer = {"basket_id": "b-1", "terminal_url": "/terminal/?basket=b-1&token=t"}
            route.fulfill(status=202, content_type="application/json", body=json.dumps(answer))
        elif url.startswith(f"{KITTING}v1/collect/browse"):  # the CORS preflight
            route.fulfill(status=204, headers={
                "Access-Control-Allow-Origin": "https://recipes.example",
                "Access-Control-Allow-Methods": "POST", "Access-Control-Allow-Headers": "*",
            })  # fmt: skip
        elif url.startswith(f"{KITTING}terminal/"):
            route.fulfill(status=200, content_type="text/html", body="<h1>Terminal</h1>")
        else:
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", serve)
            page.goto(f"{SITE}#step-3")
            button = page.get_by_role("button", name="Get the components of this method from Kitting")
            expect(button).to_be_visible()
            page.wait_for_timeout(500)
            assert posted == []  # a page view alone sends nothing
            button.click()
            page.wait_for_url(f"{KITTING}terminal/**")
        finally:
            browser.close()
    [sent] = posted
    assert sent["url"] == SITE  # no fragment
    text = json.dumps(sent)
    assert "Canary" not in text and "4242" not in text and "account" not in text
    components = extract_method(sent["html"], sent["url"]).components
    whole = extract_method(page_with_snippet(name), SITE).components
    assert [c.name for c in components] == [c.name for c in whole] and len(components) >= 3


SHARED_PAGES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "pages"


def test_on_real_pages_the_method_sent_reads_as_the_whole_page() -> None:
    """Real recipe pages (../shared/data/pages, every seventh): the components read from what the
    snippet sends are the components read from the whole page."""
    from playwright.sync_api import sync_playwright

    if not SHARED_PAGES.is_dir():
        pytest.skip(f"{SHARED_PAGES} is absent: the real pages are not here")
    pages = sorted(SHARED_PAGES.glob("*/*.testhtml"))[::7]
    snippet = resources.files("agents.http").joinpath("static", "snippet.js").read_bytes()
    tag = f'<script src="{KITTING}snippet.js" data-site-key="ks_test"></script>'
    same, differ = 0, []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            for path in pages:
                whole_html = path.read_text(encoding="utf-8", errors="replace")
                served = re.sub(
                    r"<script\b(?![^>]*ld\+json)[^>]*>.*?</script>", "", whole_html, flags=re.S | re.I
                )
                served = served + tag
                posted: list[dict[str, Any]] = []

                serve = _site_and_kitting(served, snippet, posted)

                page = browser.new_page()
                page.route("**/*", serve)
                page.goto(SITE, wait_until="domcontentloaded")
                page.evaluate("window.Kitting && window.Kitting.send().catch(() => null)")
                page.wait_for_timeout(300)
                page.close()
                whole = [c.name for c in extract_method(whole_html, SITE).components]
                sent = posted[0].get("html") if posted else None
                reduced = [c.name for c in extract_method(sent, SITE).components] if sent else []
                if reduced == whole:
                    same += 1
                else:
                    differ.append(f"{path.parent.name}: {len(reduced)} of {len(whole)}")
        finally:
            browser.close()
    assert same >= 0.9 * len(pages), differ


def _site_and_kitting(served: str, snippet: bytes, posted: list[dict[str, Any]]) -> Any:
    from playwright.sync_api import Route

    def serve(route: Route) -> None:
        url = route.request.url
        if url.startswith(SITE):
            route.fulfill(status=200, content_type="text/html", body=served)
        elif url == f"{KITTING}snippet.js":
            route.fulfill(status=200, content_type="text/javascript", body=snippet)
        elif url == f"{KITTING}v1/collect/browse" and route.request.method == "POST":
            posted.append(json.loads(route.request.post_data or "{}"))
            route.fulfill(status=500, body="")
        else:
            route.abort()

    return serve

"""What a newcomer meets first, and what an API client builds on: Kitting's address leads to the
terminal, the demo site has a home and pages that show their recipe or guide, the API documentation
works offline, a page's address and a person's contact details are checked with reasons beside each
field, a new basket answers its terminal link, and a basket read by API shows its components, proposal
and orders."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from streams.persistence import Database
from tests.unit.http.test_terminal import Terminal, quote_body


@pytest.fixture
def terminal(database: Database) -> Iterator[Terminal]:
    terminal = Terminal(database)
    with terminal.client:
        yield terminal


def test_kittings_address_leads_to_the_terminal(terminal: Terminal) -> None:
    answer = terminal.client.get("/", follow_redirects=False)
    assert answer.status_code in (302, 307) and answer.headers["location"] == "/terminal/"
    assert "terminal.js" in terminal.client.get("/").text


def test_the_demo_site_has_a_home_and_its_pages_show_their_method(terminal: Terminal) -> None:
    home = terminal.client.get("/demo-site/")
    assert home.status_code == 200
    assert len(re.findall(r'<a href="http://testserver/demo-site/[a-z-]+">', home.text)) >= 5
    pancakes = terminal.client.get("/demo-site/black-cocoa-pancakes").text  # its list is in JSON-LD alone
    visible = re.sub(r"<script.*?</script>", "", pancakes, flags=re.S)
    assert "<li>250 g plain flour</li>" in visible and "Rest the batter" in visible
    assert 'name="viewport"' in pancakes


def test_the_api_documentation_loads_nothing_from_elsewhere(terminal: Terminal) -> None:
    docs = terminal.client.get("/docs").text
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs) + re.findall(r"url: '([^']+)'", docs)
    assert assets and all(a.startswith("/") for a in assets), assets
    assert all(terminal.client.get(a).status_code == 200 for a in assets if a.startswith("/static"))


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("email", "not-an-email", "not an e-mail address"),
        ("phone", "abc", "not a phone number"),
        ("phone", "12", "cannot be dialled"),
    ],
)
def test_contact_details_are_checked_with_the_reason_beside_the_field(
    terminal: Terminal, field: str, value: str, says: str
) -> None:
    basket, token = terminal.open("lentil-curry")
    contact = {**quote_body([])["contact"], field: value}
    answer = terminal.post(basket, token, "quote", quote_body([], contact=contact))
    assert answer.status_code == 422
    [error] = answer.json()["detail"]
    assert error["loc"] == ["body", "contact", field] and says in error["msg"]
    assert terminal.publisher.sent == []


def test_a_good_phone_number_is_kept_in_its_international_form(terminal: Terminal) -> None:
    basket, token = terminal.open("lentil-curry")
    contact = {**quote_body([])["contact"], "phone": "020 7946 0018", "email": "Robin@Example.org"}
    assert terminal.post(basket, token, "quote", quote_body([], contact=contact)).status_code == 202


def test_an_address_that_is_no_page_is_refused_with_the_reason(terminal: Terminal) -> None:
    for path in ("/v1/baskets", "/v1/terminal/open"):
        answer = terminal.client.post(path, json={"url": "hello"})
        assert answer.status_code == 422, path
        assert "full address" in answer.json()["detail"][0]["msg"]
    assert terminal.publisher.sent == []


def test_an_api_basket_answers_its_terminal_link_and_reads_whole(terminal: Terminal) -> None:
    page = terminal.client.get("/demo-site/lentil-curry").text
    started = terminal.client.post("/v1/baskets", json={"url": "https://recipes.example/curry", "html": page})
    assert started.status_code == 202
    answer = started.json()
    link = urlsplit(answer["terminal_url"])
    assert link.path == "/terminal/"
    assert parse_qs(link.query) == {"basket": [answer["basket_id"]], "token": [answer["token"]]}
    terminal.deliver()
    basket, token = answer["basket_id"], answer["token"]
    view = terminal.client.get(f"/v1/baskets/{basket}", params={"token": token}).json()
    assert view["status"] == "extracted" and view["proposal"] is None and view["orders"] == []
    names = [c["name"] for c in view["components"]]
    assert "red lentils" in names and len(names) >= 5

    assert terminal.post(basket, token, "quote", quote_body([])).status_code == 202
    terminal.deliver()
    view = terminal.client.get(f"/v1/baskets/{basket}", params={"token": token}).json()
    assert view["proposal"]["proposed"] and not view["proposal"]["confirmed"]
    assert view["coverage"]["asked"] == len(names) and view["coverage"]["covered"] >= 1
    chosen = {"request_id": view["proposal"]["request_id"]}
    assert terminal.post(basket, token, "selection", chosen).status_code == 202
    terminal.deliver()
    view = terminal.client.get(f"/v1/baskets/{basket}", params={"token": token}).json()
    assert view["proposal"]["confirmed"] and view["status"].startswith("completed")
    assert view["orders"] and all(order["items"] for order in view["orders"])


def test_a_region_where_no_shop_sells_the_kit_is_refused_beside_the_region(terminal: Terminal) -> None:
    """No hardware shop serves "north": a DIY guide's kit cannot go there, and the person hears it before
    the basket is started (not as a failed basket after giving their details)."""
    basket, token = terminal.open("hang-a-shelf")
    answer = terminal.post(basket, token, "quote", quote_body([], region="north"))
    assert answer.status_code == 422
    [error] = answer.json()["detail"]
    assert error["loc"] == ["body", "region"] and "no shop delivers" in error["msg"]
    assert terminal.publisher.sent == []
    grocery, grocery_token = terminal.open("lentil-curry")  # groceries are sold in the north
    assert terminal.post(grocery, grocery_token, "quote", quote_body([], region="north")).status_code == 202


def test_only_regions_where_a_shop_sells_the_kit_are_offered(terminal: Terminal) -> None:
    regions = terminal.client.get
    assert regions("/v1/terminal/regions").json() == ["default", "north"]
    assert regions("/v1/terminal/regions", params={"kinds": "ingredient"}).json() == ["default", "north"]
    assert regions("/v1/terminal/regions", params={"kinds": "supply,tool"}).json() == ["default"]
    assert regions("/v1/terminal/regions", params={"kinds": "DROP TABLE"}).status_code == 422


def test_a_demo_page_shown_to_people_reads_as_the_page_kitting_bundles() -> None:
    """What the demo site renders for people (lists and steps from the JSON-LD) changes nothing Kitting
    reads: the same components, quantities and kinds on every demo page."""
    from agents.extraction.extract import extract_method
    from agents.http import demo_site

    for page in demo_site.pages("https://demo.example/"):
        bundled, served = demo_site.page_html(page["url"]), demo_site.served_page(page["url"], "ks_test")
        assert bundled and served
        read = [extract_method(html, page["url"]).components for html in (bundled, served)]
        assert [[(c.name, c.quantity, c.kind) for c in components] for components in read] == [
            [(c.name, c.quantity, c.kind) for c in read[0]]
        ] * 2, page["url"]
        assert len(read[0]) >= 4

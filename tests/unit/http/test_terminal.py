"""The user terminal's API over the real roles on an in-memory bus: open a demo page, see its
components, ask for quotes with the person's choices, see the proposal, order it as proposed or from
shops chosen by hand, follow the orders to completion; and every refusal with its reason."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from agents.analytics.replay import replay
from agents.baskets.start import new_basket_id, start_basket
from agents.baskets.store import Basket
from agents.http import read_model
from agents.http.app import create_app
from agents.http.retries import retried_from, retry_basket_id, retry_origin
from agents.privacy.vault import Vault
from agents.reference.profiles import REFERENCE_SHOPS
from schemas.events import Channel, Component, MethodBrowsed, QuotePreferences
from streams.archive import ArchivedRecord
from streams.codec import encode_key
from streams.persistence import Database
from streams.settings import Settings
from tests.fakes import TEST_HOSTS, TEST_VAULT_KEY, InMemoryBus, RecordingPublisher

CONTACT = {"name": "Robin Reader", "street_address": "2 Page Lane", "phone": "+44 20 0000 0000"}


class Terminal:
    """The HTTP app and the roles, joined by hand: what the app publishes is delivered to the bus."""

    def __init__(self, database: Database) -> None:
        settings = Settings(
            database_url=database.url, quote_deadline_s=60, vault_key=TEST_VAULT_KEY, allowed_hosts=TEST_HOSTS
        )
        self.publisher = RecordingPublisher()
        self.client = TestClient(create_app(settings, publisher=self.publisher))
        self.bus = InMemoryBus(database, settings).register_roles()

    def deliver(self) -> None:
        sent, self.publisher.sent = self.publisher.sent, []
        for topic, key, value in sent:
            self.bus.publish(topic, encode_key(key), value)

    def open(self, page: str) -> tuple[str, str]:
        answer = self.client.post("/v1/terminal/open", json={"url": f"http://testserver/demo-site/{page}"})
        assert answer.status_code == 202, answer.text
        self.deliver()
        return answer.json()["basket_id"], answer.json()["token"]

    def state(self, basket: str, token: str) -> dict[str, Any]:
        answer = self.client.get(f"/v1/terminal/baskets/{basket}", params={"token": token})
        assert answer.status_code == 200, answer.text
        state: dict[str, Any] = answer.json()
        return state

    def post(self, basket: str, token: str, what: str, body: dict[str, Any]) -> Any:
        return self.client.post(f"/v1/terminal/baskets/{basket}/{what}", params={"token": token}, json=body)


@pytest.fixture
def terminal(database: Database) -> Iterator[Terminal]:
    terminal = Terminal(database)  # registering the roles registers the reference providers too
    with terminal.client:
        yield terminal


def quote_body(have: list[str], **overrides: Any) -> dict[str, Any]:
    body = {"have": have, "profile": {"order": ["cheapest"]}, "delivery": "courier", "payment": "electronic",
            "contact": CONTACT}  # fmt: skip
    return body | overrides


def test_a_demo_page_becomes_components_to_choose_from(terminal: Terminal) -> None:
    basket, token = terminal.open("lentil-curry")
    state = terminal.state(basket, token)
    assert state["next"] == "choose-components"
    assert state["basket"]["channel"] == "web" and state["basket"]["origin"] == "terminal"
    names = [c["name"].lower() for c in state["method"]["components"]]
    assert any("lentil" in name for name in names)
    assert state["rounds"] == [] and state["orders"] == []


def test_the_proposal_waits_for_the_person_and_is_ordered_as_proposed(terminal: Terminal) -> None:
    basket, token = terminal.open("lentil-curry")
    components = terminal.state(basket, token)["method"]["components"]
    have = [components[0]["line_id"]]
    answer = terminal.post(basket, token, "quote", quote_body(have))
    assert answer.status_code == 202, answer.text
    terminal.deliver()
    state = terminal.state(basket, token)
    assert state["next"] == "confirm-proposal"
    assert state["orders"] == []  # nothing is ordered on a proposal
    assert state["preferences"]["have"] == [components[0]["name"]]
    assert "customer_ref" not in state["preferences"]
    round_ = state["rounds"][0]
    assert round_["proposed"] and not round_["confirmed"]
    assert {line["line_id"] for line in round_["selection"]["lines"]}.isdisjoint(have)
    assert state["offers"] and all(o["coverage"] in ("all", "part") for o in state["offers"])
    assert all(o["lines_offered"] + len(o["missing"]) == o["lines_asked"] for o in state["offers"])

    again = terminal.post(basket, token, "quote", quote_body([]))
    assert again.status_code == 409  # quotes were asked already

    answer = terminal.post(basket, token, "selection", {"request_id": round_["request_id"]})
    assert answer.status_code == 202, answer.text
    terminal.deliver()
    state = terminal.state(basket, token)
    assert state["next"] == "done", state["basket"]
    assert {o["provider_id"] for o in state["orders"]} == set(round_["selection"]["providers"])
    assert all(o["status"] == "completed" for o in state["orders"])
    assert {(t["aspect"], t["to"]) for t in state["timeline"]} >= {
        ("order", "confirmed"),
        ("order", "completed"),
    }

    repeat = terminal.post(basket, token, "selection", {"request_id": round_["request_id"]})
    assert repeat.status_code == 409


def test_shops_chosen_by_hand_with_pickup_are_the_only_ones_ordered_from(terminal: Terminal) -> None:
    basket, token = terminal.open("lentil-curry")
    assert terminal.post(basket, token, "quote", quote_body([])).status_code == 202
    terminal.deliver()
    state = terminal.state(basket, token)
    round_ = state["rounds"][0]
    proposed = set(round_["selection"]["providers"])
    others = sorted({o["provider_id"] for o in state["offers"]} - proposed)
    chosen = others[:1] or sorted(proposed)[:1]
    body = {"request_id": round_["request_id"], "providers": chosen, "delivery": "pickup",
            "payment": "pay-at-pickup"}  # fmt: skip
    answer = terminal.post(basket, token, "selection", body)
    assert answer.status_code == 202, answer.text
    terminal.deliver()
    state = terminal.state(basket, token)
    assert {o["provider_id"] for o in state["orders"]} <= set(chosen)
    assert state["rounds"][0]["selection"]["by_hand"]
    assert all(o["delivery_method"] == "pickup" and o["pickup_code"] for o in state["orders"])


@pytest.mark.parametrize(
    ("what", "body", "status", "reason"),
    [
        ("quote", quote_body([], delivery="courier", payment="pay-at-pickup"), 422, "pickup"),
        ("quote", quote_body(["no-such-line"]), 422, "no component no-such-line"),
        ("quote", quote_body([]) | {"contact": {"name": "x"}}, 422, "street_address"),
        ("selection", {"request_id": "nope"}, 404, "no quote round"),
    ],
)
def test_bad_requests_get_their_reason_and_publish_nothing(
    terminal: Terminal, what: str, body: dict[str, Any], status: int, reason: str
) -> None:
    basket, token = terminal.open("lentil-curry")
    answer = terminal.post(basket, token, what, body)
    assert answer.status_code == status
    assert reason in json.dumps(answer.json())
    assert terminal.publisher.sent == []


def test_a_wrong_token_or_a_bad_address_is_refused(terminal: Terminal) -> None:
    basket, _ = terminal.open("lentil-curry")
    assert (
        terminal.client.get(f"/v1/terminal/baskets/{basket}", params={"token": "x" * 32}).status_code == 403
    )
    answer = terminal.client.post("/v1/terminal/open", json={"url": "ftp://example.com/a"})
    assert answer.status_code == 422 and "http://" in answer.text
    assert terminal.publisher.sent == []


def test_a_page_without_components_says_why(terminal: Terminal) -> None:
    answer = terminal.client.post(
        "/v1/terminal/open", json={"url": "http://testserver/demo-site/no-such-page"}
    )
    basket, token = answer.json()["basket_id"], answer.json()["token"]
    terminal.deliver()  # not a demo page: the worker would fetch it, and it may not fetch loopback
    state = terminal.state(basket, token)
    assert state["next"] == "failed"
    assert "no components" in state["basket"]["reason"]


def test_the_stream_sends_snapshots_until_the_basket_ends(terminal: Terminal) -> None:
    answer = terminal.client.post(
        "/v1/terminal/open", json={"url": "http://testserver/demo-site/no-such-page"}
    )
    basket, token = answer.json()["basket_id"], answer.json()["token"]
    terminal.deliver()
    with terminal.client.stream("GET", f"/v1/terminal/baskets/{basket}/stream", params={"token": token}) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        text = "".join(r.iter_text())
    assert text.startswith("event: snapshot\ndata: ")
    assert json.loads(text.split("data: ", 1)[1])["next"] == "failed"


def test_the_demo_pages_are_listed_and_the_page_is_served(terminal: Terminal) -> None:
    pages = terminal.client.get("/v1/terminal/demo-pages").json()
    assert {p["url"].rsplit("/", 1)[-1] for p in pages} >= {"lentil-curry", "hang-a-shelf"}
    page = terminal.client.get("/terminal/")
    assert page.status_code == 200 and "terminal.js" in page.text
    assert terminal.client.get("/terminal/static/terminal.js").status_code == 200


def test_proposals_confirmations_and_choices_by_hand_replay_without_difference(terminal: Terminal) -> None:
    for by_hand in (False, True):
        basket, token = terminal.open("lentil-curry")
        assert terminal.post(basket, token, "quote", quote_body([])).status_code == 202
        terminal.deliver()
        state = terminal.state(basket, token)
        round_ = state["rounds"][0]
        body: dict[str, Any] = {"request_id": round_["request_id"]}
        if by_hand:  # a shop the proposal left out
            proposed = set(round_["selection"]["providers"])
            others = sorted({o["provider_id"] for o in state["offers"]} - proposed)
            assert others
            body |= {"providers": others[:1], "delivery": "pickup", "payment": "pay-at-pickup"}
        assert terminal.post(basket, token, "selection", body).status_code == 202
        terminal.deliver()
    records = [
        ArchivedRecord("test", r.topic, r.partition, r.offset, 0, r.key, r.value, r.headers, None, None)
        for r in terminal.bus.log
    ]
    report = replay(records)
    assert report.decisions["selection"] >= 4  # two proposals, two confirmations
    assert report.differences == []


def test_the_regions_some_shop_serves_are_offered_default_first(terminal: Terminal) -> None:
    regions = terminal.client.get("/v1/terminal/regions").json()
    assert regions[0] == "default" and "north" in regions


# --- the kit around the proposal: substitutes, items, totals, shops by hand, trying again ----------

SUBSTITUTE_PAGE = "black-cocoa-pancakes"  # flour, eggs, milk: exact; black cocoa powder: a substitute only
GROCERS = sorted(shop.provider_id for shop in REFERENCE_SHOPS if "grocery" in shop.categories)


def money(value: dict[str, str]) -> Decimal:
    return Decimal(value["amount"])


def cocoa_line(state: dict[str, Any]) -> str:
    return next(c["line_id"] for c in state["method"]["components"] if "cocoa" in c["name"])


def proposed(
    terminal: Terminal, page: str = SUBSTITUTE_PAGE, **choices: Any
) -> tuple[str, str, dict[str, Any]]:
    basket, token = terminal.open(page)
    answer = terminal.post(basket, token, "quote", quote_body([]) | choices)
    assert answer.status_code == 202, answer.text
    terminal.deliver()
    return basket, token, terminal.state(basket, token)


@pytest.mark.parametrize("accept", [False, True])
def test_a_substitute_is_shown_with_its_reason_and_ordered_only_when_accepted(
    terminal: Terminal, accept: bool
) -> None:
    basket, token, state = proposed(terminal)  # the default policy: ask
    cocoa = cocoa_line(state)
    round_ = state["rounds"][0]
    assert state["next"] == "confirm-proposal"
    assert round_["coverage"] == {"asked": 4, "covered": 4, "substitutes": 1, "uncovered": 0}
    assert {line["line_id"] for line in round_["lines"]} == {
        c["line_id"] for c in state["method"]["components"]
    }
    substitutes = [line for line in round_["selection"]["lines"] if line["substitute"]]
    assert [line["line_id"] for line in substitutes] == [cocoa]
    assert "black" in substitutes[0]["reason"]
    amounts = round_["amounts"]  # goods + delivery fees = the selection's total
    assert money(amounts["goods"]) + money(amounts["delivery"]) == money(amounts["total"])
    assert amounts["total"] == round_["selection"]["total"]

    body = {"request_id": round_["request_id"], "accept_substitutes": [cocoa] if accept else []}
    answer = terminal.post(basket, token, "selection", body)
    assert answer.status_code == 202, answer.text
    assert (
        json.loads(terminal.publisher.sent[0][2])["data"]["accept_substitutes"] == body["accept_substitutes"]
    )
    terminal.deliver()
    state = terminal.state(basket, token)
    ordered = {item["line_id"]: item for order in state["orders"] for item in order["items"]}
    assert state["next"] == "done"
    if accept:
        assert state["basket"]["status"] == "completed" and state["basket"]["missing"] == []
        assert ordered[cocoa]["substitute"]
    else:
        assert state["basket"]["status"] == "completed-partially"
        assert cocoa not in ordered and len(ordered) == 3
        assert [m["line_id"] for m in state["basket"]["missing"]] == [cocoa]
        assert state["rounds"][0]["coverage"] == {"asked": 4, "covered": 3, "substitutes": 0, "uncovered": 1}


def test_every_order_shows_its_items_and_what_its_total_is_made_of(
    terminal: Terminal, database: Database
) -> None:
    basket, token, state = proposed(terminal, page="lentil-curry")
    answer = terminal.post(basket, token, "selection", {"request_id": state["rounds"][0]["request_id"]})
    assert answer.status_code == 202, answer.text
    terminal.deliver()
    state = terminal.state(basket, token)
    names = {c["line_id"]: c["name"] for c in state["method"]["components"]}
    assert state["orders"]
    for order in state["orders"]:
        assert order["items"], order
        for item in order["items"]:
            assert item["product"] and item["packs"] >= 1 and item["pack"]["unit"]
            assert money(item["cost"]) == money(item["unit_price"]) * item["packs"]
            assert item["name"] == names.get(item["line_id"], item["name"]) and item["name"]
        assert sum(money(item["cost"]) for item in order["items"]) == money(order["goods"])
        assert money(order["goods"]) + money(order["delivery_fee"]) == money(order["total"])
    with database.session() as session:  # the API's view of the orders has them too
        api = read_model.orders_view(session, basket, Vault(base64.b64decode(TEST_VAULT_KEY)))
    assert [o["items"] for o in api] == [o["items"] for o in state["orders"]]


@pytest.mark.parametrize("line", ["c99", "c1"], ids=["unknown-line", "exact-line"])
def test_accepting_what_is_no_substitute_of_the_proposal_is_refused(terminal: Terminal, line: str) -> None:
    basket, token, state = proposed(terminal)
    assert line == "c99" or not any(
        selected["substitute"]
        for selected in state["rounds"][0]["selection"]["lines"]
        if selected["line_id"] == line
    )
    body = {"request_id": state["rounds"][0]["request_id"], "accept_substitutes": [cocoa_line(state), line]}
    answer = terminal.post(basket, token, "selection", body)
    assert answer.status_code == 422
    assert f"no substitute for line {line} in this proposal" in answer.json()["detail"]
    assert terminal.publisher.sent == []
    too_long = terminal.post(basket, token, "selection", body | {"accept_substitutes": ["x" * 201]})
    assert too_long.status_code == 422 and terminal.publisher.sent == []


def test_shops_chosen_by_hand_must_deliver_and_take_payment_as_chosen(terminal: Terminal) -> None:
    basket, token, state = proposed(terminal)
    courier_only = [o["provider_id"] for o in state["offers"] if "pickup" not in o["delivery_methods"]]
    assert courier_only
    body = {"request_id": state["rounds"][0]["request_id"], "providers": courier_only[:1],
            "delivery": "pickup", "payment": "pay-at-pickup"}  # fmt: skip
    answer = terminal.post(basket, token, "selection", body)
    assert answer.status_code == 422
    name = next(shop.name for shop in REFERENCE_SHOPS if shop.provider_id == courier_only[0])
    assert f"{name} cannot take the order as chosen (pickup," in answer.json()["detail"]  # its name, not id
    assert terminal.publisher.sent == []


@pytest.mark.parametrize(
    ("method", "what", "body"),
    [
        ("GET", "", None),
        ("GET", "/stream", None),
        ("POST", "/quote", quote_body([])),
        ("POST", "/selection", {"request_id": "r", "accept_substitutes": ["c4"]}),
        ("POST", "/retry", None),
    ],
)
def test_a_stranger_without_the_basket_token_is_refused(
    terminal: Terminal, method: str, what: str, body: dict[str, Any] | None
) -> None:
    basket, _ = terminal.open(SUBSTITUTE_PAGE)
    for params in ({"token": "x" * 32}, {}):
        answer = terminal.client.request(
            method, f"/v1/terminal/baskets/{basket}{what}", params=params, json=body
        )
        assert answer.status_code == (403 if params else 422), answer.text
    assert terminal.publisher.sent == []


def failed_basket(terminal: Terminal) -> tuple[str, str, dict[str, Any]]:
    """A basket that fails: every grocer is left out, with choices worth keeping."""
    profile = {
        "order": ["fastest", "cheapest"],
        "excluded": GROCERS,
        "max_providers": 2,
        "substitutes": "never",
    }
    basket, token, state = proposed(
        terminal, have=["c3"], servings=16, profile=profile, delivery="pickup", payment="pay-at-pickup"
    )
    assert state["next"] == "failed", state["basket"]
    return basket, token, state


def test_a_failed_basket_is_tried_again_with_its_components_and_choices(
    terminal: Terminal, database: Database
) -> None:
    basket, token, failed = failed_basket(terminal)
    answer = terminal.post(basket, token, "retry", {})
    assert answer.status_code == 202, answer.text
    retry, retry_token = answer.json()["basket_id"], answer.json()["token"]
    assert retry != basket
    terminal.deliver()
    state = terminal.state(retry, retry_token)
    assert state["next"] == "choose-components"
    assert state["basket"]["retry_of"] == basket
    assert (state["basket"]["url"], state["basket"]["channel"]) == (failed["basket"]["url"], "web")
    assert state["method"]["title"] == failed["method"]["title"] == "Black cocoa pancakes"
    assert state["method"]["components"] == failed["method"]["components"]
    assert state["method"]["method_yield"] == failed["method"]["method_yield"]
    assert state["previous_choices"] == {
        "basket_id": basket, "have": ["c3"], "servings": 16,
        "profile": failed["preferences"]["profile"], "delivery": "pickup", "payment": "pay-at-pickup",
        "region": "default", "contact_kept": True,
    }  # fmt: skip
    assert state["previous_choices"]["profile"]["substitutes"] == "never"
    assert CONTACT["name"] not in json.dumps(state) and CONTACT["phone"] not in json.dumps(state)
    with pytest.raises(AssertionError):  # the old token does not open the new basket
        terminal.state(retry, token)

    again = terminal.post(basket, token, "retry", {})  # a double click is the same new basket
    assert again.status_code == 202 and again.json()["basket_id"] == retry
    terminal.deliver()

    body = quote_body(["c3"], servings=16, region="north") | {"contact": None}  # the contact given last time
    answer = terminal.post(retry, retry_token, "quote", body)
    assert answer.status_code == 202, answer.text
    terminal.deliver()
    state = terminal.state(retry, retry_token)
    assert state["next"] == "confirm-proposal"
    with database.session() as session:
        first, second = (stored_preferences(session, b) for b in (basket, retry))
        vault = Vault(base64.b64decode(TEST_VAULT_KEY))
        # the same person, concealed differently for each basket (the two baskets do not link)
        assert second.customer_ref != first.customer_ref and second.region == "north"
        person = vault.reveal(second.customer_ref, retry)
        assert person == vault.reveal(first.customer_ref, basket)
        assert vault.contact(session, person).region == "north"


def stored_preferences(session: Session, basket_id: str) -> QuotePreferences:
    row = session.get(Basket, basket_id)
    assert row is not None and row.preferences is not None
    return QuotePreferences.model_validate_json(row.preferences)


def test_only_a_failed_basket_with_components_is_tried_again(terminal: Terminal) -> None:
    basket, token = terminal.open("lentil-curry")
    answer = terminal.post(basket, token, "retry", {})
    assert answer.status_code == 409 and "only a failed basket" in answer.json()["detail"]
    empty = terminal.client.post(
        "/v1/terminal/open", json={"url": "http://testserver/demo-site/no-such-page"}
    )
    terminal.deliver()
    answer = terminal.post(empty.json()["basket_id"], empty.json()["token"], "retry", {})
    assert answer.status_code == 409 and "no components" in answer.json()["detail"]
    assert terminal.publisher.sent == []


def test_leaving_the_contact_out_takes_a_basket_tried_again(terminal: Terminal) -> None:
    basket, token = terminal.open(SUBSTITUTE_PAGE)
    answer = terminal.post(basket, token, "quote", quote_body([]) | {"contact": None})
    assert answer.status_code == 422 and "give your name, street address and phone" in answer.json()["detail"]
    assert terminal.publisher.sent == []


def test_an_origin_naming_another_basket_links_nothing(terminal: Terminal) -> None:
    victim, _, _ = failed_basket(terminal)
    forged = new_basket_id()  # any id but the one derived from the victim's
    eggs = Component(line_id="c1", text="2 eggs", name="eggs", provenance="test")
    job = MethodBrowsed(
        basket_id=forged, url="http://testserver/demo-site/x", channel=Channel.web,
        origin=retry_origin(victim), components=[eggs],
    )  # fmt: skip
    asyncio.run(start_basket(terminal.publisher, job, source="urn:test"))
    terminal.deliver()
    token = Vault(base64.b64decode(TEST_VAULT_KEY)).basket_token(forged)
    state = terminal.state(forged, token)
    assert state["basket"]["retry_of"] is None and state["previous_choices"] is None
    answer = terminal.post(forged, token, "quote", quote_body([]) | {"contact": None})
    assert answer.status_code == 422  # the victim's contact is not used
    assert retried_from(retry_basket_id(victim), retry_origin(victim)) == victim


def test_the_choices_stay_with_the_basket_only_once_the_request_for_quotes_is_sent(
    terminal: Terminal,
) -> None:
    basket, token = terminal.open(SUBSTITUTE_PAGE)
    terminal.publisher.fail = "the broker is down"
    answer = terminal.post(basket, token, "quote", quote_body([]))
    assert answer.status_code == 503
    assert terminal.state(basket, token)["preferences"] is None  # nothing kept: the person asks again
    terminal.publisher.fail = None
    answer = terminal.post(basket, token, "quote", quote_body([], servings=16))
    assert answer.status_code == 202, answer.text
    assert terminal.state(basket, token)["preferences"]["servings"] == 16  # kept before any shop answers

"""The user terminal's API over the real roles on an in-memory bus: open a demo page, see its
components, ask for quotes with the person's choices, see the proposal, order it as proposed or from
shops chosen by hand, follow the orders to completion; and every refusal with its reason."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from agents.analytics.replay import replay
from agents.http.app import create_app
from streams.archive import ArchivedRecord
from streams.codec import encode_key
from streams.persistence import Database
from streams.settings import Settings
from tests.fakes import TEST_VAULT_KEY, InMemoryBus, RecordingPublisher

CONTACT = {"name": "Robin Reader", "street_address": "2 Page Lane", "phone": "+44 20 0000 0000"}


class Terminal:
    """The HTTP app and the roles, joined by hand: what the app publishes is delivered to the bus."""

    def __init__(self, database: Database) -> None:
        settings = Settings(database_url=database.url, quote_deadline_s=60, vault_key=TEST_VAULT_KEY)
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

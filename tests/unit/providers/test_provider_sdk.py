"""The provider adapter SDK and the HTTP webhook bridge, without a broker."""

import json
from decimal import Decimal
from typing import Any

import httpx

from agents.providers.sdk import ProviderAdapter
from agents.providers.webhook import SIGNATURE_HEADER, WebhookBridge, signature
from agents.registry.providers import add_provider
from schemas import events as ev
from schemas.envelope import new_envelope
from schemas.examples import example
from schemas.providers import Provider
from schemas.values import Money
from streams.codec import decode, encode, encode_key
from streams.persistence import Database, utcnow
from streams.topics import Topic
from tests.fakes import InMemoryBus


def offer_for(request: ev.QuoteRequested, provider_id: str) -> ev.QuoteOffered:
    return example(ev.QuoteOffered).model_copy(
        update={
            "basket_id": request.basket_id, "request_id": request.request_id, "provider_id": provider_id,
            "lines": [], "missing": [line.line_id for line in request.lines],
            "subtotal": Money(amount=Decimal(0), currency="EUR"),
        }
    )  # fmt: skip


def raw(data: ev.EventData) -> bytes:
    return encode(new_envelope(data, source="urn:test", subject=data.basket_id))


def test_an_adapter_answers_only_what_is_addressed_to_it_and_only_once() -> None:
    adapter = ProviderAdapter("sdk-shop")
    asked: list[str] = []

    @adapter.on_quote
    def quote(request: ev.QuoteRequested) -> ev.QuoteOffered:
        asked.append(request.request_id)
        return offer_for(request, "sdk-shop")

    assert adapter.topics == [Topic.QUOTE_REQUESTED]
    mine = raw(example(ev.QuoteRequested).model_copy(update={"provider_id": "sdk-shop"}))
    replies = adapter.answers_to(Topic.QUOTE_REQUESTED, mine)
    assert len(replies) == 1
    topic, key, value = replies[0]
    answer = decode(value, Topic.QUOTE_OFFERED)
    assert (topic, key) == (Topic.QUOTE_OFFERED, encode_key(answer.subject))
    assert isinstance(answer.data, ev.QuoteOffered) and answer.source == "urn:kitting:provider:sdk-shop"
    assert answer.data.provider_id == "sdk-shop"
    assert adapter.answers_to(Topic.QUOTE_REQUESTED, mine) == []  # a redelivery is not answered twice
    other = raw(example(ev.QuoteRequested).model_copy(update={"provider_id": "someone-else"}))
    assert adapter.answers_to(Topic.QUOTE_REQUESTED, other) == []
    assert adapter.answers_to(Topic.QUOTE_REQUESTED, b"not json") == []
    assert len(asked) == 1


def webhook_bus(database: Database, handler: Any) -> InMemoryBus:
    bus = InMemoryBus(database).register_roles()
    for subs in bus.consumers.values():
        for sub in subs:
            if sub.consumer.startswith("webhook-bridge") and sub.prepare is not None:
                bridge = sub.prepare.__self__  # type: ignore[attr-defined]
                assert isinstance(bridge, WebhookBridge)
                bridge.transport = httpx.MockTransport(handler)
                bridge.secrets["hook-shop"] = "k3y"
    return bus


def test_the_webhook_bridge_posts_requests_and_publishes_the_answers(database: Database) -> None:
    with database.session() as session:
        add_provider(session, Provider(provider_id="hq", name="HQ", address="https://hq.example/kitting"))
        member = Provider(provider_id="hook-shop", name="Hook", address="", manager_id="hq")
        add_provider(session, member)
    calls: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        asked = decode(request.content, Topic.QUOTE_REQUESTED).data
        assert isinstance(asked, ev.QuoteRequested)
        return httpx.Response(200, json=offer_for(asked, "hook-shop").model_dump(mode="json"))

    bus = webhook_bus(database, answer)
    request = example(ev.QuoteRequested).model_copy(update={"provider_id": "hook-shop", "deadline": utcnow()})
    bus.publish(Topic.QUOTE_REQUESTED, encode_key(request.basket_id), raw(request))
    assert [str(c.url) for c in calls] == ["https://hq.example/kitting"]  # the manager's address
    assert calls[0].headers[SIGNATURE_HEADER] == signature("k3y", calls[0].content)
    offers = [json.loads(v)["data"] for v in bus.values(Topic.QUOTE_OFFERED)]
    assert [(o["provider_id"], o["request_id"]) for o in offers] == [("hook-shop", request.request_id)]


def test_a_webhook_answer_for_another_round_is_dropped(database: Database) -> None:
    with database.session() as session:
        add_provider(session, Provider(provider_id="hook-shop", name="Hook", address="https://h.example/"))

    def wrong(request: httpx.Request) -> httpx.Response:
        asked = decode(request.content, Topic.QUOTE_REQUESTED).data
        assert isinstance(asked, ev.QuoteRequested)
        return httpx.Response(
            200, json=offer_for(asked, "hook-shop").model_dump(mode="json") | {"request_id": "x"}
        )

    bus = webhook_bus(database, wrong)
    request = example(ev.QuoteRequested).model_copy(update={"provider_id": "hook-shop"})
    bus.publish(Topic.QUOTE_REQUESTED, encode_key(request.basket_id), raw(request))
    assert bus.values(Topic.QUOTE_OFFERED) == [] and bus.dead == []

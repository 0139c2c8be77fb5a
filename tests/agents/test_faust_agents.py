"""Agents tier: the real Faust agents in Faust's test context (no broker), with a fake producer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from agents.cli.demo import browse_event
from agents.composition import build_app
from agents.reference.profiles import REFERENCE_SHOPS
from schemas.vocabulary import DeliveryMethod
from streams.app import KittingApp
from streams.handling import DLQ_HEADER_ERROR, DLQ_HEADER_TOPIC
from streams.persistence import Database
from streams.sandbox import InlineSandbox
from streams.settings import Settings
from streams.topics import Topic

Sent = list[tuple[Topic, bytes | None, bytes | None, list[tuple[str, bytes]]]]


@pytest.fixture
def app_and_sent(database: Database) -> Iterator[tuple[KittingApp, Sent]]:
    settings = Settings(database_url=database.url, app_id="agents-test")
    app = build_app(settings, "127.0.0.1:1", database, sandbox=InlineSandbox())
    sent: Sent = []

    async def fake_produce(topic: Topic, key: bytes | None, value: bytes | None, headers: Any) -> None:
        sent.append((topic, key, value, headers))

    app.pipeline.produce = fake_produce
    app.pipeline.produce_many = None  # every send through fake_produce
    yield app, sent


async def test_extractor_agent_emits_components(app_and_sent: tuple[KittingApp, Sent]) -> None:
    app, sent = app_and_sent
    agent = app.faust.agents["extractor"]
    async with agent.test_context() as context:
        await context.put(browse_event("b-agent", key=bytes(32)), key=b"b-agent")
    topics = [topic for topic, *_ in sent]
    assert topics == [Topic.COMPONENTS_EXTRACTED, Topic.BASKET_STATUS]
    extracted = json.loads(sent[0][2] or b"")
    assert extracted["subject"] == "b-agent" and len(extracted["data"]["components"]) == 6


async def test_malformed_event_is_dead_lettered_and_the_agent_goes_on(
    app_and_sent: tuple[KittingApp, Sent],
) -> None:
    app, sent = app_and_sent
    agent = app.faust.agents["extractor"]
    async with agent.test_context() as context:
        await context.put(b"{broken", key=b"b-bad")
        await context.put(browse_event("b-good", key=bytes(32)), key=b"b-good")
    dead = [(key, value, dict(headers)) for topic, key, value, headers in sent if topic is Topic.DEAD_LETTER]
    assert len(dead) == 1
    key, value, headers = dead[0]
    assert (key, value) == (b"b-bad", b"{broken")
    assert headers[DLQ_HEADER_ERROR].startswith(b"not JSON")
    assert DLQ_HEADER_TOPIC in headers
    assert any(topic is Topic.COMPONENTS_EXTRACTED for topic, *_ in sent)


def test_every_role_has_an_agent(app_and_sent: tuple[KittingApp, Sent]) -> None:
    app, _ = app_and_sent
    shops = [
        f"provider.{profile.provider_id}.{topic}"
        for profile in REFERENCE_SHOPS
        for topic in ("quote-requested", "order-placed", "order-cancelled")
    ]

    def offering(method: DeliveryMethod) -> list[str]:
        return [p.provider_id for p in REFERENCE_SHOPS if any(t.method == method for t in p.delivery)]

    own, pickup = offering(DeliveryMethod.own), offering(DeliveryMethod.pickup)
    assert set(app.faust.agents) == {
        "extractor", "router", "coordinator.rounds", "coordinator.offers", "coordinator.confirmations",
        "ordering.selections",
        "ordering.orders", "ordering.deliveries", "ordering.settlements",
        "webhook-bridge.quotes", "webhook-bridge.orders",
        "webhook-bridge.deliveries", "webhook-bridge.cancellations",
        "provider.swift-courier.delivery-requested",
        "provider.swift-courier.order-cancelled", "provider.ledger-pay.settlement-requested", *shops,
        *(f"provider.{shop}.fleet.delivery-requested" for shop in own),
        *(f"provider.{shop}.counter.delivery-requested" for shop in pickup),
    }  # fmt: skip


async def test_records_that_arrived_together_are_handled_as_one_batch_by_one_lane_or_alone_by_several(
    database: Database,
) -> None:
    """An agent takes the records already in its queue into one batch (one transaction); an agent
    with several lanes (the extractor's) takes one at a time, since its lanes share the queue: a lane
    that saw a record there which another took must not wait for a record that never comes."""
    import asyncio

    from streams.persistence import UnitOfWork

    settings = Settings(database_url=database.url, app_id="agents-batch-test")
    app = KittingApp(settings, "127.0.0.1:1", database, sandbox=InlineSandbox())
    batches: dict[str, list[UnitOfWork]] = {"one-lane": [], "two-lanes": []}  # kept: ids stay unique

    def handler_for(name: str) -> Any:
        def handle(envelope: Any, uow: UnitOfWork) -> None:
            batches[name].append(uow)

        return handle

    app.consume(Topic.METHOD_BROWSED, "one-lane", handler_for("one-lane"))
    app.consume(Topic.METHOD_BROWSED, "two-lanes", handler_for("two-lanes"), concurrency=2)
    for name in batches:
        agent = app.faust.agents[name]
        async with agent.test_context() as context:
            for n in range(6):
                await context.put(browse_event(f"b-{n}", key=bytes(32)), key=f"b-{n}".encode(), wait=False)
            for _ in range(200):
                if len(batches[name]) == 6:
                    break
                await asyncio.sleep(0.05)
        assert len(batches[name]) == 6, name
    assert len({id(uow) for uow in batches["one-lane"]}) < 6  # several records in one unit of work
    assert len({id(uow) for uow in batches["two-lanes"]}) == 6

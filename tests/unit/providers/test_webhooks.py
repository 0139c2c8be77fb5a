"""The HTTP webhook bridge, without a broker: calls signed with the provider's own secret over a time
and the body, only to public https addresses and only to the address that was checked, within an
overall deadline, and one slow provider never holds back another."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from agents.providers.sdk.webhooks import SIGNATURE_HEADER, WebhookRefused, sign_webhook, verify_webhook
from agents.providers.webhook import WebhookBridge
from agents.registry.providers import add_provider, rotate_secret
from agents.registry.secrets import webhook_secret
from schemas import events as ev
from schemas.examples import example
from schemas.providers import Provider
from streams.codec import decode, encode_key
from streams.persistence import Database, utcnow
from streams.settings import Settings
from streams.topics import Topic
from tests.fakes import TEST_VAULT_KEY, InMemoryBus
from tests.unit.providers.test_provider_sdk import offer_for, raw

SECRET = base64.b64decode(TEST_VAULT_KEY)
PUBLIC = "93.184.216.34"


def public_dns(*names: str, answer: str = PUBLIC) -> Callable[[str, int], Any]:
    looked_up: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        looked_up.append(host)
        return [answer]

    resolve.looked_up = looked_up  # type: ignore[attr-defined]
    return resolve


def webhook_bus(
    database: Database, handler: Any, resolve: Any = None, deadline_s: float = 15.0
) -> InMemoryBus:
    bus = InMemoryBus(
        database, Settings(quote_deadline_s=60, vault_key=TEST_VAULT_KEY, webhook_deadline_s=deadline_s)
    )
    bus.register_roles()
    for subs in bus.consumers.values():
        for sub in subs:
            if sub.consumer.startswith("webhook-bridge") and sub.prepare is not None:
                bridge = sub.prepare.__self__  # type: ignore[attr-defined]
                assert isinstance(bridge, WebhookBridge)
                bridge.transport = httpx.MockTransport(handler)
                bridge.resolve = resolve or public_dns()
    return bus


def quote_request(provider_id: str) -> ev.QuoteRequested:
    return example(ev.QuoteRequested).model_copy(update={"provider_id": provider_id, "deadline": utcnow()})


def answering(calls: list[httpx.Request]) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        asked = decode(request.content, Topic.QUOTE_REQUESTED).data
        assert isinstance(asked, ev.QuoteRequested)
        return httpx.Response(200, json=offer_for(asked, asked.provider_id).model_dump(mode="json"))

    return answer


def test_a_call_is_signed_with_the_owners_secret_over_time_and_body(database: Database) -> None:
    with database.session() as session:
        add_provider(session, Provider(provider_id="hq", name="HQ", address="https://hq.example/kitting"))
        add_provider(session, Provider(provider_id="hook-shop", name="Hook", address="", manager_id="hq"))
    calls: list[httpx.Request] = []
    bus = webhook_bus(database, answering(calls))
    request = quote_request("hook-shop")
    bus.publish(Topic.QUOTE_REQUESTED, encode_key(request.basket_id), raw(request))
    [call] = calls
    assert call.url.host == PUBLIC and call.headers["host"] == "hq.example"  # the checked address
    assert call.extensions["sni_hostname"] == "hq.example"  # the certificate is the name's
    secret = webhook_secret(SECRET, "hq", 0)  # the manager's: it owns the address
    assert abs(verify_webhook(secret, call.headers[SIGNATURE_HEADER], call.content) - time.time()) < 5
    with pytest.raises(WebhookRefused, match="does not fit"):
        verify_webhook(webhook_secret(SECRET, "hook-shop", 0), call.headers[SIGNATURE_HEADER], call.content)
    with pytest.raises(WebhookRefused, match="does not fit"):
        verify_webhook(secret, call.headers[SIGNATURE_HEADER], call.content + b" ")
    offers = [json.loads(v)["data"] for v in bus.values(Topic.QUOTE_OFFERED)]
    assert [(o["provider_id"], o["request_id"]) for o in offers] == [("hook-shop", request.request_id)]
    assert bus.dead == []  # the bridge's signature counts for a webhook provider's answers

    # a replayed call is refused by the provider's check; a rotated secret replaces the old one
    old = sign_webhook(secret, call.content, at=int(time.time()) - 301)
    with pytest.raises(WebhookRefused, match="replay"):
        verify_webhook(secret, old, call.content)
    with database.session() as session:
        assert rotate_secret(session, "hq") == 1
    assert webhook_secret(SECRET, "hq", 1) != secret


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
    request = quote_request("hook-shop")
    bus.publish(Topic.QUOTE_REQUESTED, encode_key(request.basket_id), raw(request))
    assert bus.values(Topic.QUOTE_OFFERED) == [] and bus.dead == []


def test_only_public_https_addresses_are_called_and_only_the_one_checked(database: Database) -> None:
    with pytest.raises(ValueError, match="https://"):
        Provider(provider_id="plain", name="Plain", address="http://plain.example/")
    with database.session() as session:
        add_provider(
            session, Provider(provider_id="inside", name="Inside", address="https://inside.example/")
        )
    calls: list[httpx.Request] = []
    for private in ("10.0.0.7", "127.0.0.1", "169.254.169.254", "::1", "::ffff:127.0.0.1"):
        bus = webhook_bus(database, answering(calls), resolve=public_dns(answer=private))
        request = quote_request("inside")
        bus.publish(Topic.QUOTE_REQUESTED, encode_key(request.basket_id), raw(request))
    assert calls == []

    # rebinding: the name answers a public address to the check, then a private one; the call goes to
    # the address that was checked, and the name is not looked up again
    answers = iter([PUBLIC, "127.0.0.1", "127.0.0.1"])
    looked_up: list[str] = []

    async def rebinding(host: str, port: int) -> list[str]:
        looked_up.append(host)
        return [next(answers)]

    bus = webhook_bus(database, answering(calls), resolve=rebinding)
    request = quote_request("inside")
    bus.publish(Topic.QUOTE_REQUESTED, encode_key(request.basket_id), raw(request))
    assert [c.url.host for c in calls] == [PUBLIC] and looked_up == ["inside.example"]


def test_a_trickling_webhook_is_cut_off_and_holds_nobody_back(database: Database) -> None:
    with database.session() as session:
        add_provider(session, Provider(provider_id="slow", name="Slow", address="https://slow.example/"))
        add_provider(session, Provider(provider_id="fast", name="Fast", address="https://fast.example/"))
    answered_at: dict[str, float] = {}

    class Trickle(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            for _ in range(100):
                await asyncio.sleep(0.1)  # a byte every tenth of a second: no read ever times out
                yield b" "

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["host"] == "slow.example":
            return httpx.Response(200, stream=Trickle())
        asked = decode(request.content, Topic.QUOTE_REQUESTED).data
        assert isinstance(asked, ev.QuoteRequested)
        answered_at["fast"] = time.monotonic()
        return httpx.Response(200, json=offer_for(asked, "fast").model_dump(mode="json"))

    bus = webhook_bus(database, handler, deadline_s=1.0)
    slow, fast = quote_request("slow"), quote_request("fast")
    started = time.monotonic()

    async def both() -> None:
        for request in (slow, fast):  # the slow one first, on the same partition
            await bus._produce(Topic.QUOTE_REQUESTED, encode_key(request.basket_id), raw(request), [])
        await bus._drain()

    asyncio.run(both())
    elapsed = time.monotonic() - started
    assert answered_at["fast"] - started < 0.5  # not after the slow one's deadline
    assert 0.9 < elapsed < 3.0  # the slow call is cut off at its deadline, not after 10 s of trickle
    offers = [json.loads(v)["data"]["provider_id"] for v in bus.values(Topic.QUOTE_OFFERED)]
    assert offers == ["fast"]


def test_a_webhook_carrier_gets_its_deliveries_and_a_webhook_shop_its_withdrawn_orders(
    database: Database,
) -> None:
    """Every event addressed to a webhook provider reaches it: a delivery it is to make (answered with
    what happened, in order), an order Kitting withdrew (news only: nothing is published)."""
    with database.session() as session:
        add_provider(session, Provider(provider_id="hook-courier", name="Hook", address="https://c.example/"))
        add_provider(session, Provider(provider_id="hook-shop", name="Hook", address="https://s.example/"))
    calls: list[tuple[str, str]] = []

    def carrier(request: httpx.Request) -> httpx.Response:
        event = json.loads(request.content)
        calls.append((request.headers["host"], event["type"]))
        if event["type"] == "dev.kitting.order.cancelled.v1":
            return httpx.Response(200, json={"ok": True})
        asked = event["data"]
        ids = {k: asked[k] for k in ("basket_id", "delivery_id", "order_id", "carrier_id")}
        return httpx.Response(
            200,
            json=[
                {"kind": "arranged", **ids, "method": "courier", "expected_at": "2026-12-01T18:30:00Z"},
                {"kind": "delivered", **ids, "method": "courier", "at": "2026-12-01T18:20:00Z"},
            ],
        )

    bus = webhook_bus(database, carrier)
    delivery = example(ev.DeliveryRequested).model_copy(update={"carrier_id": "hook-courier"})
    bus.publish(Topic.DELIVERY_REQUESTED, encode_key(delivery.basket_id), raw(delivery))
    reports = [json.loads(v) for v in bus.values(Topic.DELIVERY_STATUS)]
    assert [r["type"] for r in reports] == [
        "dev.kitting.delivery.arranged.v1",
        "dev.kitting.parcel.delivered.v1",
    ]
    assert {r["data"]["carrier_id"] for r in reports} == {"hook-courier"}
    cancelled = ev.OrderCancelled(
        basket_id=delivery.basket_id, order_id=delivery.order_id, provider_id="hook-shop", reason="withdrawn",
        carrier_id="hook-courier",
    )  # fmt: skip
    bus.publish(Topic.ORDER_CANCELLED, encode_key(delivery.basket_id), raw(cancelled))
    assert calls == [
        ("c.example", "dev.kitting.delivery.requested.v1"),
        ("s.example", "dev.kitting.order.cancelled.v1"),
        ("c.example", "dev.kitting.order.cancelled.v1"),
    ]
    assert len(bus.values(Topic.DELIVERY_STATUS)) == 2  # a withdrawn order has nothing to answer

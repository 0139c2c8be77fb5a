"""Attacks through the parties of a real `kitting up`: events forged on the parties' topics (unsigned,
signed with a stranger's key, from nobody registered, speaking for another provider, about an order
that was not theirs or does not exist), and the outbound calls an attacker would aim at private
addresses (a webhook provider registered at one, a page at one).

The reference shops are told to stay silent (KITTING_REFERENCE_FAULTS), so the order the probes aim
at stays `placed` for the whole module: a forgery that counted would show as a changed order.

Rebinding a name between the check and the connection, and a webhook that trickles its answer, are
covered by the unit tests tests/unit/providers/test_webhooks.py and
tests/unit/extraction/test_extractor_role.py (a fake resolver and transport do it there)."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from agents.cli.demo import demo_page
from agents.reference.profiles import REFERENCE_SHOPS
from schemas.envelope import Envelope, new_envelope
from schemas.events import (
    EventData,
    OrderConfirmed,
    OrderRejected,
    ParcelDelivered,
    SettlementCompleted,
    SettlementFailed,
)
from schemas.values import Money
from schemas.vocabulary import DeliveryMethod
from streams.codec import encode, encode_key
from streams.handling import DLQ_HEADER_ERROR
from streams.signing import new_signing_keypair, party_envelope, party_source, signed
from streams.topics import Topic, topic_for
from tests.security.harness import (
    PERSON,
    WEB,
    Basket,
    Kitting,
    Listener,
    Mark,
    document,
    header,
    on,
    wait_for,
)

KITTING_SETTINGS = {
    "KITTING_REFERENCE_FAULTS": ",".join(f"silent:{shop.provider_id}" for shop in REFERENCE_SHOPS),
    "KITTING_ORDER_CONFIRM_TIMEOUT_S": "900",
}
PRIVATE_HOSTS = {  # provider id -> a host that is, or resolves to, this machine
    "hook-loopback": "127.0.0.1",
    "hook-localhost": "localhost",
    "hook-short-form": "127.1",
    "hook-decimal": "2130706433",
    "hook-v4-mapped": "[::ffff:127.0.0.1]",
    "hook-any": "0.0.0.0",
}


@dataclass(frozen=True)
class Ordered:
    basket: Basket
    order: dict[str, Any]
    customer_ref: str


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    with Listener() as listening:
        socket.create_connection(("127.0.0.1", listening.port), timeout=5).close()  # it does hear a call
        wait_for("the listener heard the test's own call", lambda: listening.connections, 10)
        listening.connections.clear()
        yield listening


@pytest.fixture(scope="module")
def hooks(kitting: Kitting, listener: Listener) -> list[str]:
    """Webhook providers registered at private addresses, all of them this module's listener; those the
    registry took (it may refuse them at once, which is as good)."""
    taken = []
    for provider_id, host in PRIVATE_HOSTS.items():
        entry = {
            "provider_id": provider_id, "name": provider_id, "categories": ["grocery"],
            "regions": ["default"], "address": f"https://{host}:{listener.port}/hook",
            "delivery_methods": ["pickup"], "payment_methods": ["pay-at-pickup"],
        }  # fmt: skip
        answer = WEB.post(kitting.url("/v1/providers"), json=entry, headers=kitting.operator)
        assert answer.status_code in (201, 422), answer.text
        if answer.status_code == 201:
            taken.append(provider_id)
    return taken


@pytest.fixture(scope="module")
def ordered(kitting: Kitting, hooks: list[str]) -> Ordered:
    """A person's basket, quoted (the hooks asked too) and ordered from a reference shop that stays
    silent: its order stays `placed`."""
    ref, token = kitting.add_customer()
    job = {
        "url": "https://recipes.example/pancakes", "html": demo_page(),
        "quote": {"customer_ref": ref, "delivery": "pickup", "payment": "pay-at-pickup"},
    }  # fmt: skip
    answer = WEB.post(kitting.url("/v1/baskets"), json=job, headers={"X-Kitting-Customer-Token": token})
    assert answer.status_code == 202, answer.text
    basket = Basket(answer.json()["basket_id"], answer.json()["token"])

    def orders() -> list[dict[str, Any]] | None:
        found = WEB.get(kitting.url(f"/v1/baskets/{basket.basket_id}/orders"), params={"token": basket.token})
        listed: list[dict[str, Any]] = found.json() if found.status_code == 200 else []
        # at rest: placed with the silent shop, the payment due at the counter
        settled = listed and all((o["status"], o["payment"]) == ("placed", "cash-due") for o in listed)
        return listed if settled else None

    placed = wait_for("an order placed", orders, timeout_s=90)
    return Ordered(basket, placed[0], ref)


# --- outbound calls --------------------------------------------------------------------------------


def test_a_webhook_provider_must_be_reached_over_https(kitting: Kitting) -> None:
    before = kitting.stored()
    for address in (
        "http://hooks.example/quote",
        "ftp://hooks.example/",
        "file:///etc/passwd",
        "hooks.example",
    ):
        entry = {"provider_id": "plain-hook", "name": "Plain", "categories": ["grocery"], "address": address}
        answer = WEB.post(kitting.url("/v1/providers"), json=entry, headers=kitting.operator)
        assert answer.status_code == 422, (address, answer.text)
        assert "https://" in answer.text
    assert kitting.stored() == before
    kitting.assert_still_serving()


def test_a_webhook_at_a_private_address_is_asked_but_never_called(
    kitting: Kitting, listener: Listener, hooks: list[str], ordered: Ordered
) -> None:
    if not hooks:
        pytest.skip("the registry refused every private webhook address when it was registered: none to call")
    rounds = WEB.get(kitting.url(f"/v1/baskets/{ordered.basket.basket_id}/offers"), headers=kitting.operator)
    assert rounds.status_code == 200, rounds.text
    addressed = {p for r in rounds.json()["rounds"] for p in r["addressed"]}
    assert set(hooks) <= addressed  # each was asked to quote: the bridge had a call to make
    answered = {o["provider_id"] for o in rounds.json()["offers"]}
    assert not set(hooks) & answered
    asked = {
        document(r)["data"]["provider_id"]
        for r in on(kitting.since({part: 0 for part in kitting.mark()}), Topic.QUOTE_REQUESTED)
        if r.key == encode_key(ordered.basket.basket_id)
    }
    assert set(hooks) <= asked
    assert listener.connections == [], f"a private address was called: {listener.connections}"
    kitting.assert_still_serving()


def ended(kitting: Kitting, basket: Basket) -> dict[str, Any]:
    """The basket once it has failed or completed."""

    def view() -> dict[str, Any] | None:
        found = kitting.basket(basket)
        return found if found is not None and found["status"] in ("failed", "completed") else None

    ending: dict[str, Any] = wait_for(f"basket {basket.basket_id} ended", view)
    return ending


@pytest.mark.parametrize("host", sorted(set(PRIVATE_HOSTS.values())))
def test_a_page_at_a_private_address_is_never_fetched(
    kitting: Kitting, listener: Listener, host: str
) -> None:
    opened = []
    for path, body in (
        ("/v1/terminal/open", {"url": f"http://{host}:{listener.port}/terminal"}),
        ("/v1/baskets", {"url": f"http://{host}:{listener.port}/api"}),  # no html: the worker would fetch it
    ):
        answer = WEB.post(kitting.url(path), json=body)
        assert answer.status_code == 202, answer.text
        opened.append(Basket(answer.json()["basket_id"], answer.json()["token"]))
    for basket in opened:
        view = ended(kitting, basket)
        assert view["status"] == "failed" and "non-public" in view["reason"], view
    assert listener.connections == [], f"a private address was fetched: {listener.connections}"
    kitting.assert_still_serving()


# --- forged party events ---------------------------------------------------------------------------


def forged(envelope: Envelope[Any]) -> tuple[str, bytes]:
    data: EventData = envelope.data
    return topic_for(data).topic_name, encode(envelope)


def tampered(envelope: Envelope[Any], **changes: Any) -> tuple[str, bytes]:
    """A signed event whose data was changed after it was signed."""
    raw = json.loads(encode(envelope))
    raw["data"].update(changes)
    return topic_for(envelope.data).topic_name, json.dumps(raw).encode()


@dataclass(frozen=True)
class Signer:
    """A registered party's words, signed with its own key."""

    party: str
    key: str

    def __call__(self, data: EventData) -> tuple[str, bytes]:
        return forged(party_envelope(data, self.party, self.key))


def awaited_dead_letters(kitting: Kitting, mark: Mark, ids: list[str]) -> dict[str, Any]:
    """The dead letters of the events `ids`, by id, once all of them are there."""

    def all_there(records: list[Any]) -> bool:
        return set(ids) <= {document(r).get("id") for r in on(records, Topic.DEAD_LETTER)}

    records = kitting.since(mark, until=all_there, timeout_s=60)
    return {document(r)["id"]: r for r in on(records, Topic.DEAD_LETTER)}


def test_forged_party_events_are_dead_lettered_with_the_reason_and_change_nothing(
    kitting: Kitting, ordered: Ordered
) -> None:
    basket, order_id = ordered.basket.basket_id, ordered.order["order_id"]
    shop = ordered.order["provider_id"]
    rogue_key, rogue_public = new_signing_keypair()
    stranger_key = new_signing_keypair()[0]
    rogue = {
        "provider_id": "rogue-party",
        "name": "Rogue",
        "kind": "delivery-service",
        "signing_key": rogue_public,
    }
    registered = WEB.post(kitting.url("/v1/providers"), json=rogue, headers=kitting.operator)
    assert registered.status_code == 201, registered.text  # a party with a key of its own, signing its words
    rogue_says = Signer("rogue-party", rogue_key)
    now = datetime.now(UTC)
    ids = {"basket_id": basket, "order_id": order_id}
    reject = OrderRejected(**ids, provider_id=shop, reason="forged")
    as_rogue = OrderRejected(**ids, provider_id="rogue-party", reason="mine")
    confirm = OrderConfirmed(**ids, provider_id="rogue-party", provider_order_ref="r")
    delivered = ParcelDelivered(
        **ids, delivery_id="d-forged", carrier_id="rogue-party", method=DeliveryMethod.pickup, at=now
    )
    delivered_for_other = delivered.model_copy(update={"carrier_id": "swift-courier"})
    paid = SettlementCompleted(
        **ids,
        settlement_id="s-forged",
        outcome="captured",
        amount=Money(amount=Decimal("1.00"), currency="EUR"),
    )
    declined = SettlementFailed(**ids, settlement_id="s-forged", reason="declined")
    unsigned = new_envelope(reject, source=party_source(shop), subject=basket)
    cases: list[tuple[str, tuple[str, bytes], str]] = [
        ("unsigned", forged(unsigned), f"not signed with {shop}"),
        ("a stranger's key", forged(party_envelope(reject, shop, stranger_key)), f"not signed with {shop}"),
        (
            "a garbage signature",
            forged(unsigned.model_copy(update={"signature": "ed25519=AAAA", "id": str(uuid.uuid4())})),
            f"not signed with {shop}",
        ),
        (
            "nobody registered",
            forged(party_envelope(reject, "nobody-registered", stranger_key)),
            "not a registered provider",
        ),
        (
            "not from a provider",
            forged(signed(new_envelope(reject, source="urn:kitting:gateway", subject=basket), stranger_key)),
            "comes from a provider",
        ),
        ("for another provider", rogue_says(reject), f"rogue-party cannot speak for {shop}"),
        (
            "changed after signing",
            tampered(party_envelope(as_rogue, "rogue-party", rogue_key), order_id="another-order"),
            "not signed with rogue-party",
        ),
        ("another's order", rogue_says(confirm), "was not placed with rogue-party"),
        (
            "an unknown order",
            rogue_says(as_rogue.model_copy(update={"order_id": "no-such-order"})),
            "is not one Kitting placed",
        ),
        ("another's delivery", rogue_says(delivered), "was not asked of rogue-party"),
        (
            "a delivery for another carrier",
            rogue_says(delivered_for_other),
            "rogue-party cannot speak for swift-courier",
        ),
        ("another's payment", rogue_says(paid), "was not asked of rogue-party"),
        (
            "a payment signed by a stranger",
            forged(party_envelope(declined, "ledger-pay", stranger_key)),
            "not signed with ledger-pay",
        ),
    ]
    mark = kitting.mark()
    kitting.produce([(topic, encode_key(basket), raw) for _, (topic, raw), _ in cases])
    event_ids = [json.loads(raw)["id"] for _, (_, raw), _ in cases]
    dead = awaited_dead_letters(kitting, mark, event_ids)
    for (name, (topic, raw), why), event_id in zip(cases, event_ids, strict=True):
        letter = dead[event_id]
        reason = header(letter, DLQ_HEADER_ERROR) or ""
        assert why in reason, (name, reason)
        assert letter.value == raw and header(letter, "kitting-dlq-topic") == topic, name

    # nothing came of them: no event about the basket but the forgeries and their dead letters
    later = kitting.since(mark)
    about = [
        r.topic for r in later if r.key == encode_key(basket) and r.topic != Topic.DEAD_LETTER.topic_name
    ]
    assert sorted(about) == sorted(topic for _, (topic, _), _ in cases), about
    letters = [r for r in on(later, Topic.DEAD_LETTER) if document(r)["id"] in event_ids]
    assert len(letters) == len(cases)  # once each
    orders = WEB.get(
        kitting.url(f"/v1/baskets/{basket}/orders"), params={"token": ordered.basket.token}
    ).json()
    assert [(o["order_id"], o["status"], o["delivery"], o["payment"]) for o in orders] == [
        (order_id, "placed", "none", "cash-due")
    ]
    assert (kitting.basket(ordered.basket) or {}).get("status") == "ordering"
    kitting.assert_still_serving()


def test_the_persons_reference_and_details_never_travel_in_clear(kitting: Kitting, ordered: Ordered) -> None:
    records = kitting.since({part: 0 for part in kitting.mark()})
    assert records, "the bus is empty: nothing to look at"
    for secret in (ordered.customer_ref, PERSON["name"], PERSON["street_address"], PERSON["phone"]):
        carrying = sorted({r.topic for r in records if secret.encode() in (r.value or b"")})
        assert carrying == [], f"{secret!r} travels in clear on {carrying}"

"""Every party's word is checked: an answer, a delivery report or a settlement outcome counts only when it
carries the signature of the registered provider its source names, speaks for that provider alone, and
is about an order, delivery or payment addressed to it. Anything else is dead-lettered with the reason
and changes nothing; the party's own signed answer still goes through."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from agents.ordering.tables import Order
from agents.reference.entries import reference_signing_key
from schemas.envelope import new_envelope
from schemas.events import (
    EventData,
    OrderConfirmed,
    OrderRejected,
    ParcelDelivered,
    SettlementCompleted,
)
from schemas.values import Money
from schemas.vocabulary import DeliveryMethod, PaymentMethod
from streams.codec import encode, encode_key
from streams.persistence import Database
from streams.signing import new_signing_keypair, party_source, signature_fits, signed, verify_key_of
from streams.topics import Topic, topic_for
from tests.fakes import TEST_VAULT_KEY, InMemoryBus
from tests.unit.ordering.test_saga_in_memory import bus_for, orders_of, run_basket

SECRET = base64.b64decode(TEST_VAULT_KEY)


def send(bus: InMemoryBus, data: EventData, party: str, key: str | None) -> bytes:
    """`data` from `party`'s source, signed with `key` (None: unsigned), onto its topic."""
    envelope = new_envelope(data, source=party_source(party), subject=data.basket_id)
    raw = encode(signed(envelope, key) if key else envelope)
    bus.publish(topic_for(data), encode_key(data.basket_id), raw)
    return raw


def test_a_signature_covers_the_whole_event_and_only_its_key_fits() -> None:
    private, public = new_signing_keypair()
    data = OrderConfirmed(basket_id="b", order_id="o", provider_id="p", provider_order_ref="r")
    raw = encode(signed(new_envelope(data, source=party_source("p"), subject="b"), private))
    assert verify_key_of(private) == public and signature_fits(raw, [public])
    assert not signature_fits(raw, [new_signing_keypair()[1]])
    tampered = json.loads(raw)
    tampered["data"]["order_id"] = "other"
    assert not signature_fits(json.dumps(tampered).encode(), [public])
    unsigned = encode(new_envelope(data, source=party_source("p"), subject="b"))
    assert not signature_fits(unsigned, [public])


def test_nobody_answers_for_another_party(database: Database) -> None:
    probe = bus_for(database)
    run_basket(probe, "probe", DeliveryMethod.courier, PaymentMethod.electronic)
    chosen = sorted({o.provider_id for o in orders_of(database, "probe")})
    bus = bus_for(database, reference_faults=",".join(f"silent:{p}" for p in chosen))
    run_basket(bus, "b1", DeliveryMethod.courier, PaymentMethod.electronic)
    order = orders_of(database, "b1")[0]
    shop, basket = order.provider_id, order.basket_id
    assert order.status == "placed"
    courier = "swift-courier"  # a registered party, answering in its own name with its own key
    courier_key = reference_signing_key(courier, SECRET)
    stranger_key = new_signing_keypair()[0]
    reject = OrderRejected(basket_id=basket, order_id=order.order_id, provider_id=shop, reason="gone")
    confirm_as_courier = OrderConfirmed(
        basket_id=basket, order_id=order.order_id, provider_id=courier, provider_order_ref="r"
    )
    delivered = ParcelDelivered(
        basket_id=basket, delivery_id="d-1", order_id=order.order_id, carrier_id=courier,
        method=DeliveryMethod.courier, at=datetime.now(UTC),
    )  # fmt: skip
    paid = SettlementCompleted(
        basket_id=basket, settlement_id="s-1", order_id=order.order_id, outcome="captured",
        amount=Money(amount=Decimal("1.00"), currency="EUR"),
    )  # fmt: skip
    forgeries = [
        (reject, shop, None, "not signed with"),
        (reject, shop, stranger_key, "not signed with"),
        (reject, "nobody-registered", stranger_key, "not a registered provider"),
        (reject, courier, courier_key, f"{courier} cannot speak for {shop}"),
        (confirm_as_courier, courier, courier_key, f"was not placed with {courier}"),
        (delivered, courier, courier_key, f"was not asked of {courier}"),
        (paid, shop, reference_signing_key(shop, SECRET), f"was not asked of {shop}"),
    ]
    for data, party, key, _ in forgeries:
        send(bus, data, party, key)
    reasons = [reason for _, reason in bus.dead]
    assert len(reasons) == len(forgeries)
    for (data, _, _, why), reason in zip(forgeries, reasons, strict=True):
        assert why in reason, (type(data).__name__, reason)
    with database.session() as session:
        unchanged = session.scalars(select(Order).where(Order.order_id == order.order_id)).one()
    assert (unchanged.status, unchanged.settlement_state) == ("placed", order.settlement_state)

    # the shop's own signed word still counts, once
    confirm = OrderConfirmed(
        basket_id=basket, order_id=order.order_id, provider_id=shop, provider_order_ref="r"
    )
    raw = send(bus, confirm, shop, reference_signing_key(shop, SECRET))
    bus.publish(Topic.ORDER_STATUS, encode_key(basket), raw)  # a repeat: ignored
    assert orders_of(database, "b1")[0].status != "placed"
    assert len(bus.dead) == len(forgeries)

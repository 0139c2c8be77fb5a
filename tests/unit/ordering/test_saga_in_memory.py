"""The ordering saga with the real roles and reference providers on an in-memory bus and real SQL:
every fulfilment and payment, rejections, time-outs, failed deliveries, repeats, and what each party
gets to see."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from agents.baskets.store import Basket
from agents.cli.demo import browse_event
from agents.ordering.tables import Order
from agents.privacy.demo_customer import DEMO_CONTACT, DEMO_CUSTOMER, seed_demo_customer
from agents.providers.sdk import SealedContactError, open_sealed
from agents.reference.entries import reference_private_key
from agents.reference.ledger import LedgerEntry, LedgerTransaction
from schemas.events import SealedContact
from schemas.vocabulary import DeliveryMethod, PaymentMethod, is_cash, payment_problem
from streams.codec import encode_key
from streams.persistence import Database, utcnow
from streams.settings import Settings
from streams.topics import Topic
from tests.fakes import TEST_VAULT_KEY, InMemoryBus

COMBINATIONS = [
    (f, p) for f in DeliveryMethod for p in PaymentMethod if payment_problem(f, p) is None
]  # fmt: skip


def bus_for(database: Database, **settings: object) -> InMemoryBus:
    seed_demo_customer(database.url, base64.b64decode(TEST_VAULT_KEY))
    config = Settings(quote_deadline_s=60, vault_key=TEST_VAULT_KEY, **settings)  # type: ignore[arg-type]
    return InMemoryBus(database, config).register_roles()


def run_basket(bus: InMemoryBus, basket: str, delivery: DeliveryMethod, payment: PaymentMethod) -> None:
    bus.publish(
        Topic.METHOD_BROWSED,
        encode_key(basket),
        browse_event(basket, DEMO_CUSTOMER, delivery, payment, key=base64.b64decode(TEST_VAULT_KEY)),
    )


def basket_of(database: Database, basket_id: str) -> Basket:
    with database.session() as session:
        basket = session.get(Basket, basket_id)
        assert basket is not None
        return basket


def orders_of(database: Database, basket_id: str) -> list[Order]:
    with database.session() as session:
        return list(
            session.scalars(select(Order).where(Order.basket_id == basket_id).order_by(Order.created_at))
        )


def events(bus: InMemoryBus, topic: Topic) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in bus.values(topic)]


def ledger_is_balanced(database: Database) -> bool:
    with database.session() as session:
        debit = sum((e.debit for e in session.scalars(select(LedgerEntry))), start=0)
        credit = sum((e.credit for e in session.scalars(select(LedgerEntry))), start=0)
    return bool(debit == credit)


def canaries() -> list[str]:
    contact = DEMO_CONTACT
    return [
        contact.name,
        contact.street_address,
        contact.phone,
        contact.email or "",
        contact.payment_instrument or "",
    ]


@pytest.mark.parametrize(("fulfilment", "payment"), COMBINATIONS)
def test_every_fulfilment_and_payment_completes(
    database: Database, fulfilment: DeliveryMethod, payment: PaymentMethod
) -> None:
    bus = bus_for(database)
    run_basket(bus, "b1", fulfilment, payment)
    basket = basket_of(database, "b1")
    assert (basket.status, basket.reason) == ("completed", None), bus.dead
    orders = orders_of(database, "b1")
    assert orders and all(o.status == "completed" and o.delivery_state == "delivered" for o in orders)
    paid = "cash-collected" if is_cash(payment) else "captured"
    assert {o.settlement_state for o in orders} == {paid}
    requests = [e["data"] for e in events(bus, Topic.DELIVERY_REQUESTED)]
    assert {r["method"] for r in requests} == {fulfilment.value}
    if fulfilment == "courier":
        assert {r["carrier_id"] for r in requests} == {"swift-courier"}
        assert Topic.DELIVERY_STATUS.topic_name in bus.counts()
        kinds = {e["type"] for e in events(bus, Topic.DELIVERY_STATUS)}
        assert "dev.kitting.parcel.collected.v1" in kinds
    if is_cash(payment):
        assert all(r["cash_to_collect"] is not None for r in requests)
    assert ledger_is_balanced(database)
    with database.session() as session:
        per_order = session.execute(
            select(LedgerTransaction.order_id, LedgerTransaction.action, func.count()).group_by(
                LedgerTransaction.order_id, LedgerTransaction.action
            )
        ).all()
    assert per_order and all(count == 1 for _, _, count in per_order)
    raw = b"".join(r.value or b"" for r in bus.log)
    for canary in canaries():
        assert canary.encode() not in raw
    assert bus.dead == []


def test_a_rejection_is_ordered_again_from_the_next_best(database: Database) -> None:
    first = bus_for(database)
    run_basket(first, "probe", DeliveryMethod.courier, PaymentMethod.electronic)
    chosen = {o.provider_id for o in orders_of(database, "probe")}
    bus = bus_for(database, reference_faults=",".join(f"reject:{p}" for p in chosen))
    run_basket(bus, "b2", DeliveryMethod.courier, PaymentMethod.electronic)
    basket = basket_of(database, "b2")
    assert basket.status == "completed", basket.reason
    orders = orders_of(database, "b2")
    rejected = [o for o in orders if o.status == "rejected"]
    replacing = [o for o in orders if o.replaces]
    assert {o.provider_id for o in rejected} == chosen
    assert replacing and all(o.status == "completed" for o in replacing)
    assert not {o.provider_id for o in replacing} & chosen
    assert {o.settlement_state for o in rejected} == {"voided"}  # the authorisation was released
    reselections = [e["data"] for e in events(bus, Topic.PROVIDERS_SELECTED) if e["data"].get("compensates")]
    assert len(reselections) == len(rejected)
    assert ledger_is_balanced(database)


def test_with_nobody_left_everything_is_cancelled_and_payments_released(database: Database) -> None:
    grocers = ["discount-depot", "fresh-express", "market-hall", "corner-grocer"]
    bus = bus_for(database, reference_faults=",".join(f"reject:{p}" for p in grocers))
    run_basket(bus, "b3", DeliveryMethod.courier, PaymentMethod.electronic)
    basket = basket_of(database, "b3")
    assert basket.status == "failed"
    assert "rejected" in (basket.reason or "") and "no other offer" in (basket.reason or "")
    orders = orders_of(database, "b3")
    assert orders and all(o.status in ("rejected", "cancelled") for o in orders)
    assert all(o.settlement_state in ("voided", "released") for o in orders)
    with database.session() as session:
        captures = session.scalar(
            select(func.count()).select_from(LedgerTransaction).where(LedgerTransaction.action == "capture")
        )
    assert captures == 0
    assert ledger_is_balanced(database)


def test_a_provider_that_does_not_answer_is_replaced_after_the_timeout(database: Database) -> None:
    first = bus_for(database)
    run_basket(first, "probe", DeliveryMethod.courier, PaymentMethod.electronic)
    chosen = {o.provider_id for o in orders_of(database, "probe")}
    bus = bus_for(
        database, reference_faults=",".join(f"silent:{p}" for p in chosen), order_confirm_timeout_s=2
    )
    run_basket(bus, "b4", DeliveryMethod.courier, PaymentMethod.electronic)
    assert basket_of(database, "b4").status == "ordering"
    with database.session() as session:
        session.execute(update(Order).values(created_at=utcnow() - timedelta(hours=1)))
    bus.run_job("ordering.deadlines")
    assert basket_of(database, "b4").status == "ordering"  # a worker that just started waits a timeout first
    bus.settled = utcnow() - timedelta(hours=1)  # the worker got its partitions a while ago
    bus.run_job("ordering.deadlines")
    basket = basket_of(database, "b4")
    assert basket.status == "completed", basket.reason
    late = [o for o in orders_of(database, "b4") if o.status == "rejected"]
    assert late and all("did not answer" in (o.reason or "") for o in late)
    cancelled = [e["data"]["order_id"] for e in events(bus, Topic.ORDER_CANCELLED)]
    assert sorted(cancelled) == sorted(o.order_id for o in late)  # the silent shops are told


def test_a_failed_delivery_is_tried_again(database: Database) -> None:
    bus = bus_for(database, reference_faults="fail-first:swift-courier")
    run_basket(bus, "b5", DeliveryMethod.courier, PaymentMethod.electronic)
    assert basket_of(database, "b5").status == "completed"
    attempts = [e["data"]["attempt"] for e in events(bus, Topic.DELIVERY_REQUESTED)]
    assert sorted(set(attempts)) == [1, 2]


def test_a_delivery_failing_every_time_releases_the_payment_it_never_captured(database: Database) -> None:
    bus = bus_for(database, reference_faults="fail-first:swift-courier", delivery_attempts=1)
    run_basket(bus, "b6", DeliveryMethod.courier, PaymentMethod.electronic)
    basket = basket_of(database, "b6")
    assert basket.status == "failed" and "its payment released" in (basket.reason or "")
    orders = orders_of(database, "b6")
    assert orders and {o.settlement_state for o in orders} == {"voided"}  # captured only on hand-over
    assert captures_of(database, orders) == []
    assert ledger_is_balanced(database)


def captures_of(database: Database, orders: list[Order]) -> list[Any]:
    with database.session() as session:
        return list(
            session.scalars(
                select(LedgerTransaction.amount).where(
                    LedgerTransaction.action == "capture",
                    LedgerTransaction.order_id.in_([o.order_id for o in orders]),
                )
            )
        )


def test_every_event_delivered_twice_changes_nothing(database: Database) -> None:
    bus = bus_for(database)
    run_basket(bus, "b7", DeliveryMethod.pickup, PaymentMethod.pay_at_pickup)
    assert basket_of(database, "b7").status == "completed"
    delivered = list(bus.log)
    with database.session() as session:
        transactions = session.scalar(select(func.count()).select_from(LedgerTransaction))
    for record in delivered:
        bus.publish(Topic[_member(record.topic)], record.key or b"", record.value)
    assert len(bus.log) == 2 * len(delivered)  # only the repeats themselves: nothing was emitted again
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(LedgerTransaction)) == transactions
        assert session.scalar(select(func.count()).select_from(Order)) == len(orders_of(database, "b7"))


def _member(topic_name: str) -> str:
    return next(t.name for t in Topic if t.topic_name == topic_name)


def test_the_payment_token_is_sealed_to_the_accounting_agent_for_one_order(database: Database) -> None:
    """Every party reads the settlement topic; only the agent asked opens the token, and a person's
    orders do not link by it."""
    secret = base64.b64decode(TEST_VAULT_KEY)
    bus = bus_for(database)
    for basket in ("pay-1", "pay-2"):
        run_basket(bus, basket, DeliveryMethod.courier, PaymentMethod.electronic)
        assert basket_of(database, basket).status == "completed"
    requests = [e["data"] for e in events(bus, Topic.SETTLEMENT_REQUESTED)]
    assert requests and all("payment_token" not in r for r in requests)
    authorisations = [r for r in requests if r["action"] == "authorise"]
    tokens = set()
    for request in authorisations:
        sealed = SealedContact.model_validate(request["payment"])
        assert sealed.recipient_id == "ledger-pay" and sealed.fields == ["payment_token"]
        tokens.add(open_sealed(reference_private_key("ledger-pay", secret), sealed)["payment_token"])
        with pytest.raises(SealedContactError):
            open_sealed(reference_private_key("market-hall", secret), sealed)
    assert len(tokens) == len({r["order_id"] for r in authorisations}) > 1

"""Every saga state that waits on a party has a deadline and a compensation (agents/ordering/
deadlines.py): a silent carrier is asked again and then the order is withdrawn and released, a silent
accounting agent is asked again with the same idempotency key and then the payment needs a person,
proposals expire; the money is captured on hand-over only, for what was handed over."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update

from agents.ordering.stuck import stuck
from agents.ordering.tables import Order, TimelineEntry
from agents.quoting.tables import QuoteRound
from agents.reference.entries import reference_signing_key
from schemas.events import OrderRejected, SettlementFailed
from schemas.vocabulary import DeliveryMethod, PaymentMethod
from streams.codec import encode, encode_key
from streams.persistence import Database, UnitOfWork, utcnow
from streams.signing import party_envelope
from streams.topics import Topic
from tests.fakes import TEST_VAULT_KEY, InMemoryBus
from tests.unit.ordering.test_saga_in_memory import (
    basket_of,
    bus_for,
    captures_of,
    events,
    ledger_is_balanced,
    orders_of,
    run_basket,
)

FAST = 1.0  # seconds: every deadline of these tests
PAST = timedelta(days=30)  # older than any deadline


def settle_in(bus: InMemoryBus, *waited: Any) -> None:
    """Time passes: the worker got its partitions long ago (a worker first gives answers queued in them
    the time of a deadline), and the orders have been in the states of the `waited` columns (e.g.
    Order.delivery_since) past any deadline."""
    bus.settled = utcnow() - PAST
    with bus.database.session() as session:
        for column in waited:
            session.execute(update(Order).where(column.is_not(None)).values({column.key: utcnow() - PAST}))


def age(database: Database, order_id: str, **values: Any) -> None:
    with database.session() as session:
        session.execute(update(Order).where(Order.order_id == order_id).values(**values))


def test_a_silent_courier_is_asked_again_then_the_order_is_withdrawn_and_nothing_is_captured(
    database: Database,
) -> None:
    bus = bus_for(database, reference_faults="silent:swift-courier", carrier_answer_timeout_s=FAST)
    run_basket(bus, "quiet-courier", DeliveryMethod.courier, PaymentMethod.electronic)
    orders = orders_of(database, "quiet-courier")
    assert {(o.delivery_state, o.settlement_state) for o in orders} == {("requested", "authorised")}
    settle_in(bus, Order.delivery_since)
    bus.run_job("ordering.deadlines")
    assert sorted(e["data"]["attempt"] for e in events(bus, Topic.DELIVERY_REQUESTED)) == [1] * len(
        orders
    ) + [2] * len(orders)
    for order in orders:
        age(database, order.order_id, delivery_since=utcnow() - PAST)
    bus.run_job("ordering.deadlines")
    basket = basket_of(database, "quiet-courier")
    assert basket.status == "failed", basket.reason
    assert "swift-courier did not answer within 1 s" in (basket.reason or "")
    assert "its payment released" in (basket.reason or "")
    orders = orders_of(database, "quiet-courier")
    assert {(o.status, o.delivery_state, o.settlement_state) for o in orders} == {
        ("cancelled", "cancelled", "voided")
    }
    assert captures_of(database, orders) == []
    assert ledger_is_balanced(database)


def test_a_courier_silent_for_a_while_delivers_on_its_next_try_and_only_then_is_the_money_taken(
    database: Database,
) -> None:
    now = time.time()
    bus = bus_for(
        database,
        reference_faults=f"silent:swift-courier@{now - 1}-{now + FAST}",
        carrier_answer_timeout_s=FAST,
    )
    run_basket(bus, "late-courier", DeliveryMethod.courier, PaymentMethod.electronic)
    assert basket_of(database, "late-courier").status == "ordering"
    settle_in(bus, Order.delivery_since)
    time.sleep(max(0.0, now + FAST - time.time()) + 0.05)  # the courier answers again
    bus.run_job("ordering.deadlines")
    basket = basket_of(database, "late-courier")
    assert basket.status == "completed", basket.reason
    orders = orders_of(database, "late-courier")
    assert {(o.delivery_attempts, o.settlement_state) for o in orders} == {(2, "captured")}
    with database.session() as session:
        steps = [
            (e.aspect, e.to_state)
            for e in session.scalars(
                select(TimelineEntry)
                .where(TimelineEntry.basket_id == "late-courier")
                .order_by(TimelineEntry.id)
            )
        ]
    assert steps.index(("delivery", "delivered")) < steps.index(("payment", "capturing"))  # on hand-over
    assert ledger_is_balanced(database)


@pytest.mark.parametrize("state", ["arranged", "collected"])
def test_a_delivery_under_way_that_never_arrives_counts_as_failed_and_is_released(
    database: Database, state: str
) -> None:
    bus = bus_for(
        database, reference_faults="silent:swift-courier", delivery_timeout_s=FAST, delivery_attempts=1
    )
    run_basket(bus, "lost-parcel", DeliveryMethod.courier, PaymentMethod.electronic)
    for order in orders_of(database, "lost-parcel"):
        age(database, order.order_id, delivery_state=state, delivery_since=utcnow() - PAST)
    settle_in(bus)
    bus.run_job("ordering.deadlines")
    basket = basket_of(database, "lost-parcel")
    assert basket.status == "failed" and "did not deliver within" in (basket.reason or "")
    orders = orders_of(database, "lost-parcel")
    assert {(o.status, o.settlement_state) for o in orders} == {("cancelled", "voided")}


# (payment state, the order's state and delivery around it, what the basket becomes after the retries)
PAYMENT_STATES = [
    ("authorising", "confirmed", "requested", "failed"),
    ("capturing", "confirmed", "delivered", "ordering"),
    ("voiding", "cancelled", "cancelled", None),
    ("refunding", "cancelled", "cancelled", None),
    ("expecting", "confirmed", "requested", "failed"),
    ("recording", "confirmed", "delivered", "ordering"),
]


@pytest.mark.parametrize(("payment", "status", "delivery", "basket_after"), PAYMENT_STATES)
def test_a_silent_accounting_agent_is_asked_again_with_the_same_key_then_a_person_is_asked(
    database: Database, payment: str, status: str, delivery: str, basket_after: str | None
) -> None:
    cash = payment in ("expecting", "recording")
    done = bus_for(database)
    method = PaymentMethod.cash_on_delivery if cash else PaymentMethod.electronic
    run_basket(done, "quiet-ledger", DeliveryMethod.courier, method)
    assert basket_of(database, "quiet-ledger").status == "completed"
    [order, *_] = orders_of(database, "quiet-ledger")
    age(
        database, order.order_id, status=status, delivery_state=delivery, settlement_state=payment,
        payment_since=utcnow() - PAST, payment_tries=0,
    )  # fmt: skip
    if basket_after is not None:
        from agents.baskets.store import Basket

        with database.session() as session:
            session.execute(
                update(Basket).where(Basket.basket_id == "quiet-ledger").values(status="ordering")
            )
    bus = bus_for(
        database, reference_faults="silent:ledger-pay", accounting_answer_timeout_s=FAST, accounting_retries=1
    )
    settle_in(bus)
    bus.run_job("ordering.deadlines")
    *first, again = [e["data"] for e in events(bus, Topic.SETTLEMENT_REQUESTED)]
    if payment == "recording":  # its expect-cash may have gone unheard too: asked again first
        assert [r["action"] for r in first] == ["expect-cash"]
    else:
        assert first == []
    action = {
        "authorising": "authorise",
        "capturing": "capture",
        "voiding": "void",
        "refunding": "refund",
    }.get(payment, {"expecting": "expect-cash", "recording": "record-cash"}.get(payment))
    assert (again["order_id"], again["action"]) == (order.order_id, action)
    assert again["idempotency_key"] == f"{order.order_id}:{action}"  # money moves once however often asked
    assert orders_of(database, "quiet-ledger")[0].settlement_state == payment  # still waiting, asked again
    age(database, order.order_id, payment_since=utcnow() - PAST)
    bus.run_job("ordering.deadlines")
    waiting = next(o for o in orders_of(database, "quiet-ledger") if o.order_id == order.order_id)
    assert waiting.settlement_state == "needs-attention" and waiting.attention_action == action
    assert "did not answer the" in (waiting.attention or "")
    with database.session() as session:
        listed = stuck(session, timedelta(hours=1))
    assert [o.order_id for o in listed.orders] == [order.order_id]
    if basket_after is not None:
        basket = basket_of(database, "quiet-ledger")
        assert basket.status == basket_after, basket.reason
        assert "payment of the order" in (basket.reason or "")


def test_an_operator_retry_settles_a_payment_that_waited_for_a_person(database: Database) -> None:
    from agents.composition import ordering_saga

    bus = bus_for(
        database, reference_faults="silent:ledger-pay", accounting_answer_timeout_s=FAST, accounting_retries=0
    )
    run_basket(bus, "retry-me", DeliveryMethod.courier, PaymentMethod.electronic)
    settle_in(bus, Order.payment_since)
    bus.run_job("ordering.deadlines")
    orders = orders_of(database, "retry-me")
    assert {o.settlement_state for o in orders} == {"needs-attention"}
    back = bus_for(database)  # the accounting agent answers again
    saga = ordering_saga(back.settings)
    for order in orders:

        def retry(uow: UnitOfWork, order_id: str = order.order_id) -> None:
            assert saga.retry_payment(uow, order_id) == "authorise"

        back.jobs["retry"] = back.in_unit_of_work(retry)
        back.run_job("retry")
    orders = orders_of(database, "retry-me")
    assert all(o.settlement_state != "needs-attention" and o.attention is None for o in orders)
    assert ledger_is_balanced(database)


def test_a_partly_confirmed_order_captures_only_what_was_handed_over(database: Database) -> None:
    probe = bus_for(database)
    run_basket(probe, "probe", DeliveryMethod.courier, PaymentMethod.electronic)
    shop = orders_of(database, "probe")[0].provider_id
    bus = bus_for(database, reference_faults=f"silent:{shop}")
    run_basket(bus, "part", DeliveryMethod.courier, PaymentMethod.electronic)
    [order] = [o for o in orders_of(database, "part") if o.provider_id == shop]
    lines = json.loads(order.lines)
    assert len(lines) > 1
    refused = lines[0]["line_id"]
    answer = OrderRejected(
        basket_id="part", order_id=order.order_id, provider_id=shop, reason="out of stock", line_ids=[refused]
    )
    secret = base64.b64decode(TEST_VAULT_KEY)
    bus.publish(
        Topic.ORDER_STATUS,
        encode_key("part"),
        encode(party_envelope(answer, shop, reference_signing_key(shop, secret))),
    )
    after = next(o for o in orders_of(database, "part") if o.order_id == order.order_id)
    assert after.status == "completed" and after.total_amount < order.total_amount
    [captured] = captures_of(database, [after])
    assert captured == after.total_amount < order.total_amount  # a partial capture of the authorisation
    assert isinstance(captured, Decimal)
    assert ledger_is_balanced(database)


def test_a_proposal_nobody_confirms_expires_and_cannot_be_confirmed_after(database: Database) -> None:
    from agents.cli.demo import browse_event
    from schemas.envelope import new_envelope
    from schemas.events import ConfirmSelection

    bus = bus_for(database)
    event = json.loads(browse_event("proposal", key=base64.b64decode(TEST_VAULT_KEY)))
    event["data"]["quote"]["confirm"] = True
    bus.publish(Topic.METHOD_BROWSED, encode_key("proposal"), json.dumps(event).encode())
    assert basket_of(database, "proposal").status == "quoting"  # a proposal waits for the person
    bus.run_job("coordinator.proposals")
    assert basket_of(database, "proposal").status == "quoting"
    with database.session() as session:
        round_ = session.scalars(select(QuoteRound)).one()
        assert round_.proposal_expires_at is not None
        assert round_.proposal_expires_at > utcnow() + timedelta(hours=23)  # KITTING_PROPOSAL_TTL_S: a day
        session.execute(update(QuoteRound).values(proposal_expires_at=utcnow() - timedelta(seconds=1)))
        request_id = round_.request_id
    bus.run_job("coordinator.proposals")
    basket = basket_of(database, "proposal")
    assert basket.status == "failed" and "not confirmed in time" in (basket.reason or "")
    confirm = ConfirmSelection(basket_id="proposal", request_id=request_id)
    bus.publish(
        Topic.CONFIRM_SELECTION,
        encode_key("proposal"),
        encode(new_envelope(confirm, source="urn:t", subject="proposal")),
    )
    assert bus.values(Topic.ORDER_PLACED) == []
    assert any("expired" in why for _, why in bus.dead)


def test_the_operator_lists_what_waits_and_retries_it_from_the_command_line(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from agents.cli.main import cli

    monkeypatch.setenv("KITTING_DATABASE_URL", database.url)
    monkeypatch.setenv("KITTING_VAULT_KEY", TEST_VAULT_KEY)
    runner = CliRunner()
    calm = runner.invoke(cli, ["ops", "stuck"])
    assert (calm.exit_code, "nothing waits for a person" in calm.output) == (0, True), calm.output
    bus = bus_for(
        database, reference_faults="silent:ledger-pay", accounting_answer_timeout_s=FAST, accounting_retries=0
    )
    run_basket(bus, "cli", DeliveryMethod.courier, PaymentMethod.electronic)
    settle_in(bus, Order.payment_since)
    bus.run_job("ordering.deadlines")
    [order, *_] = orders_of(database, "cli")
    listed = runner.invoke(cli, ["ops", "stuck", "--json"])
    assert listed.exit_code == 1
    assert order.order_id in [o["order_id"] for o in json.loads(listed.stdout)["orders"]]
    retried = runner.invoke(cli, ["ops", "retry", order.order_id])
    assert retried.exit_code == 0 and "asked the accounting agent again to authorise" in retried.output
    again = runner.invoke(cli, ["ops", "retry", order.order_id])
    assert again.exit_code == 2 and "nothing waits for a person" in again.output
    unknown = runner.invoke(cli, ["ops", "retry", "no-such-order"])
    assert unknown.exit_code == 2 and "ops stuck" in unknown.output
    assert "nothing was set aside" in runner.invoke(cli, ["ops", "resend"]).output


def test_cash_whose_expectation_went_unheard_is_expected_then_recorded_once_the_agent_answers(
    database: Database,
) -> None:
    """The accounting agent is silent while a cash-on-delivery order is placed and handed over: neither
    the expect-cash nor the record-cash is heard. Asked again, it hears both, in order."""
    run_basket(bus_for(database), "warm", DeliveryMethod.courier, PaymentMethod.cash_on_delivery)  # models
    now = time.time()
    silent = f"silent:ledger-pay@{now - 1}-{now + 2 * FAST}"
    bus = bus_for(database, reference_faults=silent, accounting_answer_timeout_s=FAST)
    run_basket(bus, "quiet-cash", DeliveryMethod.courier, PaymentMethod.cash_on_delivery)
    assert {o.settlement_state for o in orders_of(database, "quiet-cash")} == {"recording"}
    time.sleep(max(0.0, now + 2 * FAST - time.time()) + 0.05)
    bus.run_job("ordering.deadlines")
    basket = basket_of(database, "quiet-cash")
    assert basket.status == "completed", basket.reason
    assert {o.settlement_state for o in orders_of(database, "quiet-cash")} == {"cash-collected"}
    assert ledger_is_balanced(database)


def test_cash_recorded_before_its_expectation_was_heard_is_asked_again_in_order(database: Database) -> None:
    """The accounting agent missed the expect-cash (away when it came) and is back for the record-cash,
    which it refuses: no cash is expected. That is no reason to cancel a delivered, paid-in-cash order:
    Kitting asks for both again, in order, and the payment is recorded."""
    run_basket(bus_for(database), "warm", DeliveryMethod.courier, PaymentMethod.cash_on_delivery)  # models
    now = time.time()
    silent = f"silent:ledger-pay@{now - 1}-{now + 2 * FAST}"
    bus = bus_for(database, reference_faults=silent, accounting_answer_timeout_s=60)
    run_basket(bus, "cash-race", DeliveryMethod.courier, PaymentMethod.cash_on_delivery)
    [order] = orders_of(database, "cash-race")
    assert order.settlement_state == "recording"
    time.sleep(max(0.0, now + 2 * FAST - time.time()) + 0.05)  # the agent is back
    refused = SettlementFailed(
        basket_id="cash-race", settlement_id="s-race", order_id=order.order_id, action="record-cash",
        reason=f"no cash is expected for order {order.order_id}: expect-cash first",
    )  # fmt: skip
    secret = base64.b64decode(TEST_VAULT_KEY)
    bus.publish(
        Topic.SETTLEMENT_STATUS,
        encode_key("cash-race"),
        encode(party_envelope(refused, "ledger-pay", reference_signing_key("ledger-pay", secret))),
    )
    basket = basket_of(database, "cash-race")
    assert basket.status == "completed", basket.reason
    assert {o.settlement_state for o in orders_of(database, "cash-race")} == {"cash-collected"}
    assert ledger_is_balanced(database)

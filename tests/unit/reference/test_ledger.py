"""The reference accounting agent's double-entry ledger: every payment method, at most once, balanced."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agents.reference.accounting import ReferenceAccounting
from agents.reference.entries import ACCOUNTING
from agents.reference.ledger import Ledger, LedgerEntry, LedgerTransaction
from schemas.envelope import new_envelope
from schemas.events import (
    PayeeSplit,
    SettlementAction,
    SettlementCompleted,
    SettlementFailed,
    SettlementRequested,
)
from schemas.values import Money
from schemas.vocabulary import PaymentMethod
from streams.persistence import Database

AGENT = "ledger-pay"
SHOP = "corner-grocer"
COURIER = "swift-courier"


@pytest.fixture
def ledger(database: Database) -> Ledger:
    return Ledger(database, AGENT)  # on the migrated schema (the `database` fixture)


def eur(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="EUR")


def goods_and_delivery(goods: str = "20.00", delivery: str = "4.50") -> list[PayeeSplit]:
    return [
        PayeeSplit(payee_id=SHOP, amount=eur(goods), role="goods"),
        PayeeSplit(payee_id=COURIER, amount=eur(delivery), role="delivery"),
    ]


def request(
    action: SettlementAction | None,
    amount: str = "24.50",
    *,
    order_id: str = "o-1",
    key: str | None = None,
    method: PaymentMethod = PaymentMethod.electronic,
    splits: list[PayeeSplit] | None = None,
    currency: str = "EUR",
    **extra: Any,
) -> SettlementRequested:
    token = "tok_visa_4242" if method == PaymentMethod.electronic and action is not None else None
    fields: dict[str, Any] = {
        "basket_id": "b-1",
        "settlement_id": f"s-{action}-{order_id}-{key}",
        "order_id": order_id,
        "payee_id": SHOP,
        "method": method,
        "amount": Money(amount=Decimal(amount), currency=currency),
        "payer_ref": "payer-9",
        "agent_id": AGENT,
        "action": action,
        "idempotency_key": key if key is not None else f"{order_id}:{action}",
        "payment_token": token,
        "splits": splits if splits is not None else [],
    }
    fields.update(extra)
    return SettlementRequested(**fields)


def completed(answer: SettlementCompleted | SettlementFailed) -> SettlementCompleted:
    assert isinstance(answer, SettlementCompleted), answer
    return answer


def failed(answer: SettlementCompleted | SettlementFailed, *words: str) -> SettlementFailed:
    assert isinstance(answer, SettlementFailed), answer
    for word in words:
        assert word in answer.reason, answer.reason
    return answer


def entry_count(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(LedgerEntry)) or 0


def transaction_count(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(LedgerTransaction)) or 0


def nonzero(ledger: Ledger) -> dict[tuple[str, str], Decimal]:
    return {account: total for account, total in ledger.balances().items() if total != 0}


def authorised_and_captured(ledger: Ledger) -> SettlementCompleted:
    completed(ledger.settle(request("authorise")))
    return completed(ledger.settle(request("capture", splits=goods_and_delivery())))


def test_authorise_then_capture_with_splits_pays_the_provider_and_the_courier(ledger: Ledger) -> None:
    authorised = completed(ledger.settle(request("authorise")))
    assert authorised.outcome == "authorised" and authorised.action == "authorise"
    assert authorised.idempotency_key == "o-1:authorise" and authorised.transaction_id
    assert nonzero(ledger) == {
        ("holds:customer", "EUR"): Decimal("24.50"),
        ("holds:authorised", "EUR"): Decimal("-24.50"),
    }

    captured = completed(ledger.settle(request("capture", splits=goods_and_delivery())))
    assert (captured.outcome, captured.amount, captured.order_id) == ("captured", eur("24.50"), "o-1")
    assert nonzero(ledger) == {
        ("clearing:card", "EUR"): Decimal("24.50"),
        (f"payable:{SHOP}", "EUR"): Decimal("-20.00"),
        (f"payable:{COURIER}", "EUR"): Decimal("-4.50"),
    }
    assert ledger.balances()[("holds:customer", "EUR")] == 0  # the hold was released
    views = ledger.transactions_of("o-1")
    assert [(v.action, v.outcome) for v in views] == [("authorise", "authorised"), ("capture", "captured")]
    assert views[1].transaction_id == captured.transaction_id and len(views[1].lines) == 5
    assert views[1].created_at.utcoffset() is not None
    assert ledger.unbalanced() == []


def test_the_same_request_twice_answers_the_same_and_moves_nothing_more(
    ledger: Ledger, database: Database
) -> None:
    first = authorised_and_captured(ledger)
    balances, entries = ledger.balances(), entry_count(database)
    again = request("capture", splits=goods_and_delivery()).model_copy(update={"settlement_id": "s-retry"})
    second = completed(ledger.settle(again))
    assert second.settlement_id == "s-retry"  # the requester can match the answer to its retry
    assert (second.outcome, second.transaction_id, second.amount) == (
        first.outcome,
        first.transaction_id,
        first.amount,
    )
    assert ledger.balances() == balances and entry_count(database) == entries
    assert transaction_count(database) == 2


def test_the_same_key_for_a_different_request_fails(ledger: Ledger, database: Database) -> None:
    authorised_and_captured(ledger)
    balances, entries = ledger.balances(), entry_count(database)
    answer = ledger.settle(request("capture", "20.00", splits=goods_and_delivery("15.50")))
    failed(answer, "idempotency key", "different request")
    assert answer.idempotency_key == "o-1:capture"
    assert ledger.balances() == balances and entry_count(database) == entries


def test_an_order_is_never_captured_twice_even_under_another_key(ledger: Ledger, database: Database) -> None:
    authorised_and_captured(ledger)
    balances, entries = ledger.balances(), entry_count(database)
    answer = ledger.settle(request("capture", key="another-key", splits=goods_and_delivery()))
    failed(answer, "o-1", "capture")
    failed(ledger.settle(request(None, key="legacy-key")), "capture")  # nor settled at once afterwards
    assert ledger.balances() == balances and entry_count(database) == entries


def test_the_unique_order_action_constraint_holds_when_two_workers_race(
    ledger: Ledger, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    completed(ledger.settle(request("expect-cash", method=PaymentMethod.cash_on_delivery)))
    # the other worker committed between this one's checks and its insert: only the constraint is left
    checks: list[str] = []
    real = Ledger._by_order

    def missed_once(self: Ledger, session: Session, order_id: str, action: str) -> LedgerTransaction | None:
        checks.append(action)
        return None if len(checks) == 1 else real(self, session, order_id, action)

    monkeypatch.setattr(Ledger, "_by_order", missed_once)
    raced = ledger.settle(request("expect-cash", key="k2", method=PaymentMethod.cash_on_delivery))
    failed(raced, "order o-1 already has its expect-cash", "another idempotency key")
    assert checks == ["expect-cash", "expect-cash"] and transaction_count(database) == 1


def test_a_race_on_the_same_key_answers_what_the_other_worker_stored(
    ledger: Ledger, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = completed(ledger.settle(request("authorise")))
    seen: list[str] = []
    real = Ledger._by_key

    def missed_once(self: Ledger, session: Session, key: str) -> LedgerTransaction | None:
        seen.append(key)
        return None if len(seen) == 1 else real(self, session, key)

    monkeypatch.setattr(Ledger, "_by_key", missed_once)
    monkeypatch.setattr(Ledger, "_by_order", lambda self, session, order_id, action: None)
    monkeypatch.setattr(Ledger, "_authorise", lambda self, session, request: ("authorised", []))
    again = completed(ledger.settle(request("authorise")))
    assert again.transaction_id == first.transaction_id and len(seen) == 2
    assert transaction_count(database) == 1


def test_capture_without_authorisation_fails_and_moves_nothing(ledger: Ledger, database: Database) -> None:
    failed(ledger.settle(request("capture")), "never authorised")
    assert ledger.balances() == {} and transaction_count(database) == 0
    completed(ledger.settle(request("authorise", "10.00")))
    failed(ledger.settle(request("capture", "10.01", key="too-much")), "only 10.00 was authorised")
    failed(ledger.settle(request("capture", "5", key="usd", currency="USD")), "in USD", "in EUR")
    captured = completed(ledger.settle(request("capture", "7.00")))  # a partial capture, after refusals
    assert captured.outcome == "captured"


def test_a_refused_request_is_evaluated_afresh_when_retried(ledger: Ledger) -> None:
    failed(ledger.settle(request("capture")), "never authorised")
    completed(ledger.settle(request("authorise")))
    assert completed(ledger.settle(request("capture"))).outcome == "captured"  # the same key as refused


def test_void_after_authorise_releases_the_hold(ledger: Ledger) -> None:
    completed(ledger.settle(request("authorise")))
    voided = completed(ledger.settle(request("void")))
    assert voided.outcome == "voided"
    assert nonzero(ledger) == {}
    failed(ledger.settle(request("capture")), "voided")
    failed(ledger.settle(request("refund")), "voided")
    assert ledger.unbalanced() == []


def test_void_needs_an_authorised_payment(ledger: Ledger) -> None:
    failed(ledger.settle(request("void")), "never authorised")
    authorised_and_captured(ledger)
    failed(ledger.settle(request("void")), "captured, not authorised")


def test_refund_after_capture_returns_payables_and_clearing_to_zero(ledger: Ledger) -> None:
    authorised_and_captured(ledger)
    refunded = completed(ledger.settle(request("refund", splits=goods_and_delivery())))
    assert refunded.outcome == "refunded"
    assert nonzero(ledger) == {}
    balances = ledger.balances()
    for account in ("clearing:card", f"payable:{SHOP}", f"payable:{COURIER}"):
        assert balances[(account, "EUR")] == 0
    failed(ledger.settle(request("refund", key="second-refund")), "refund")
    assert ledger.unbalanced() == []


def test_refund_is_limited_to_what_was_captured(ledger: Ledger) -> None:
    failed(ledger.settle(request("refund")), "never authorised")
    completed(ledger.settle(request("authorise")))
    failed(ledger.settle(request("refund")), "authorised, not captured")
    completed(ledger.settle(request("capture", "20.00")))
    failed(ledger.settle(request("refund", "20.01")), "only 20.00 was captured")
    completed(ledger.settle(request("refund", "5.00", key="partial")))
    assert nonzero(ledger) == {
        ("clearing:card", "EUR"): Decimal("15.00"),
        (f"payable:{SHOP}", "EUR"): Decimal("-15.00"),
    }


def test_cash_on_delivery_is_expected_then_recorded(ledger: Ledger, database: Database) -> None:
    cod = PaymentMethod.cash_on_delivery
    splits = goods_and_delivery()
    failed(ledger.settle(request("record-cash", method=cod, collector_id=COURIER)), "no cash is expected")
    expected = completed(ledger.settle(request("expect-cash", method=cod, splits=splits)))
    assert expected.outcome == "collect-on-delivery" and expected.transaction_id
    assert entry_count(database) == 0 and ledger.balances() == {}  # nothing moved yet
    failed(
        ledger.settle(request("record-cash", "25.00", method=cod, collector_id=COURIER, splits=[])),
        "25.00",
        "more than the 24.50 EUR expected",
    )
    failed(ledger.settle(request("record-cash", method=cod, splits=splits)), "collector_id")
    recorded = completed(
        ledger.settle(request("record-cash", method=cod, collector_id=COURIER, splits=splits))
    )
    assert recorded.outcome == "cash-collected"
    assert nonzero(ledger) == {
        (f"cash:{COURIER}", "EUR"): Decimal("24.50"),
        (f"payable:{SHOP}", "EUR"): Decimal("-20.00"),
        (f"payable:{COURIER}", "EUR"): Decimal("-4.50"),
    }
    again = request("record-cash", key="k-again", method=cod, collector_id=COURIER, splits=splits)
    failed(ledger.settle(again), "record-cash")  # never collected twice
    assert ledger.unbalanced() == []


def test_payment_at_pickup_is_collected_by_the_shop(ledger: Ledger) -> None:
    pickup = PaymentMethod.pay_at_pickup
    expected = completed(ledger.settle(request("expect-cash", "12.00", method=pickup)))
    assert expected.outcome == "collect-at-pickup"
    recorded = completed(ledger.settle(request("record-cash", "12.00", method=pickup, collector_id=SHOP)))
    assert recorded.outcome == "cash-collected"
    assert nonzero(ledger) == {
        (f"cash:{SHOP}", "EUR"): Decimal("12.00"),
        (f"payable:{SHOP}", "EUR"): Decimal("-12.00"),
    }


def test_methods_must_fit_their_actions(ledger: Ledger) -> None:
    failed(ledger.settle(request("expect-cash")), "expect-cash needs cash-on-delivery or pay-at-pickup")
    cash = request("authorise", method=PaymentMethod.cash_on_delivery, payment_token="tok_1")
    failed(ledger.settle(cash), "electronic")
    failed(ledger.settle(request("authorise", payment_token=None)), "payment_token")


def test_settling_at_once_without_an_action_still_works(ledger: Ledger) -> None:
    captured = completed(ledger.settle(request(None, key=None, idempotency_key=None)))
    assert captured.outcome == "captured" and captured.action is None
    assert captured.idempotency_key == captured.settlement_id  # the settlement id is the key
    assert nonzero(ledger) == {
        ("clearing:card", "EUR"): Decimal("24.50"),
        (f"payable:{SHOP}", "EUR"): Decimal("-24.50"),
    }
    assert completed(ledger.settle(request("refund", key="r"))).outcome == "refunded"
    cash = completed(
        ledger.settle(
            request(None, order_id="o-2", method=PaymentMethod.cash_on_delivery, idempotency_key=None)
        )
    )
    assert cash.outcome == "collect-on-delivery"
    recorded = request(
        "record-cash", order_id="o-2", method=PaymentMethod.cash_on_delivery, collector_id=COURIER
    )
    assert completed(ledger.settle(recorded)).outcome == "cash-collected"
    assert ledger.unbalanced() == []


def test_splits_must_sum_to_the_amount_in_its_currency(ledger: Ledger, database: Database) -> None:
    completed(ledger.settle(request("authorise")))
    failed(ledger.settle(request("capture", splits=goods_and_delivery("20.00", "4.00"))), "sum to 24.00")
    usd = [
        PayeeSplit(payee_id=SHOP, amount=eur("20.00")),
        PayeeSplit(payee_id=COURIER, amount=Money(amount=Decimal("4.50"), currency="USD")),
    ]
    failed(ledger.settle(request("capture", key="k-usd", splits=usd)), "EUR", COURIER)
    failed(ledger.settle(request("capture", "0", key="k-zero")), "more than zero")
    assert transaction_count(database) == 1


def test_every_transaction_is_balanced(ledger: Ledger, database: Database) -> None:
    authorised_and_captured(ledger)
    completed(ledger.settle(request("refund", "4.50", splits=goods_and_delivery("0", "4.50"))))
    completed(ledger.settle(request("authorise", order_id="o-3")))
    completed(ledger.settle(request("void", order_id="o-3")))
    assert ledger.unbalanced() == []
    with database.session() as session:  # an altered line is found
        entry = session.scalars(select(LedgerEntry).where(LedgerEntry.credit > 0)).first()
        assert entry is not None
        entry.credit += Decimal("0.01")
        altered = entry.transaction_id
    assert ledger.unbalanced() == [altered]


def test_another_agents_ledger_is_apart(ledger: Ledger, database: Database) -> None:
    authorised_and_captured(ledger)
    other = Ledger(database, "other-agent")
    assert other.balances() == {} and other.transactions_of("o-1") == []
    failed(
        other.settle(request("capture", key="o-1:capture", splits=goods_and_delivery())), "different request"
    )


def test_the_adapter_answers_requests_for_it_and_for_no_agent_only(
    database: Database, ledger: Ledger
) -> None:
    accounting = ReferenceAccounting(ACCOUNTING, database)
    assert accounting.ledger.agent_id == ACCOUNTING.provider_id
    adapter = accounting.adapter()
    assert adapter.provider_id == ACCOUNTING.provider_id and adapter.default_accounting

    def envelope(data: SettlementRequested) -> Any:
        return new_envelope(data, source="urn:test", subject=data.basket_id)

    mine = request("authorise", agent_id=ACCOUNTING.provider_id)
    answers = adapter.answer(envelope(mine))
    assert len(answers) == 1 and completed(answers[0]).outcome == "authorised"  # type: ignore[arg-type]
    unnamed = request("capture", agent_id=None)
    answers = adapter.answer(envelope(unnamed))
    assert len(answers) == 1 and completed(answers[0]).outcome == "captured"  # type: ignore[arg-type]
    other = request("refund", agent_id="someone-else")
    assert adapter.answer(envelope(other)) == []
    assert [v.action for v in accounting.ledger.transactions_of("o-1")] == ["authorise", "capture"]


def test_in_a_worker_the_answer_commits_with_the_ledger(database: Database, ledger: Ledger) -> None:
    accounting = ReferenceAccounting(ACCOUNTING, database)
    data = request("authorise", agent_id=None)
    event = new_envelope(data, source="urn:test", subject=data.basket_id)
    pending = database.handle_once(
        "accounting", event, "urn:kitting:provider:ledger-pay", accounting.on_settlement_requested
    )
    assert pending is not None and len(pending) == 1
    assert database.handle_once("accounting", event, "urn:x", accounting.on_settlement_requested) is None
    other = request("authorise", order_id="o-9", agent_id="someone-else")
    elsewhere = new_envelope(other, source="urn:test", subject=other.basket_id)
    assert database.handle_once("accounting", elsewhere, "urn:x", accounting.on_settlement_requested) == []
    assert [v.outcome for v in accounting.ledger.transactions_of("o-1")] == ["authorised"]

"""How the saga settles an order's payment. Which methods exist, go with which fulfilment and are paid in
cash is the contract's (schemas/vocabulary.py: PAYMENT_RULES); here: the first step of each kind, the
state each outcome leads to, the step under way in each state, and the settlement request itself
(authorise, capture, void or refund an electronic payment, or expect and record cash). The accounting
agent gets amounts and a payment token for this order, sealed to it: no name, address or items."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from agents.ordering.tables import Order
from agents.privacy.audit import record
from agents.privacy.sealing import SealedContactError, seal
from agents.privacy.vault import Vault
from agents.registry.providers import ProviderRow, providers_for
from schemas.events import PayeeSplit, SealedContact, SettlementAction, SettlementRequested
from schemas.providers import ProviderKind
from schemas.values import Money
from schemas.vocabulary import PAYMENT_RULES, DeliveryMethod, PaymentMethod, is_cash
from streams.topics import Topic

OUTCOME_STATE: dict[str, str] = {  # the payment state an accounting agent's outcome moves an order to
    "authorised": "authorised",
    "captured": "captured",
    "voided": "voided",
    "refunded": "refunded",
    "cash-collected": "cash-collected",
    **{rule.collected_as: "cash-due" for rule in PAYMENT_RULES.values() if rule.collected_as},
}
PENDING_ACTION: dict[str, SettlementAction] = {  # the step under way in a payment state
    "authorising": "authorise",
    "capturing": "capture",
    "voiding": "void",
    "refunding": "refund",
    "expecting": "expect-cash",
    "recording": "record-cash",
}


def first_step(payment: PaymentMethod) -> tuple[SettlementAction, str]:
    """How a payment starts when its order is placed (the action, and the payment state it moves to):
    an electronic payment is authorised; cash is announced, to be collected on hand-over."""
    return ("expect-cash", "expecting") if is_cash(payment) else ("authorise", "authorising")


def idempotency_key(order: Order, action: SettlementAction) -> str:
    """One key per order and action: however often the saga asks, money moves once."""
    return f"{order.order_id}:{action}"


def splits_of(order: Order) -> list[PayeeSplit]:
    """The provider is paid for its goods; the delivery fee goes to the courier when one carries it."""

    def money(amount: Decimal) -> Money:
        return Money(amount=amount, currency=order.currency)

    courier = DeliveryMethod(order.delivery_method) is DeliveryMethod.courier and order.carrier_id
    fee_payee = order.carrier_id if courier and order.carrier_id else order.provider_id
    if not order.delivery_fee or fee_payee == order.provider_id:
        return [PayeeSplit(payee_id=order.provider_id, amount=money(order.total_amount), role="goods")]
    return [
        PayeeSplit(payee_id=order.provider_id, amount=money(order.goods_amount), role="goods"),
        PayeeSplit(payee_id=fee_payee, amount=money(order.delivery_fee), role="delivery"),
    ]


def accounting_agent(session: Session, region: str) -> str | None:
    agents = providers_for(session, ProviderKind.accounting, region)
    return agents[0].provider_id if agents else None


def is_accounting_agent_of(session: Session, order: Order, agent_id: str) -> bool:
    """Whether `agent_id` may answer for the order's payment: the agent its first step was asked of, or,
    when that step named none (no agent serves the region), any registered accounting agent."""
    if order.accounting_id:
        return agent_id == order.accounting_id
    row = session.get(ProviderRow, agent_id)
    return row is not None and row.kind == ProviderKind.accounting.value


def settlement_request(
    session: Session, vault: Vault, order: Order, action: SettlementAction
) -> SettlementRequested:
    """Every step of an order goes to the agent of its first step; a refund repays exactly the payees
    the capture (or the cash) paid."""
    method = PaymentMethod(order.payment_method)
    if order.accounting_id is None:
        order.accounting_id = accounting_agent(session, order.region) or ""
    agent_id = order.accounting_id or None
    party = agent_id or "default-accounting-agent"
    splits: list[PayeeSplit] = []
    if action == "refund" and order.splits:
        splits = [PayeeSplit.model_validate(split) for split in json.loads(order.splits)]
    elif action != "authorise":
        splits = splits_of(order)
        if action in ("capture", "record-cash"):
            order.splits = json.dumps([split.model_dump(mode="json") for split in splits])
    reference = vault.reference(session, order.customer_ref, order.order_id, party)
    payment = None if is_cash(method) else sealed_payment(session, vault, order, agent_id)
    request = SettlementRequested(
        basket_id=order.basket_id,
        settlement_id=str(uuid.uuid4()),
        order_id=order.order_id,
        payee_id=order.provider_id,
        method=method,
        amount=Money(amount=order.total_amount, currency=order.currency),
        payer_ref=reference,
        agent_id=agent_id,
        action=action,
        idempotency_key=idempotency_key(order, action),
        payment=payment,
        splits=splits,
        collector_id=order.carrier_id if action == "record-cash" else None,
    )
    record(
        session,
        basket_id=order.basket_id,
        order_id=order.order_id,
        party_id=party,
        party_kind=ProviderKind.accounting.value,
        event_type=f"SettlementRequested:{action}",
        topic=Topic.SETTLEMENT_REQUESTED.topic_name,
        reference=reference,
        fields=(["payment_token"] if payment else []) + ["amount"],
        sealed=payment is not None,
    )
    return request


def sealed_payment(
    session: Session, vault: Vault, order: Order, agent_id: str | None
) -> SealedContact | None:
    """The order's payment token sealed to the agent asked, or, when the region names none, to the
    default agent (the first registered one with a key). None: no agent can read it, and the agent
    refuses the payment, which fails the basket with the reason."""
    row = session.get(ProviderRow, agent_id) if agent_id else _default_agent(session)
    if row is None or not row.public_key:
        return None
    token = vault.payment_token(order.customer_ref, order.order_id)
    try:
        return seal(row.public_key, row.provider_id, {"payment_token": token})
    except SealedContactError:
        return None


def _default_agent(session: Session) -> ProviderRow | None:
    rows = session.scalars(
        select(ProviderRow)
        .where(ProviderRow.kind == ProviderKind.accounting.value, ProviderRow.public_key.is_not(None))
        .order_by(ProviderRow.provider_id)
    )
    return next(iter(rows), None)

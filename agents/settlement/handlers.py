"""Settlement: once a provider confirms an order, ask the accounting agent to settle it."""

from __future__ import annotations

import uuid
from typing import Any

from agents.ordering.tables import order_to_update
from schemas.envelope import Envelope
from schemas.events import OrderConfirmed, PaymentMethod, SettlementRequested
from schemas.values import Money
from streams.persistence import UnitOfWork


def on_order_status(envelope: Envelope[Any], uow: UnitOfWork) -> None:
    if not isinstance(envelope.data, OrderConfirmed):
        return
    order = order_to_update(uow.session, envelope.data.order_id)
    if order.settlement_state != "none":
        return
    order.settlement_state = "requested"
    uow.emit(
        SettlementRequested(
            basket_id=order.basket_id,
            settlement_id=str(uuid.uuid4()),
            order_id=order.order_id,
            payee_id=order.provider_id,
            method=PaymentMethod(order.payment_method),
            amount=Money(amount=order.total_amount, currency=order.currency),
            payer_ref=order.customer_ref,
        )
    )

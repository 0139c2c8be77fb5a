"""A reference accounting agent: captures electronic payments, books cash to collect on hand-over."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agents.providers.registry import Provider
from schemas.envelope import Envelope
from schemas.events import PaymentMethod, SettlementCompleted, SettlementOutcome, SettlementRequested
from streams.persistence import UnitOfWork

OUTCOMES: dict[PaymentMethod, SettlementOutcome] = {
    PaymentMethod.electronic: "captured",
    PaymentMethod.cash_on_delivery: "collect-on-delivery",
    PaymentMethod.pay_at_pickup: "collect-at-pickup",
}


@dataclass(frozen=True)
class ReferenceAccounting:
    info: Provider

    def on_settlement_requested(self, envelope: Envelope[Any], uow: UnitOfWork) -> None:
        request: SettlementRequested = envelope.data
        uow.emit(
            SettlementCompleted(
                basket_id=request.basket_id,
                settlement_id=request.settlement_id,
                order_id=request.order_id,
                outcome=OUTCOMES[request.method],
                amount=request.amount,
            )
        )

"""A reference shop: quotes from its catalog in its own packs, confirms orders, delivers or hands over."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from agents.providers.catalog import Product, quote_line
from agents.providers.registry import ProviderInfo
from schemas.envelope import Envelope
from schemas.events import (
    DeliveryArranged,
    DeliveryMethod,
    DeliveryOption,
    DeliveryRequested,
    OfferLine,
    OrderConfirmed,
    OrderPlaced,
    OrderRejected,
    QuoteOffered,
    QuoteRequested,
)
from schemas.values import Money
from streams.persistence import UnitOfWork, utcnow

OFFER_VALIDITY = timedelta(hours=1)
DELIVERY_TERMS: dict[DeliveryMethod, tuple[Decimal, int]] = {
    DeliveryMethod.courier: (Decimal("4.90"), 24),
    DeliveryMethod.own: (Decimal("3.50"), 48),
    DeliveryMethod.pickup: (Decimal("0.00"), 2),
}


@dataclass(frozen=True)
class ReferenceShop:
    info: ProviderInfo
    catalog: tuple[Product, ...]
    currency: str = "EUR"

    @property
    def provider_id(self) -> str:
        return self.info.provider_id

    def is_mine(self, envelope: Envelope[Any]) -> bool:
        """Quote requests and orders addressed to this shop; deliveries it makes or hands over itself."""
        data = envelope.data
        if isinstance(data, DeliveryRequested):
            return data.carrier_id == self.provider_id
        return getattr(data, "provider_id", None) == self.provider_id

    def on_quote_requested(self, envelope: Envelope[Any], uow: UnitOfWork) -> None:
        request: QuoteRequested = envelope.data
        if not self.is_mine(envelope):
            return
        lines: list[OfferLine] = []
        missing: list[str] = []
        for line in request.lines:
            offer = quote_line(line, self.catalog)
            if offer is None:
                missing.append(line.line_id)
            else:
                lines.append(offer)
        subtotal = Money.zero(self.currency)
        for offer in lines:
            subtotal = subtotal + offer.total
        uow.emit(
            QuoteOffered(
                basket_id=request.basket_id,
                request_id=request.request_id,
                provider_id=self.provider_id,
                lines=lines,
                missing=missing,
                delivery_options=self.delivery_options(),
                payment_methods=list(self.info.payment_methods),
                subtotal=subtotal,
                valid_until=utcnow() + OFFER_VALIDITY,
            )
        )

    def delivery_options(self) -> list[DeliveryOption]:
        return [
            DeliveryOption(
                method=method,
                fee=Money(amount=DELIVERY_TERMS[method][0], currency=self.currency),
                eta_hours=DELIVERY_TERMS[method][1],
            )
            for method in self.info.delivery_methods
        ]

    def on_order_placed(self, envelope: Envelope[Any], uow: UnitOfWork) -> None:
        order: OrderPlaced = envelope.data
        if not self.is_mine(envelope):
            return
        problem = self._order_problem(order)
        if problem:
            uow.emit(
                OrderRejected(
                    basket_id=order.basket_id,
                    order_id=order.order_id,
                    provider_id=self.provider_id,
                    reason=problem,
                )
            )
            return
        uow.emit(
            OrderConfirmed(
                basket_id=order.basket_id,
                order_id=order.order_id,
                provider_id=self.provider_id,
                provider_order_ref=f"{self.provider_id}-{order.order_id[:8]}",
            )
        )

    def _order_problem(self, order: OrderPlaced) -> str | None:
        by_sku = {product.sku: product for product in self.catalog}
        for line in order.lines:
            product = by_sku.get(line.sku)
            if product is None:
                return f"unknown product {line.sku}"
            if line.unit_price != product.price:
                price = product.price
                return f"price of {line.sku} is {price.amount} {price.currency}, not {line.unit_price.amount}"
        if order.delivery.method not in self.info.delivery_methods:
            return f"no {order.delivery.method.value} delivery"
        if order.payment not in self.info.payment_methods:
            return f"{order.payment.value} not accepted"
        return None

    def on_delivery_requested(self, envelope: Envelope[Any], uow: UnitOfWork) -> None:
        """The shop's own delivery and pickup at the shop."""
        request: DeliveryRequested = envelope.data
        if not self.is_mine(envelope):
            return
        uow.emit(
            DeliveryArranged(
                basket_id=request.basket_id,
                delivery_id=request.delivery_id,
                order_id=request.order_id,
                carrier_id=self.provider_id,
                method=request.method,
                expected_at=utcnow() + timedelta(hours=DELIVERY_TERMS[request.method][1]),
            )
        )

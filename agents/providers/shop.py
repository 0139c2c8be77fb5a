"""A reference shop: quotes from its catalog in its own packs (every pack size it has, with stock),
confirms or rejects orders, delivers itself or hands over at its shop."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from agents.providers.reference_shops import Catalog, DeliveryTerms, Product, ProductMatch, ShopProfile
from agents.recipe_units import IncompatibleUnits, convert
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
    PackOption,
    QuoteLine,
    QuoteOffered,
    QuoteRequested,
)
from schemas.values import Money
from streams.persistence import UnitOfWork, utcnow

OFFER_VALIDITY = timedelta(hours=1)


def packs_to_cover(line: QuoteLine, product: Product) -> int | None:
    """Whole packs of `product` that cover the line alone; one when the line gives no quantity; None
    when the line's unit cannot be expressed in the pack's."""
    if line.quantity is None:
        return 1
    try:
        need = convert(line.quantity.amount, line.quantity.unit, product.pack.unit, line.name)
    except IncompatibleUnits:
        return None
    return max(1, math.ceil(need / product.pack.amount))


def offer_line(line: QuoteLine, matches: list[ProductMatch]) -> OfferLine | None:
    """The shop's suggestion (the cheapest single product that covers the line) and every usable pack
    size as an option; None when nothing it sells fits."""
    usable = [(m, packs) for m in matches if (packs := packs_to_cover(line, m.product)) is not None]
    if not usable:
        return None
    best, packs = min(usable, key=lambda mp: (mp[0].product.price.amount * mp[1], mp[0].product.sku))
    product = best.product
    return OfferLine(
        line_id=line.line_id,
        sku=product.sku,
        product=product.name,
        pack=product.pack,
        packs=packs,
        unit_price=product.price,
        total=product.price.times(packs),
        packs_available=product.stock,
        substitute=best.substitute,
        options=[
            PackOption(
                sku=m.product.sku,
                product=m.product.name,
                pack=m.product.pack,
                unit_price=m.product.price,
                packs_available=m.product.stock,
                substitute=m.substitute,
            )
            for m, _ in usable
        ],
    )


def delivery_option(terms: DeliveryTerms, currency: str) -> DeliveryOption:
    return DeliveryOption(
        method=terms.method,
        fee=Money(amount=terms.fee, currency=currency),
        eta_hours=math.ceil(terms.eta_minutes / 60),
        eta_minutes=terms.eta_minutes,
    )


@dataclass(frozen=True)
class ReferenceShop:
    profile: ShopProfile
    catalog: Catalog

    @property
    def provider_id(self) -> str:
        return self.profile.provider_id

    def is_mine(self, envelope: Envelope[Any]) -> bool:
        """Quote requests and orders addressed to this shop; deliveries it makes or hands over itself."""
        data = envelope.data
        if isinstance(data, DeliveryRequested):
            return data.carrier_id == self.provider_id
        return getattr(data, "provider_id", None) == self.provider_id

    def quote(self, request: QuoteRequested) -> QuoteOffered:
        lines: list[OfferLine] = []
        missing: list[str] = []
        for line in request.lines:
            offered = offer_line(line, self.catalog.find(line.name, line.kind))
            if offered is None:
                missing.append(line.line_id)
            else:
                lines.append(offered)
        currency = self.profile.currency
        return QuoteOffered(
            basket_id=request.basket_id,
            request_id=request.request_id,
            provider_id=self.provider_id,
            lines=lines,
            missing=missing,
            delivery_options=[delivery_option(t, currency) for t in self.profile.delivery],
            payment_methods=list(self.profile.payment_methods),
            subtotal=Money(amount=sum((o.total.amount for o in lines), Decimal(0)), currency=currency),
            valid_until=utcnow() + OFFER_VALIDITY,
        )

    def on_quote_requested(self, envelope: Envelope[Any], uow: UnitOfWork) -> None:
        if self.is_mine(envelope):
            uow.emit(self.quote(envelope.data))

    def on_order_placed(self, envelope: Envelope[Any], uow: UnitOfWork) -> None:
        order: OrderPlaced = envelope.data
        if not self.is_mine(envelope):
            return
        problem = self.order_problem(order)
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

    def order_problem(self, order: OrderPlaced) -> str | None:
        by_sku = {product.sku: product for product in self.catalog.products}
        for line in order.lines:
            product = by_sku.get(line.sku)
            if product is None:
                return f"unknown product {line.sku}"
            if line.unit_price != product.price:
                price = product.price
                return f"price of {line.sku} is {price.amount} {price.currency}, not {line.unit_price.amount}"
            if line.packs > product.stock:
                return f"only {product.stock} packs of {line.sku} in stock"
        if order.delivery.method not in self.terms:
            return f"no {order.delivery.method.value} delivery"
        if order.payment not in self.profile.payment_methods:
            return f"{order.payment.value} not accepted"
        return None

    @property
    def terms(self) -> dict[DeliveryMethod, DeliveryTerms]:
        return {t.method: t for t in self.profile.delivery}

    def on_delivery_requested(self, envelope: Envelope[Any], uow: UnitOfWork) -> None:
        """The shop's own delivery and pickup at the shop."""
        request: DeliveryRequested = envelope.data
        if not self.is_mine(envelope):
            return
        terms = self.terms.get(request.method)
        eta = timedelta(minutes=terms.eta_minutes if terms else 0)
        uow.emit(
            DeliveryArranged(
                basket_id=request.basket_id,
                delivery_id=request.delivery_id,
                order_id=request.order_id,
                carrier_id=self.provider_id,
                method=request.method,
                expected_at=utcnow() + eta,
            )
        )

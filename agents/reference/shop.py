"""A reference shop as a provider adapter (agents/providers/sdk/): quotes from its catalog in its own
packs (every pack size it has, with stock), confirms orders or rejects them, whole or line by line.
Its own delivery fleet and its counter are separate adapters (carriers.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from agents.providers.sdk import ProviderAdapter
from agents.reference.catalog import Catalog, Product, ProductMatch
from agents.reference.faults import Faults
from agents.reference.profiles import DeliveryTerms, ShopProfile
from schemas.events import (
    DeliveryOption,
    OfferLine,
    OrderCancelled,
    OrderConfirmed,
    OrderPlaced,
    OrderRejected,
    PackOption,
    QuoteLine,
    QuoteOffered,
    QuoteRequested,
)
from schemas.units import CONTAINERS, COUNTED, IncompatibleUnits, convert, dimension, unit_symbol
from schemas.values import Money
from schemas.vocabulary import DeliveryMethod

OFFER_VALIDITY = timedelta(hours=1)


def packs_to_cover(line: QuoteLine, product: Product) -> int | None:
    """Whole packs of `product` that cover the line alone; one when the line gives no quantity; None
    when the line's amount cannot be told in the pack's unit."""
    if line.quantity is None:
        return 1
    need = amount_in(line, product.pack.unit)
    if need is None:
        container = unit_symbol(line.quantity.unit) in CONTAINERS  # "2 packages": two of its packs
        return max(1, math.ceil(line.quantity.amount)) if container else None
    return max(1, math.ceil(need / product.pack.amount))


def amount_in(line: QuoteLine, unit: str) -> Decimal | None:
    """The line's amount in `unit`: directly when the units convert, else through what the line weighs
    (its grams) and its food's density or piece weight ("2 cloves garlic" in bulbs, "1 cup flour" in g)."""
    assert line.quantity is not None
    kinds = {dimension(line.quantity.unit), dimension(unit)}
    if not (kinds == {"mass", "volume"} and line.density and line.grams is not None):
        try:  # volume and mass convert through the food's own density below, when it is known
            return convert(line.quantity.amount, line.quantity.unit, unit, line.name)
        except IncompatibleUnits:
            pass
    if line.grams is None:
        return None
    kind = dimension(unit)
    if kind == "mass":
        return convert(line.grams, "g", unit)
    if kind == "volume" and line.density:
        return convert(line.grams / line.density, "ml", unit)
    weight = line.piece_grams if unit == "piece" else (line.unit_grams or {}).get(unit)
    return line.grams / weight if unit in COUNTED and weight else None


def offer_line(line: QuoteLine, matches: list[ProductMatch]) -> OfferLine | None:
    """The shop's suggestion (the cheapest single product that covers the line) and every usable pack
    size as an option, each with its concept; None when nothing it sells fits."""
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
        concept=product.concept,
        options=[
            PackOption(
                sku=m.product.sku,
                product=m.product.name,
                pack=m.product.pack,
                unit_price=m.product.price,
                packs_available=m.product.stock,
                substitute=m.substitute,
                concept=m.product.concept,
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
    faults: Faults = field(default_factory=Faults)

    @property
    def provider_id(self) -> str:
        return self.profile.provider_id

    @property
    def terms(self) -> dict[DeliveryMethod, DeliveryTerms]:
        return {t.method: t for t in self.profile.delivery}

    def adapter(self) -> ProviderAdapter:
        """The shop on the provider SDK: quotes, orders and cancellations addressed to it."""
        adapter = ProviderAdapter(self.provider_id)
        adapter.on_quote(self.quote)
        adapter.on_order(self.order)
        adapter.on_cancel(self.cancel)
        return adapter

    def quote(self, request: QuoteRequested) -> QuoteOffered:
        lines: list[OfferLine] = []
        missing: list[str] = []
        for line in request.lines:
            offered = offer_line(line, self.catalog.find(line))
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
            valid_until=datetime.now(UTC) + OFFER_VALIDITY,
        )

    def order(self, order: OrderPlaced) -> OrderConfirmed | OrderRejected | None:
        """Confirmed; rejected whole (a drill, or an order it cannot take at all); rejected for the
        lines it lacks stock for (the others are accepted); or, as a drill, no answer at all."""
        if self.faults.is_silent(self.provider_id):
            return None
        if self.provider_id in self.faults.reject:
            return self._rejected(order, f"{self.profile.name} rejects every order (drill)")
        problem = self.order_problem(order)
        if problem:
            return self._rejected(order, problem)
        short = self.short_lines(order)
        if short:
            return self._rejected(order, "; ".join(short.values()), line_ids=list(short))
        return OrderConfirmed(
            basket_id=order.basket_id,
            order_id=order.order_id,
            provider_id=self.provider_id,
            provider_order_ref=f"{self.provider_id}-{order.order_id[:8]}",
        )

    def cancel(self, cancelled: OrderCancelled) -> None:
        """The reference shop keeps nothing for an order: it just drops it."""
        return None

    def order_problem(self, order: OrderPlaced) -> str | None:
        """Why the whole order cannot be taken, if it cannot."""
        by_sku = {product.sku: product for product in self.catalog.products}
        for line in order.lines:
            product = by_sku.get(line.sku)
            if product is None:
                return f"unknown product {line.sku}"
            if line.unit_price != product.price:
                price = product.price
                return f"price of {line.sku} is {price.amount} {price.currency}, not {line.unit_price.amount}"
        if order.delivery.method not in self.terms:
            return f"no {order.delivery.method.value} delivery"
        if order.payment not in self.profile.payment_methods:
            return f"{order.payment.value} not accepted"
        return None

    def short_lines(self, order: OrderPlaced) -> dict[str, str]:
        """line_id: why, for each line asking more packs than the shop has in stock."""
        by_sku = {product.sku: product for product in self.catalog.products}
        short: dict[str, str] = {}
        for line in order.lines:
            product = by_sku[line.sku]
            if line.packs > product.stock:
                stock = product.stock
                short[line.line_id] = (
                    f"line {line.line_id}: only {stock} packs of {line.sku} in stock, not {line.packs}"
                )
        return short

    def _rejected(self, order: OrderPlaced, reason: str, line_ids: list[str] | None = None) -> OrderRejected:
        return OrderRejected(
            basket_id=order.basket_id,
            order_id=order.order_id,
            provider_id=self.provider_id,
            reason=reason,
            line_ids=line_ids or [],
        )

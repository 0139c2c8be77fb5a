"""A shop's catalog and how it turns a needed quantity into whole packs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from agents.recipe_units import IncompatibleUnits, convert
from schemas.events import OfferLine, QuoteLine
from schemas.values import Money, Quantity


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    keywords: tuple[str, ...]
    pack: Quantity
    price: Money

    def matches(self, component_name: str) -> bool:
        words = set(component_name.lower().replace("-", " ").split())
        return any(keyword in words or keyword in component_name.lower() for keyword in self.keywords)


def packs_needed(line: QuoteLine, product: Product) -> int:
    """Whole packs that cover the line; one pack when the line gives no quantity."""
    if line.quantity is None:
        return 1
    need = convert(line.quantity.amount, line.quantity.unit, product.pack.unit, line.name)
    return max(1, math.ceil(need / product.pack.amount))


def quote_line(line: QuoteLine, catalog: tuple[Product, ...]) -> OfferLine | None:
    """The cheapest product of the catalog that covers the line, or None."""
    best: OfferLine | None = None
    for product in catalog:
        if not product.matches(line.name):
            continue
        try:
            packs = packs_needed(line, product)
        except IncompatibleUnits:
            continue
        offer = OfferLine(
            line_id=line.line_id,
            sku=product.sku,
            product=product.name,
            pack=product.pack,
            packs=packs,
            unit_price=product.price,
            total=product.price.times(packs),
        )
        if best is None or offer.total.amount < best.total.amount:
            best = offer
    return best


def eur(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="EUR")


def qty(amount: str, unit: str) -> Quantity:
    return Quantity(amount=Decimal(amount), unit=unit)


CATALOGS: dict[str, tuple[Product, ...]] = {
    "corner-grocer": (
        Product("CG-FLOUR-1K", "Plain wheat flour 1 kg", ("flour",), qty("1", "kg"), eur("1.19")),
        Product("CG-EGGS-6", "Free-range eggs, 6", ("egg", "eggs"), qty("6", "piece"), eur("2.49")),
        Product("CG-MILK-1L", "Whole milk 1 l", ("milk",), qty("1", "l"), eur("1.15")),
        Product("CG-BUTTER-250", "Unsalted butter 250 g", ("butter",), qty("250", "g"), eur("2.79")),
        Product("CG-SUGAR-1K", "Caster sugar 1 kg", ("sugar",), qty("1", "kg"), eur("1.49")),
        Product("CG-SALT-500", "Fine sea salt 500 g", ("salt",), qty("500", "g"), eur("0.59")),
        Product("CG-OIL-1L", "Sunflower oil 1 l", ("oil",), qty("1", "l"), eur("2.29")),
    ),
    "market-hall": (
        Product("MH-FLOUR-500", "Type 55 flour 500 g", ("flour",), qty("500", "g"), eur("0.89")),
        Product("MH-EGGS-10", "Barn eggs, 10", ("egg", "eggs"), qty("10", "piece"), eur("3.59")),
        Product("MH-MILK-500", "Organic whole milk 500 ml", ("milk",), qty("500", "ml"), eur("0.79")),
        Product("MH-BUTTER-200", "Butter 200 g", ("butter",), qty("200", "g"), eur("2.19")),
        Product("MH-SUGAR-500", "White sugar 500 g", ("sugar",), qty("500", "g"), eur("0.99")),
    ),
}

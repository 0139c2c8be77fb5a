"""What the reference shops sell, as plain data.

Catalogs come from the committed product data (`data/grocery_products.json`, from Open Food Facts,
ODbL 1.0, and `data/hardware_products.json`, hand-written). Each shop carries a fixed subset of those
products, prefers small or large packs, and prices them from a reference price with its own markup and
a per-product variation. Everything is derived by hashing, so every run builds the same catalogs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources
from typing import Any

from agents.reference.matching import Phrase, Scored, parse_phrase, rank
from agents.reference.profiles import GROCERY, HARDWARE, RANGES, ShopRange, profile_of
from schemas.events import ComponentKind
from schemas.units import convert, dimension
from schemas.values import Money, Quantity

_DATA_FILES = {GROCERY: "grocery_products.json", HARDWARE: "hardware_products.json"}


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    pack: Quantity  # what one pack holds, Kitting unit symbol
    price: Money  # one pack
    stock: int  # packs on hand
    category: str  # "grocery" | "hardware"
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class ProductMatch:
    product: Product
    score: float
    substitute: bool


class Catalog:
    """A shop's products and the search over them."""

    def __init__(self, products: Iterable[Product]) -> None:
        self.products: tuple[Product, ...] = tuple(products)
        self._phrases: tuple[tuple[Phrase, ...], ...] = tuple(
            tuple(phrase for phrase in map(parse_phrase, product.keywords) if phrase is not None)
            for product in self.products
        )

    def find(
        self, name: str, kind: ComponentKind = ComponentKind.ingredient, limit: int = 3
    ) -> list[ProductMatch]:
        """The best matching products (several pack sizes of the same thing where the shop has them),
        best first; [] when none. Ingredients are looked for among groceries only."""
        candidates = [
            phrases if kind != ComponentKind.ingredient or product.category == GROCERY else ()
            for product, phrases in zip(self.products, self._phrases, strict=True)
        ]
        chosen = _varied_packs(rank(name, candidates), self.products, limit)
        return [ProductMatch(self.products[hit.index], hit.score, hit.substitute) for hit in chosen]


def _varied_packs(ranked: list[Scored], products: Sequence[Product], limit: int) -> list[Scored]:
    """Up to `limit` matches, exact ones before substitutes, preferring different pack sizes."""
    chosen: list[Scored] = []
    for substitute in (False, True):
        group = [hit for hit in ranked if hit.substitute is substitute]
        packs: set[tuple[str, Decimal]] = set()
        first_pass = []
        for hit in group:
            pack = products[hit.index].pack
            if (pack.unit, pack.amount) not in packs:
                packs.add((pack.unit, pack.amount))
                first_pass.append(hit)
        rest = [hit for hit in group if hit not in first_pass]
        chosen.extend(first_pass + rest)
    return sorted(chosen[: max(0, limit)], key=lambda hit: (hit.substitute, -hit.score, hit.index))


def _fraction(*parts: str) -> Decimal:
    """A fixed number in [0, 1) from the parts: the same every run, on every machine."""
    digest = hashlib.sha256(":".join(parts).encode()).hexdigest()
    return Decimal(int(digest[:8], 16)) / Decimal(2**32)


@cache
def _load(category: str) -> tuple[dict[str, Any], ...]:
    path = resources.files("agents.reference").joinpath("data", _DATA_FILES[category])
    return tuple(json.loads(path.read_text(encoding="utf-8"))["products"])


def _size(item: dict[str, Any]) -> tuple[str, Decimal]:
    """The pack's dimension and its content in that dimension's base unit, to compare pack sizes."""
    amount, unit = Decimal(item["pack"]["quantity"]), item["pack"]["unit"]
    kind = dimension(unit)
    base = {"mass": "g", "volume": "ml", "length": "m"}.get(kind)
    return kind, convert(amount, unit, base) if base else amount


def _preferred_sizes(items: list[dict[str, Any]], packs: str) -> list[dict[str, Any]]:
    """The items whose pack sizes the shop stocks: the smaller or larger half of each kind's sizes."""
    if packs == "any":
        return items
    groups: dict[tuple[str, str], list[Decimal]] = {}
    for item in items:
        kind, amount = _size(item)
        groups.setdefault((item.get("generic") or item["keywords"][0], kind), []).append(amount)
    kept = []
    for item in items:
        kind, amount = _size(item)
        sizes = sorted(set(groups[(item.get("generic") or item["keywords"][0], kind)]))
        middle = sizes[(len(sizes) - 1) // 2] if packs == "small" else sizes[len(sizes) // 2]
        if (amount <= middle) if packs == "small" else (amount >= middle):
            kept.append(item)
    return kept


def _product(shop: str, terms: ShopRange, category: str, item: dict[str, Any]) -> Product:
    code = item["code"]
    variation = Decimal("0.94") + Decimal("0.12") * _fraction("price", shop, code)
    price = (Decimal(item["reference_price"]) * terms.markup * variation).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    low, high = terms.stock
    stock = low + int(_fraction("stock", shop, code) * (high - low + 1))
    name = f"{item['name']} ({item['brand']})" if item.get("brand") else item["name"]
    return Product(
        sku=f"{terms.prefix}-{code}",
        name=name,
        pack=Quantity(amount=Decimal(item["pack"]["quantity"]), unit=item["pack"]["unit"]),
        price=Money(amount=max(Decimal("0.10"), price), currency="EUR"),
        stock=stock,
        category=category,
        keywords=tuple(item["keywords"]),
    )


@cache
def catalog_of(provider_id: str) -> Catalog:
    """The catalog of a reference shop; KeyError for an id that is none of them."""
    shop, terms = profile_of(provider_id), RANGES[provider_id]
    products: list[Product] = []
    for category in sorted(shop.categories):
        carried = [
            item
            for item in _load(category)
            if _fraction("range", provider_id, item["code"])
            < (terms.core_share if item["core"] else terms.share)
        ]
        products.extend(
            _product(provider_id, terms, category, item) for item in _preferred_sizes(carried, terms.packs)
        )
    return Catalog(products)

"""What each reference shop stocks and at which price, from the committed product data.

`data/grocery_products.json.gz` holds several thousand real products (Open Food Facts exports and
product names, ODbL 1.0, Open Food Facts contributors; Datakick, CC0) and Kitting's hand-written
staples; `data/hardware_products.json` hand-written supplies and tools. Every product names its
concept. Built by `tools/build_reference_catalogs.py`, never at run time.

Each shop carries its own share of the products (staples and the items the demo pages need more
often), the smaller or larger of each kind's pack sizes, and prices them from the reference price
with its own markup and a per-product variation. Everything is derived by hashing, so every run
builds the same catalogs.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources
from typing import Any

from agents.reference.catalog import Catalog, Product
from agents.reference.profiles import GROCERY, HARDWARE, RANGES, ShopRange, profile_of
from schemas.units import convert, dimension
from schemas.values import Money, Quantity

_DATA_FILES = {GROCERY: "grocery_products.json.gz", HARDWARE: "hardware_products.json"}


def _fraction(*parts: str) -> Decimal:
    """A fixed number in [0, 1) from the parts: the same every run, on every machine."""
    digest = hashlib.sha256(":".join(parts).encode()).hexdigest()
    return Decimal(int(digest[:8], 16)) / Decimal(2**32)


@cache
def product_data(category: str) -> tuple[dict[str, Any], ...]:
    """The committed products of a category, as the build tool wrote them."""
    raw = resources.files("agents.reference").joinpath("data", _DATA_FILES[category]).read_bytes()
    document = json.loads(gzip.decompress(raw) if _DATA_FILES[category].endswith(".gz") else raw)
    return tuple(document["products"])


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
        groups.setdefault((item["concept"], kind), []).append(amount)
    kept = []
    for item in items:
        kind, amount = _size(item)
        sizes = sorted(set(groups[(item["concept"], kind)]))
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
        concept=item["concept"],
        keywords=(item["name"],),
    )


@cache
def catalog_of(provider_id: str) -> Catalog:
    """The catalog of a reference shop; KeyError for an id that is none of them."""
    shop, terms = profile_of(provider_id), RANGES[provider_id]
    products: list[Product] = []
    for category in sorted(shop.categories):
        carried = [
            item
            for item in product_data(category)
            if _fraction("range", provider_id, item["code"])
            < (terms.core_share if item.get("core") else terms.share)
        ]
        products.extend(
            _product(provider_id, terms, category, item) for item in _preferred_sizes(carried, terms.packs)
        )
    return Catalog(products)

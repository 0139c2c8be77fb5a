"""A shop's products and the search over them: what it can offer for a quote line, exact products first.

A product carries its concept (schemas/concepts.py). For a line that says what it needs, the products
of that concept or below it are looked at first, the closest kind first ("olive oil" before "extra
virgin olive oil"); each is judged with schemas/fitting.py, as Kitting will judge it. Only when none
fits exactly does the shop look one or two steps up for neighbours, offered as substitutes with their
reason. A line without a concept is looked for by its words (matching.py) and judged by the names.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from agents.reference.matching import parse_phrase, score_phrase
from agents.reference.profiles import GROCERY
from schemas.concepts import HUBS, MAX_SHARED_DESCENDANTS, MAX_SUBSTITUTE_STEPS, taxonomy
from schemas.events import ComponentKind, QuoteLine
from schemas.fitting import Fit, fit
from schemas.units import convert, dimension
from schemas.values import Money, Quantity

LOOKED_AT = 60  # products judged per line at most, closest kinds first: enough for every pack size
MATCHES_KEPT = 4096  # needs a catalog has answered, by what its answer depends on (a repeat costs a lookup)


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    pack: Quantity  # what one pack holds, Kitting unit symbol
    price: Money  # one pack
    stock: int  # packs on hand
    category: str  # "grocery" | "hardware"
    concept: str | None = None  # what it is, a concept of the taxonomy
    keywords: tuple[str, ...] = ()  # words it is found by when a line has no concept


@dataclass(frozen=True)
class ProductMatch:
    product: Product
    fit: Fit

    @property
    def substitute(self) -> bool:
        return not self.fit.exact


class Catalog:
    """A shop's products, found by concept (the product's and every one above it) and by head word.
    The products never change, so the answer for a need is kept: "1 tsp salt" in the next recipe costs
    a dictionary lookup, not a search."""

    def __init__(self, products: Iterable[Product]) -> None:
        self.products: tuple[Product, ...] = tuple(products)
        self._found = lru_cache(maxsize=MATCHES_KEPT)(self._search_need)
        tx = taxonomy()
        self._under: dict[str, list[int]] = defaultdict(list)
        self._by_head: dict[str, list[int]] = defaultdict(list)
        for index, product in enumerate(self.products):
            if product.concept in tx:
                assert product.concept is not None
                for concept in (product.concept, *tx.ancestors(product.concept)):
                    self._under[concept].append(index)
            for keyword in product.keywords or (product.name,):
                phrase = parse_phrase(keyword)
                if phrase is not None:
                    self._by_head[phrase.head[-1]].append(index)

    def find(self, line: QuoteLine, limit: int = 4) -> list[ProductMatch]:
        """Up to `limit` products for the line, in different pack sizes where the shop has them: the
        exact ones, or when there are none the substitutes; [] when nothing fits."""
        need = (line.kind, line.concept, line.name, line.diet, line.fresh, line.broader)
        return list(self._found(need, limit))

    def forget(self) -> None:
        """Forget the answers kept (a benchmark's cold start)."""
        self._found.cache_clear()

    def _search_need(self, need: tuple[Any, ...], limit: int) -> tuple[ProductMatch, ...]:
        """The search for a need given by the only fields it reads, so nothing else can change its
        answer and the answer can be kept."""
        kind, concept, name, diet, fresh, broader = need
        line = QuoteLine(line_id="need", name=name, kind=kind, concept=concept, diet=diet, fresh=fresh,
                         broader=broader)  # fmt: skip
        return tuple(self._search(line, limit))

    def _search(self, line: QuoteLine, limit: int) -> list[ProductMatch]:
        """`find` without the kept answers."""
        substitutes: list[ProductMatch] = []
        exact: list[ProductMatch] = []
        for index in self._candidates(line):
            product = self.products[index]
            if line.kind is ComponentKind.ingredient and product.category != GROCERY:
                continue
            judged = fit(line, product.concept, product.name)
            if judged.exact:
                exact.append(ProductMatch(product, judged))
            elif judged.kind == "substitute":
                substitutes.append(ProductMatch(product, judged))
        substitutes.sort(key=lambda match: not match.fit.similar)  # the closest neighbours first
        return varied_packs(self._closest(exact, line) or substitutes, limit)

    def _closest(self, exact: list[ProductMatch], line: QuoteLine) -> list[ProductMatch]:
        """The exact products of the kind closest to the need: for "salt", salt rather than celery
        salt, which is a salt too; for "light brown sugar", brown sugar rather than muscovado."""
        if line.concept not in taxonomy():
            return exact
        assert line.concept is not None
        tiers: dict[int, list[ProductMatch]] = defaultdict(list)
        for match in exact:
            tiers[self._steps(match.product, line.concept)].append(match)
        return tiers[min(tiers)] if tiers else []

    def _candidates(self, line: QuoteLine) -> Iterator[int]:
        """Products worth judging, the closest kinds first: the need's concept and below, then its
        neighbours under a close parent, then (for a line without a known concept) by head word."""
        tx = taxonomy()
        seen: set[int] = set()
        if line.concept in tx:
            assert line.concept is not None
            below = sorted(self._under.get(line.concept, ()), key=lambda i: self._distance(i, line.concept))
            yield from self._first(below, seen)
            parents = sorted(
                (steps, parent)
                for parent, steps in tx.ancestors(line.concept).items()
                if steps <= MAX_SUBSTITUTE_STEPS
                and parent not in HUBS
                and tx.descendants(parent) <= MAX_SHARED_DESCENDANTS
            )
            for _, parent in parents:
                yield from self._first(self._under.get(parent, ()), seen)
            return
        phrase = parse_phrase(line.name)
        if phrase is None:
            return
        scored = []
        for index in self._by_head.get(phrase.head[-1], ()):
            product = self.products[index]
            best = max(
                (s[0] for k in product.keywords or (product.name,) if (p := parse_phrase(k)) is not None
                 if (s := score_phrase(phrase, p)) is not None),
                default=None,
            )  # fmt: skip
            if best is not None:
                scored.append((-best, index))
        yield from self._first([index for _, index in sorted(scored)], seen)

    def _first(self, indices: Iterable[int], seen: set[int]) -> Iterator[int]:
        count = 0
        for index in indices:
            if index not in seen:
                seen.add(index)
                yield index
                count += 1
                if count >= LOOKED_AT:
                    return

    def _distance(self, index: int, concept: str) -> tuple[int, Decimal, str]:
        product = self.products[index]
        return self._steps(product, concept), product.price.amount, product.sku

    @staticmethod
    def _steps(product: Product, concept: str) -> int:
        """How many steps below `concept` the product's kind is."""
        if product.concept == concept or product.concept is None:
            return 0
        return taxonomy().ancestors(product.concept).get(concept, 99)


def varied_packs(matches: list[ProductMatch], limit: int) -> list[ProductMatch]:
    """Up to `limit` matches, in their order, different pack sizes first."""
    packs: set[tuple[str, Decimal]] = set()
    first: list[ProductMatch] = []
    rest: list[ProductMatch] = []
    for match in matches:
        size = _size(match.product.pack)
        (rest if size in packs else first).append(match)
        packs.add(size)
    return (first + rest)[: max(0, limit)]


def _size(pack: Quantity) -> tuple[str, Decimal]:
    base = {"mass": "g", "volume": "ml", "length": "m"}.get(dimension(pack.unit))
    return (base or pack.unit), (convert(pack.amount, pack.unit, base) if base else pack.amount)

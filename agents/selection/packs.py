"""Pack rounding: the cheapest whole number of packs of one provider that covers one need.

Exact. Pack quantities are brought into one common unit (the most common pack unit, so the usual case
needs a single conversion, of the need), then the combinations are enumerated within bounds: no option
is ever worth more than ceil(need / pack) packs (drop one and the rest still covers, at no more cost
and less leftover), and for the last option only the smallest covering count is worth trying. When that
search would still be large, a tiny MILP (scipy's HiGHS) does the same on integer-scaled quantities.
Ties: less leftover, then fewer packs, then more of the earlier SKUs."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from itertools import product
from operator import mul

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from agents.selection.model import Need, PackOption
from schemas.units import CONTAINERS, IncompatibleUnits, convert, dimension, unit_symbol

NO_OFFER = "no offer"
NO_STOCK = "not enough stock"
NO_CONVERSION = "units cannot be converted"

# Converted quantities may carry rounding in their last digits: a shortfall smaller than this still covers.
EPSILON = Decimal("1e-9")
ENUMERATION_LIMIT = 20_000  # combinations beyond which the MILP takes over

# (cost, leftover, packs, minus the counts in SKU order): the smallest is the best plan
Key = tuple[int, int, int, tuple[int, ...]]


@dataclass(frozen=True)
class PackCount:
    """Packs of one option in a plan; leftover is what this option's packs hold beyond the need once the
    earlier SKUs of the plan are used up, in its own pack unit (None when the need had no quantity)."""

    option: PackOption
    packs: int
    leftover: Decimal | None


@dataclass(frozen=True)
class PackPlan:
    counts: tuple[PackCount, ...]  # options with at least one pack, in SKU order
    cost: Decimal

    @property
    def packs(self) -> int:
        return sum(c.packs for c in self.counts)


@dataclass(frozen=True)
class NoPlan:
    reason: str  # NO_OFFER, NO_STOCK or NO_CONVERSION


@lru_cache(maxsize=1024)
def symbol(unit: str | None) -> str:
    """Kitting's symbol for a written unit; no unit means pieces; an unknown unit stays as written."""
    if unit is None:
        return "piece"
    return unit_symbol(unit) or unit.strip().lower()


@lru_cache(maxsize=4096)
def _factor(unit: str, to_unit: str, name: str) -> Decimal:
    """How many `to_unit` one `unit` is (every Kitting unit converts linearly)."""
    return convert(Decimal(1), unit, to_unit, name)


def in_unit(amount: Decimal, unit: str, to_unit: str, name: str = "") -> Decimal:
    """`amount unit` in `to_unit`; raises IncompatibleUnits."""
    return amount if unit == to_unit else amount * _factor(unit, to_unit, name)


def food_in_unit(need: Need, amount: Decimal, unit: str, to_unit: str) -> Decimal:
    """`amount unit` of the need's food in `to_unit`: directly when the units convert, else through
    its weight (a piece weighs its piece weight, a millilitre its density): a garlic bulb in grams, a
    250 g net in bulbs. Raises IncompatibleUnits when neither way works."""
    kinds = {dimension(unit), dimension(to_unit)}
    if kinds == {"mass", "volume"} and need.density:  # the food's own density before the name table's
        grams = _grams(need, amount, unit)
        converted = _from_grams(need, grams, to_unit) if grams is not None else None
        if converted is not None:
            return tidy(converted)
    try:
        return in_unit(amount, unit, to_unit, need.name)
    except IncompatibleUnits:
        grams = _grams(need, amount, unit)
        converted = _from_grams(need, grams, to_unit) if grams is not None else None
        if converted is None:
            raise
        return tidy(converted)


def need_in_unit(need: Need, to_unit: str) -> Decimal:
    """The need's quantity in `to_unit`, through what it weighs when its own unit does not convert
    ("2 cloves" is 6 g); raises IncompatibleUnits."""
    assert need.quantity is not None
    try:
        return food_in_unit(need, need.quantity, symbol(need.unit), to_unit)
    except IncompatibleUnits:
        converted = _from_grams(need, need.grams, to_unit) if need.grams is not None else None
        if converted is None:
            raise
        return tidy(converted)


def _grams(need: Need, amount: Decimal, unit: str) -> Decimal | None:
    kind = dimension(unit)
    if kind == "mass":
        return in_unit(amount, unit, "g")
    if kind == "volume" and need.density:
        return in_unit(amount, unit, "ml") * need.density
    weight = need.unit_weight(unit)
    return amount * weight if weight else None


def _from_grams(need: Need, grams: Decimal, unit: str) -> Decimal | None:
    kind = dimension(unit)
    if kind == "mass":
        return in_unit(grams, "g", unit)
    if kind == "volume" and need.density:
        return in_unit(grams / need.density, "ml", unit)
    weight = need.unit_weight(unit)
    return grams / weight if weight else None


def tidy(amount: Decimal) -> Decimal:
    """At most six decimals, in plain notation (conversions leave long tails and exponents)."""
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -6:
        amount = amount.quantize(Decimal("1e-6"))
    return Decimal(format(amount, "f"))


def decimal_places(amount: Decimal) -> int:
    """Digits after the point (0 for whole numbers, however written)."""
    if amount == amount.to_integral_value():
        return 0
    exponent = amount.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def round_packs(need: Need, options: Sequence[PackOption]) -> PackPlan | NoPlan:
    """The best plan for `need` from `options` (one provider's options for the line), or why none."""
    options = sorted(options, key=lambda o: o.sku)
    if not options:
        return NoPlan(NO_OFFER)
    if need.quantity is None:
        return _one_pack(options)
    _, needed, sizes = _in_common_unit(need, options)
    if not sizes:
        return NoPlan(NO_CONVERSION)
    usable = [(o, size) for o, size in sizes if o.packs_available != 0]
    problem = Problem.scaled(needed, usable)
    if not problem.feasible():
        return NoPlan(NO_STOCK)
    return _plan(needed, usable, problem.search())


def _one_pack(options: Sequence[PackOption]) -> PackPlan | NoPlan:
    in_stock = [o for o in options if o.packs_available != 0]
    if not in_stock:
        return NoPlan(NO_STOCK)
    cheapest = min(in_stock, key=lambda o: o.pack_price)  # the first SKU among equals: min is stable
    return PackPlan((PackCount(cheapest, 1, None),), cheapest.pack_price)


def _in_common_unit(
    need: Need, options: Sequence[PackOption]
) -> tuple[str, Decimal, list[tuple[PackOption, Decimal]]]:
    """(common unit, need in it, [(option, pack quantity in it)] for the options that convert)."""
    assert need.quantity is not None
    need_unit = symbol(need.unit)
    units = Counter(symbol(o.pack_unit) for o in options)
    for common, _ in units.most_common():
        try:
            needed = need_in_unit(need, common)
        except IncompatibleUnits:
            continue
        sizes = [(o, size) for o in options if (size := _size_in(need, o, common)) is not None]
        return common, needed, sizes
    if need_unit in CONTAINERS:  # "2 packages of tofu": two of whatever packs the shop sells it in
        return need_unit, need.quantity, [(o, Decimal(1)) for o in options]
    return need_unit, need.quantity, []


def _size_in(need: Need, option: PackOption, unit: str) -> Decimal | None:
    """The option's pack quantity in `unit`, or None when it cannot be expressed in it."""
    try:
        return food_in_unit(need, option.pack_quantity, symbol(option.pack_unit), unit)
    except IncompatibleUnits:
        return None


@dataclass(frozen=True)
class Problem:
    """One rounding problem in exact integers: quantities in 1/10^k of the common unit, prices in
    1/10^m of the currency; `slack` is EPSILON in those units."""

    needed: int
    sizes: list[int]
    prices: list[int]
    bounds: list[int]  # packs worth considering per option
    slack: int

    @classmethod
    def scaled(cls, needed: Decimal, usable: list[tuple[PackOption, Decimal]]) -> Problem:
        places = max(decimal_places(q) for q in [needed, *(size for _, size in usable)])
        price_places = max([0, *(decimal_places(o.pack_price) for o, _ in usable)])
        sizes = [int(size.scaleb(places)) for _, size in usable]
        whole_need, slack = int(needed.scaleb(places)), int(EPSILON.scaleb(places))
        bounds = [
            _fewest(whole_need, size, slack)
            if option.packs_available is None
            else min(_fewest(whole_need, size, slack), option.packs_available)
            for (option, _), size in zip(usable, sizes, strict=True)
        ]  # never more packs than cover the need alone (drop one and the rest still covers), nor than stock
        prices = [int(o.pack_price.scaleb(price_places)) for o, _ in usable]
        return cls(whole_need, sizes, prices, bounds, slack)

    def feasible(self) -> bool:
        return sum(s * n for s, n in zip(self.sizes, self.bounds, strict=True)) >= self.needed - self.slack

    def search(self) -> list[int]:
        """Pack counts per option of the best covering combination."""
        order = sorted(range(len(self.sizes)), key=lambda i: self.bounds[i])  # largest range last
        if math.prod(self.bounds[i] + 1 for i in order[:-1]) > ENUMERATION_LIMIT:
            return milp_counts(self)
        return self._enumerate(order)

    def _enumerate(self, order: list[int]) -> list[int]:
        """Every count of the free options (the last option takes the fewest packs that then cover)."""
        *free, last = order
        needed, slack, last_size, last_price = self.needed, self.slack, self.sizes[last], self.prices[last]
        free_sizes = [self.sizes[i] for i in free]
        free_prices = [self.prices[i] for i in free]
        best: Key | None = None
        best_counts: list[int] = []
        for combo in product(*(range(self.bounds[i], -1, -1) for i in free)):
            held = sum(map(mul, combo, free_sizes))
            packs = _fewest(needed - held, last_size, slack)
            if packs > self.bounds[last]:
                continue
            cost = sum(map(mul, combo, free_prices)) + last_price * packs
            if best is not None and cost > best[0]:
                continue
            counts = [0] * len(self.sizes)
            for index, count in zip(free, combo, strict=True):
                counts[index] = count
            counts[last] = packs
            key = (cost, held + last_size * packs - needed, sum(counts), tuple(-n for n in counts))
            if best is None or key < best:
                best, best_counts = key, counts
        return best_counts


def _fewest(remaining: int, size: int, slack: int) -> int:
    """The fewest packs of `size` that cover `remaining` (short by at most `slack`)."""
    return -((slack - remaining) // size) if remaining > slack else 0


def milp_counts(problem: Problem) -> list[int]:
    """The same search as a MILP in three lexicographic stages (cost, then quantity, then packs). Floats
    hold integers exactly below 2^53: larger quantities are scaled down, the need rounded up and the
    packs down, so a plan found here always covers."""
    shift = 10 ** max(0, len(str(max(problem.needed, *problem.sizes))) - 15)
    needed = float(-(-problem.needed // shift))
    sizes = np.array([float(s // shift) for s in problem.sizes])
    count = len(sizes)
    stages = [np.array([float(p) for p in problem.prices]), sizes, np.ones(count)]
    rows, lower, upper = [sizes], [needed], [np.inf]
    solution = np.zeros(count)
    for objective in stages:
        result = milp(
            objective,
            integrality=np.ones(count),
            bounds=Bounds(np.zeros(count), np.array(problem.bounds, dtype=float)),
            constraints=LinearConstraint(np.vstack(rows), np.array(lower), np.array(upper)),
            options={"mip_rel_gap": 0.0},
        )
        if result.x is None:
            break
        solution = result.x
        rows.append(objective)
        lower.append(-np.inf)
        upper.append(round(float(result.fun)) + 0.5)
    return [round(float(x)) for x in solution]


def _plan(needed: Decimal, usable: list[tuple[PackOption, Decimal]], counts: list[int]) -> PackPlan | NoPlan:
    """The plan for these counts (`usable`: each option with its pack in the common unit), leftovers
    shared out in SKU order and told in each pack's own unit; NoPlan if they do not cover."""
    sizes_total = Decimal(0)
    remaining = needed
    chosen = []
    for (option, size), packs in zip(usable, counts, strict=True):
        if packs == 0:
            continue
        held = size * packs
        sizes_total += held
        used = min(held, max(remaining, Decimal(0)))
        remaining -= used
        spare = (held - used) / size * option.pack_quantity if held > used else Decimal(0)
        chosen.append((option, packs, spare))
    if sizes_total < needed - EPSILON:
        return NoPlan(NO_STOCK)
    cost = sum((o.pack_price * n for o, n, _ in chosen), Decimal(0))
    return PackPlan(tuple(PackCount(o, n, _plain(tidy(spare))) for o, n, spare in chosen), cost)


def _plain(amount: Decimal) -> Decimal:
    """3.0 -> 3, 0.50 -> 0.5: no trailing zeros, in plain notation."""
    return Decimal(format(amount.normalize(), "f"))

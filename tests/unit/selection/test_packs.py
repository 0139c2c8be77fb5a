"""Pack rounding: the cheapest whole packs of one provider that cover one need."""

from __future__ import annotations

import itertools
import random
from decimal import Decimal

import pytest

from agents.selection import packs
from agents.selection.optimise import Need, PackOption
from agents.selection.packs import NoPlan, PackPlan, Problem, milp_counts, round_packs

D = Decimal


def plan_of(need: Need, *options: PackOption) -> PackPlan:
    plan = round_packs(need, list(options))
    assert isinstance(plan, PackPlan), plan
    return plan


def counts(plan: PackPlan) -> dict[str, int]:
    return {c.option.sku: c.packs for c in plan.counts}


def test_one_pack_covers_with_leftover() -> None:
    plan = plan_of(
        Need("flour", D(300), "grams", "flour"), PackOption("flour", "f500", D(500), "g", D("0.89"))
    )
    assert counts(plan) == {"f500": 1} and plan.cost == D("0.89")
    assert plan.counts[0].leftover == D(200)


def test_two_small_packs_beat_one_big() -> None:
    plan = plan_of(
        Need("eggs", D(9), None),
        PackOption("eggs", "dozen", D(12), "piece", D("3.60")),
        PackOption("eggs", "six", D(6), "pcs", D("1.50")),
    )
    assert counts(plan) == {"six": 2} and plan.cost == D("3.00") and plan.counts[0].leftover == D(3)


def test_ties_prefer_less_leftover_then_fewer_packs() -> None:
    need = Need("x", D(4), "piece")
    plan = plan_of(need, PackOption("x", "a", D(5), "piece", D(2)), PackOption("x", "b", D(2), "piece", D(1)))
    assert counts(plan) == {"b": 2}  # same cost as 1 x 5, no leftover
    plan = plan_of(need, PackOption("x", "a", D(4), "piece", D(2)), PackOption("x", "b", D(2), "piece", D(1)))
    assert counts(plan) == {"a": 1}  # same cost and leftover, fewer packs


def test_stock_limits_force_a_mix_or_fail() -> None:
    need = Need("x", D(10), "piece")
    small = PackOption("x", "small", D(4), "piece", D(1), packs_available=2)
    large = PackOption("x", "large", D(10), "piece", D(5))
    plan = plan_of(need, small, large)
    assert counts(plan) == {"large": 1}
    mixed = plan_of(need, small, PackOption("x", "mid", D(3), "piece", D(2)))
    assert counts(mixed) == {"small": 2, "mid": 1} and mixed.cost == D(4)
    assert round_packs(need, [small]) == NoPlan("not enough stock")
    assert round_packs(need, [PackOption("x", "gone", D(10), "piece", D(1), packs_available=0)]) == NoPlan(
        "not enough stock"
    )


def test_density_converts_cups_to_grams() -> None:
    # 2 cups of flour: 2 x 236.588 ml x 0.53 g/ml = 250.78 g
    plan = plan_of(
        Need("flour", D(2), "cups", "plain flour"),
        PackOption("flour", "kilo", D(1), "kg", D("0.89")),
        PackOption("flour", "hundred", D(100), "g", D("0.20")),
    )
    assert counts(plan) == {"hundred": 3}
    assert plan.counts[0].leftover is not None and D("49.2") < plan.counts[0].leftover < D("49.3")


def test_mass_units_mix_and_leftover_is_in_each_pack_unit() -> None:
    plan = plan_of(
        Need("sugar", D("1.2"), "kg"),
        PackOption("sugar", "a-kilo", D(1), "kg", D(1)),
        PackOption("sugar", "b-250", D(250), "g", D("0.30")),
    )
    assert counts(plan) == {"a-kilo": 1, "b-250": 1}
    assert [c.leftover for c in plan.counts] == [D(0), D(50)]


def test_incompatible_units_make_an_option_unusable() -> None:
    need = Need("milk", D(1), "l", "milk")
    assert round_packs(need, [PackOption("milk", "carton", D(1), "piece", D(1))]) == NoPlan(
        "units cannot be converted"
    )
    plan = plan_of(
        need,
        PackOption("milk", "carton", D(1), "piece", D(0)),
        PackOption("milk", "bottle", D(500), "ml", D(1)),
    )
    assert counts(plan) == {"bottle": 2}


def test_need_without_quantity_takes_one_cheapest_pack() -> None:
    plan = plan_of(
        Need("salt", None, None),
        PackOption("salt", "big", D(1), "kg", D("0.90")),
        PackOption("salt", "small", D(250), "g", D("0.50")),
    )
    assert counts(plan) == {"small": 1} and plan.counts[0].leftover is None and plan.cost == D("0.50")


def test_no_options_is_no_offer() -> None:
    assert round_packs(Need("x", D(1), "g"), []) == NoPlan("no offer")


def test_large_searches_go_to_the_milp_with_the_same_answer() -> None:
    rng = random.Random(11)
    for _ in range(30):
        sizes = [rng.randint(1, 9) for _ in range(3)]
        prices = [rng.randint(0, 20) for _ in range(3)]
        need = rng.randint(1, 40)
        stock = [rng.choice([None, 2, 5]) for _ in range(3)]
        options = [
            PackOption("x", f"s{i}", D(s), "g", D(p), a)
            for i, (s, p, a) in enumerate(zip(sizes, prices, stock, strict=True))
        ]
        problem = Problem.scaled(D(need), [(o, o.pack_quantity) for o in options])
        if not problem.feasible():
            continue
        milp_cost = sum(p * n for p, n in zip(prices, milp_counts(problem), strict=True))
        expected = min(
            sum(p * n for p, n in zip(prices, combo, strict=True))
            for combo in itertools.product(*(range(b + 1) for b in problem.bounds))
            if sum(s * n for s, n in zip(sizes, combo, strict=True)) >= need
        )
        plan = round_packs(Need("x", D(need), "g"), options)
        assert isinstance(plan, PackPlan)
        assert milp_cost == expected == plan.cost


def test_round_packs_uses_the_milp_past_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(packs, "ENUMERATION_LIMIT", 0)
    plan = plan_of(
        Need("eggs", D(9), None),
        PackOption("eggs", "dozen", D(12), "piece", D("3.60")),
        PackOption("eggs", "six", D(6), "pcs", D("1.50")),
    )
    assert counts(plan) == {"six": 2}


def test_counted_foods_convert_through_their_weight() -> None:
    """ "2 cloves garlic" (6 g, a bulb weighs 40 g) is one bulb, or the smallest net by weight."""
    garlic = Need("garlic", D(2), "clove", "garlic", grams=D(6), piece_grams=D(40))
    bulb, net = (
        PackOption("garlic", "bulb", D(1), "piece", D("0.30")),
        PackOption("garlic", "net", D(250), "g", D(2)),
    )
    assert counts(plan_of(garlic, bulb, net)) == {"bulb": 1}
    assert counts(plan_of(garlic, net)) == {"net": 1}
    eggs = Need("eggs", D(3), "piece", "eggs", piece_grams=D(50))
    assert counts(plan_of(eggs, PackOption("eggs", "box", D(220), "g", D("1.20")))) == {"box": 1}
    assert counts(plan_of(eggs, PackOption("eggs", "box", D(120), "g", D("0.70")))) == {"box": 2}


def test_without_its_weight_a_counted_food_does_not_convert() -> None:
    garlic = Need("garlic", D(2), "clove", "garlic")
    assert round_packs(garlic, [PackOption("garlic", "net", D(250), "g", D(2))]) == NoPlan(
        "units cannot be converted"
    )

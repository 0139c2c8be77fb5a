"""The selection engine: hand-made instances where the priorities disagree, and property tests against a
brute force that tries every assignment of lines to providers and every pack combination."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.selection import optimise
from agents.selection.optimise import (
    Need,
    PackOption,
    ProviderOffer,
    Ranking,
    Selection,
    select,
    select_by_hand,
)
from schemas.vocabulary import Criterion

D = Decimal


def piece(line: str, price: str, sku: str = "", stock: int | None = None) -> PackOption:
    return PackOption(line, sku or f"{line}-1", D(1), "piece", D(price), stock)


def offer(provider: str, fee: str, eta: int, *lines: PackOption) -> ProviderOffer:
    return ProviderOffer(provider, D(fee), eta, tuple(lines))


NEEDS = [Need("a", D(1), "piece"), Need("b", D(1), "piece")]
# cheap: A for a, B for b (total 1+1+2+2 = 6); fast: C alone, 30 min (total 20+20+1 = 41);
# fewest: D alone, slow and cheaper than C (total 5+5+5 = 15)
OFFERS = [
    offer("A", "2", 600, piece("a", "1")),
    offer("B", "2", 600, piece("b", "1")),
    offer("C", "1", 30, piece("a", "20"), piece("b", "20")),
    offer("D", "5", 900, piece("a", "5"), piece("b", "5")),
]


@pytest.fixture(params=["subsets", "milp"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Every hand-made case runs through both exact engines."""
    if request.param == "milp":
        monkeypatch.setattr(optimise, "SUBSET_LIMIT", 0)
    yield request.param


def by_line(selection: Selection) -> dict[str, str]:
    return {s.line: s.provider for s in selection.lines}


def test_each_priority_picks_its_own_answer(engine: str) -> None:
    cheapest = select(NEEDS, OFFERS, Ranking(order=(Criterion.cheapest,)))
    assert by_line(cheapest) == {"a": "A", "b": "B"} and cheapest.total == D(6)
    assert cheapest.providers == ("A", "B") and cheapest.delivery_fees == {"A": D(2), "B": D(2)}
    fastest = select(NEEDS, OFFERS, Ranking(order=(Criterion.fastest,)))
    assert fastest.providers == ("C",) and fastest.latest_eta_minutes == 30 and fastest.total == D(41)
    fewest = select(NEEDS, OFFERS, Ranking(order=(Criterion.fewest_providers,)))
    assert fewest.providers == ("D",) and fewest.total == D(15)


def test_cap_excluded_and_preferred(engine: str) -> None:
    capped = select(NEEDS, OFFERS, Ranking(max_providers=1))
    assert capped.providers == ("D",) and capped.uncovered == ()
    excluded = select(NEEDS, OFFERS, Ranking(excluded=("A", "D")))
    assert by_line(excluded) == {"a": "C", "b": "B"}
    first_preferred = Ranking(order=(Criterion.preferred, Criterion.cheapest), preferred=("C",))
    preferred = select(NEEDS, OFFERS, first_preferred)
    assert preferred.providers == ("C",)
    # preferred only breaks ties after cost when it is not listed
    assert select(NEEDS, OFFERS, Ranking(preferred=("C",))).providers == ("A", "B")


def test_preferred_breaks_cost_ties(engine: str) -> None:
    offers = [offer("X", "1", 60, piece("a", "2")), offer("Y", "1", 60, piece("a", "2"))]
    needs = [Need("a", D(1), "piece")]
    assert select(needs, offers, Ranking()).providers == ("X",)  # deterministic: first id
    assert select(needs, offers, Ranking(preferred=("Y",))).providers == ("Y",)


def test_weighted(engine: str) -> None:
    minutes_matter = Ranking(order=(Criterion.weighted,), weights={"cheapest": D(1), "fastest": D("0.1")})
    assert select(NEEDS, OFFERS, minutes_matter).providers == ("C",)  # 41 + 3 beats 6 + 60
    money_matters = Ranking(order=(Criterion.weighted,), weights={"cheapest": D(1), "fastest": D("0.001")})
    assert select(NEEDS, OFFERS, money_matters).providers == ("A", "B")


def test_split_basket_with_cap_leaves_a_line_uncovered(engine: str) -> None:
    offers = [offer("A", "0", 60, piece("a", "1")), offer("B", "0", 60, piece("b", "1"))]
    selection = select(NEEDS, offers, Ranking(max_providers=1))
    assert len(selection.uncovered) == 1 and selection.reasons == {selection.uncovered[0]: "provider cap"}


def test_uncovered_reasons(engine: str) -> None:
    needs = [
        Need("none", D(1), "piece"),
        Need("stock", D(5), "piece"),
        Need("units", D(1), "l"),
        Need("excluded", D(1), "piece"),
    ]
    offers = [
        offer("A", "1", 60, piece("stock", "1", stock=2), PackOption("units", "u", D(1), "piece", D(1))),
        offer("Z", "1", 60, piece("excluded", "1")),
    ]
    selection = select(needs, offers, Ranking(excluded=("Z",)))
    assert selection.uncovered == ("excluded", "none", "stock", "units")
    assert selection.reasons == {
        "none": "no offer",
        "stock": "not enough stock",
        "units": "units cannot be converted",
        "excluded": "offered only by excluded providers",
    }
    assert selection.providers == () and selection.total == 0 and selection.latest_eta_minutes is None


def test_packs_are_rounded_per_provider_and_leftover_reported(engine: str) -> None:
    eggs = [
        PackOption("eggs", "dozen", D(12), "piece", D("3.60")),
        PackOption("eggs", "six", D(6), "pcs", D("1.50")),
    ]
    selection = select([Need("eggs", D(9), None)], [offer("A", "0", 60, *eggs)], Ranking())
    (line,) = selection.lines
    assert (line.sku, line.packs, line.cost, line.leftover) == ("six", 2, D("3.00"), D(3))


def test_shuffled_input_gives_the_same_answer(engine: str) -> None:
    rng = random.Random(5)
    needs, offers = random_instance(rng, lines=6, providers=5)
    expected = select(needs, offers, Ranking())
    for _ in range(5):
        shuffled = [
            ProviderOffer(o.provider, o.delivery_fee, o.eta_minutes, tuple(rng.sample(o.lines, len(o.lines))))
            for o in rng.sample(offers, len(offers))
        ]
        assert select(rng.sample(needs, len(needs)), shuffled, Ranking()) == expected


def test_select_by_hand() -> None:
    selection = select_by_hand(NEEDS, OFFERS, {"a": "C", "b": "A"})
    assert by_line(selection) == {"a": "C"} and selection.uncovered == ("b",)
    assert selection.reasons == {"b": "no offer from A"} and selection.total == D(21)
    assert select_by_hand(NEEDS, OFFERS, {"a": "Q"}).reasons == {"a": "no offer from Q", "b": "not picked"}
    with pytest.raises(ValueError, match="not in the basket"):
        select_by_hand(NEEDS, OFFERS, {"zz": "A"})


@pytest.mark.parametrize(
    ("needs", "offers", "priority", "message"),
    [
        (NEEDS, [*OFFERS, OFFERS[0]], Ranking(), "more than one offer"),
        (NEEDS, OFFERS, Ranking(order=("quickest",)), "unknown priority 'quickest'"),  # type: ignore[arg-type]
        (NEEDS, [offer("A", "1", 6, piece("a", "-1"))], Ranking(), "pack_price"),
        (NEEDS, [offer("A", "1", 6, PackOption("a", "s", D(0), "g", D(1)))], Ranking(), "pack_quantity"),
        (NEEDS, OFFERS, Ranking(order=(Criterion.weighted,)), "needs weights"),
        ([*NEEDS, NEEDS[0]], OFFERS, Ranking(), "more than once"),
    ],
)
def test_bad_input_is_a_value_error(
    needs: list[Need], offers: list[ProviderOffer], priority: Ranking, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        select(needs, offers, priority)


# ------------------------------------------------------------------------------------------ brute force


def random_instance(rng: random.Random, lines: int, providers: int) -> tuple[list[Need], list[ProviderOffer]]:
    needs = [Need(f"l{i}", D(rng.randint(1, 7)), "piece") for i in range(lines)]
    offers = []
    for p in range(providers):
        options = [
            PackOption(
                n.line,
                f"p{p}{n.line}s{s}",
                D(rng.randint(1, 4)),
                "piece",
                D(rng.randint(0, 9)),
                rng.choice([None, None, 1, 2, 3]),
            )
            for n in needs
            if rng.random() < 0.75
            for s in range(rng.randint(1, 2))
        ]
        offers.append(offer(f"P{p}", str(rng.randint(0, 6)), rng.randint(1, 4) * 30, *options))
    return needs, offers


def best_pack_cost(need: Need, options: list[PackOption]) -> Decimal | None:
    """Every pack combination within stock and a generous bound; the cheapest that covers."""
    assert need.quantity is not None
    ranges = [range((o.packs_available if o.packs_available is not None else 8) + 1) for o in options]
    costs = [
        sum((o.pack_price * n for o, n in zip(options, counts, strict=True)), D(0))
        for counts in itertools.product(*ranges)
        if sum(o.pack_quantity * n for o, n in zip(options, counts, strict=True)) >= need.quantity
    ]
    return min(costs, default=None)


def brute_force(needs: list[Need], offers: list[ProviderOffer], priority: Ranking) -> tuple[object, ...]:
    """The best value of (covered, stage values..., [cost], [preferred]) over every assignment."""
    allowed = [o for o in offers if o.provider not in priority.excluded]
    price = {
        (n.line, o.provider): best_pack_cost(n, [x for x in o.lines if x.line == n.line])
        for n in needs
        for o in allowed
    }
    words = optimise.stage_words(priority)
    best: tuple[object, ...] | None = None
    for assignment in itertools.product([None, *allowed], repeat=len(needs)):
        pairs = [(n, o) for n, o in zip(needs, assignment, strict=True) if o is not None]
        if any(price[(n.line, o.provider)] is None for n, o in pairs):
            continue
        used = {o.provider: o for _, o in pairs}
        if priority.max_providers is not None and len(used) > priority.max_providers:
            continue
        cost = sum((price[(n.line, o.provider)] or D(0) for n, o in pairs), D(0))
        cost += sum((o.delivery_fee for o in used.values()), D(0))
        latest = max((o.eta_minutes for o in used.values()), default=0)
        values = {
            "cheapest": cost,
            "fastest": latest,
            "fewest-providers": len(used),
            "preferred": -sum(o.provider in priority.preferred for _, o in pairs),
            "weighted": weighted(priority, cost, latest, len(used)),
        }
        key = (-len(pairs), *(values[w] for w in words))
        best = key if best is None or key < best else best
    assert best is not None
    return best


def weighted(priority: Ranking, cost: Decimal, latest: int, providers: int) -> Decimal:
    w = priority.weights or {}
    return (
        w.get("cheapest", D(0)) * cost
        + w.get("fastest", D(0)) * latest
        + w.get("fewest-providers", D(0)) * providers
    )


def achieved(selection: Selection, needs: list[Need], priority: Ranking) -> tuple[object, ...]:
    latest = selection.latest_eta_minutes or 0
    values = {
        "cheapest": selection.total,
        "fastest": latest,
        "fewest-providers": len(selection.providers),
        "preferred": -sum(
            s.provider in priority.preferred
            for s in {(s.line, s.provider): s for s in selection.lines}.values()
        ),
        "weighted": weighted(priority, selection.total, latest, len(selection.providers)),
    }
    covered = len(needs) - len(selection.uncovered)
    return (-covered, *(values[w] for w in optimise.stage_words(priority)))


ORDERS = [
    tuple(Criterion(word) for word in words)
    for words in (
        ("cheapest",),
        ("fastest",),
        ("fewest-providers",),
        ("preferred",),
        ("weighted",),
        ("fastest", "fewest-providers"),
        ("fewest-providers", "fastest"),
        ("preferred", "fastest"),
    )
]


def test_every_criterion_of_the_contract_is_checked_against_brute_force() -> None:
    assert {criterion for order in ORDERS for criterion in order} == set(Criterion)


@st.composite
def instances(draw: st.DrawFn) -> tuple[list[Need], list[ProviderOffer], Ranking]:
    seed = draw(st.integers(0, 2**32 - 1))
    rng = random.Random(seed)
    needs, offers = random_instance(rng, lines=draw(st.integers(1, 4)), providers=draw(st.integers(1, 3)))
    names = [o.provider for o in offers]
    priority = Ranking(
        order=draw(st.sampled_from(ORDERS)),
        preferred=tuple(draw(st.lists(st.sampled_from(names), max_size=2, unique=True))),
        excluded=tuple(draw(st.lists(st.sampled_from(names), max_size=1))),
        max_providers=draw(st.one_of(st.none(), st.integers(0, 3))),
        weights={
            "cheapest": D(1),
            "fastest": D(draw(st.sampled_from(["0", "0.05", "0.5"]))),
            "fewest-providers": D(2),
        },
    )
    return needs, offers, priority


@pytest.mark.parametrize("subset_limit", [optimise.SUBSET_LIMIT, 0], ids=["subsets", "milp"])
@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(instance=instances())
def test_matches_brute_force(
    subset_limit: int, instance: tuple[list[Need], list[ProviderOffer], Ranking]
) -> None:
    needs, offers, priority = instance
    previous = optimise.SUBSET_LIMIT
    optimise.SUBSET_LIMIT = subset_limit  # hypothesis and function-scoped fixtures do not mix
    try:
        selection = select(needs, offers, priority)
    finally:
        optimise.SUBSET_LIMIT = previous
    assert achieved(selection, needs, priority) == brute_force(needs, offers, priority)
    assert selection.total == sum((s.cost for s in selection.lines), D(0)) + sum(
        selection.delivery_fees.values(), D(0)
    )

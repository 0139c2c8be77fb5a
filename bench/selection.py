"""Selection latency on seeded random baskets: 50 needs x 20 providers x 3 pack sizes per line per
provider (g / ml / piece), some stock limits, some providers missing some lines. Each priority runs on
its own fresh instances after a warm-up; the time is the whole `select` (pack rounding + MILP stages).

    python bench/selection.py [--runs 200] [--seed 7]   -> one JSON line
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from decimal import Decimal
from typing import Any

from agents.selection.optimise import Need, PackOption, ProviderOffer, Ranking, select
from schemas.vocabulary import Criterion

NEEDS, PROVIDERS, PACK_SIZES = 50, 20, 3
PRIORITY_ORDERS = (("cheapest",), ("fastest",), ("fewest-providers",))
# (unit, need quantities, pack quantities)
KINDS = (
    ("g", (50, 100, 150, 200, 250, 300, 400, 500, 750, 1000), (100, 250, 400, 500, 1000, 2000)),
    ("ml", (50, 100, 200, 250, 300, 500, 750, 1000), (100, 250, 330, 500, 1000, 1500)),
    ("piece", (1, 2, 3, 4, 6, 8, 9, 12), (1, 2, 4, 6, 10, 12)),
)


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def cents(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low, high)) / 100


def instance(rng: random.Random) -> tuple[list[Need], list[ProviderOffer]]:
    """One random basket and the offers of every provider for it."""
    kinds = [rng.choice(KINDS) for _ in range(NEEDS)]
    needs = [Need(f"line-{i:02}", Decimal(rng.choice(k[1])), k[0]) for i, k in enumerate(kinds)]
    offers = []
    for p in range(PROVIDERS):
        options = []
        for need, (unit, _, pack_quantities) in zip(needs, kinds, strict=True):
            if rng.random() < 0.15:  # this provider does not sell it
                continue
            base = Decimal(rng.randint(50, 400)) / 100
            for s, quantity in enumerate(sorted(rng.sample(pack_quantities, PACK_SIZES))):
                price = (base * Decimal(quantity) ** Decimal("0.8") / 10).quantize(Decimal("0.01")) + cents(
                    rng, 1, 30
                )
                stock = rng.choice((None, None, None, 1, 2, 5))
                options.append(
                    PackOption(need.line, f"p{p}-{need.line}-{s}", Decimal(quantity), unit, price, stock)
                )
        offers.append(
            ProviderOffer(f"prov-{p:02}", cents(rng, 0, 900), rng.randint(30, 48 * 60), tuple(options))
        )
    return needs, offers


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def bench(order: tuple[str, ...], runs: int, rng: random.Random) -> dict[str, Any]:
    priority = Ranking(order=tuple(Criterion(word) for word in order))
    for _ in range(5):  # warm-up: imports, caches, HiGHS
        select(*instance(rng), priority)
    times = []
    for run in range(1, runs + 1):
        needs, offers = instance(rng)
        started = time.perf_counter()
        select(needs, offers, priority)
        times.append((time.perf_counter() - started) * 1000)
        if run % 50 == 0:
            progress(f"{order[0]}: {run}/{runs}")
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p99_ms": round(percentile(times, 0.99), 2),
        "max_ms": round(max(times), 2),
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    result: dict[str, Any] = {
        "instance": {"needs": NEEDS, "providers": PROVIDERS, "pack_sizes": PACK_SIZES, "seed": args.seed}
    }
    for order in PRIORITY_ORDERS:
        result[order[0]] = bench(order, args.runs, rng)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

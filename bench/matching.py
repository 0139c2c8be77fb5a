"""Matching speed: a reference shop of 5,000 products quotes 20-line needs. The shop holds every grocery
and hardware product of the committed data, the rest up to 5,000 repeated as a second brand at another
price; the needs are real recipe lines (the labelled public pages, read as Kitting reads them), 20 at
random per quote. The time is the shop's whole `quote` (finding, judging every candidate with
schemas/fitting.py, packs to cover), after a warm-up; the first quote is reported apart (cold caches).

    .venv/bin/python bench/matching.py [--quotes 300] [--products 5000] [--seed 7]   -> one JSON line
        (data: ../shared/data or $KITTING_SHARED_DATA)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from agents.extraction.extract import extract_method
from agents.quoting.needs import described, merge_needs
from agents.reference.assortment import product_data
from agents.reference.catalog import Catalog, Product
from agents.reference.profiles import REFERENCE_SHOPS
from agents.reference.shop import ReferenceShop
from schemas.events import QuoteLine, QuoteRequested
from schemas.values import Money, Quantity

LABELS = Path(__file__).resolve().with_name("kit_labels.json")
DATA = Path(os.environ.get("KITTING_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
LINES = 20


def big_shop(size: int) -> ReferenceShop:
    items = [(category, item) for category in ("grocery", "hardware") for item in product_data(category)]
    products = []
    for index in range(size):
        category, item = items[index % len(items)]
        copy = index // len(items)
        price = Decimal(item["reference_price"]) * (Decimal("1.1") ** copy)
        products.append(
            Product(
                sku=f"B{copy}-{item['code']}", name=item["name"] + (f" (brand {copy})" if copy else ""),
                pack=Quantity(amount=Decimal(item["pack"]["quantity"]), unit=item["pack"]["unit"]),
                price=Money(amount=price.quantize(Decimal("0.01")), currency="EUR"), stock=50,
                category=category, concept=item["concept"], keywords=(item["name"],),
            )
        )  # fmt: skip
    profile = next(shop for shop in REFERENCE_SHOPS if shop.provider_id == "market-hall")
    return ReferenceShop(profile, Catalog(products))


def recipe_lines() -> list[QuoteLine]:
    """Every line of the labelled pages as Kitting asks shops for it."""
    pages = json.loads(LABELS.read_text(encoding="utf-8"))["pages"]
    lines: list[QuoteLine] = []
    for key in sorted(pages):
        html = (DATA / "pages" / key).with_suffix(".testhtml").read_text(encoding="utf-8", errors="replace")
        components = extract_method(html).components
        for line in described(merge_needs(components), components):
            lines.append(line.model_copy(update={"line_id": f"{key}:{line.line_id}"[:200]}))
    return lines


def request(lines: list[QuoteLine]) -> QuoteRequested:
    return QuoteRequested(
        basket_id="bench", request_id="bench", provider_id="market-hall", addressed=["market-hall"],
        region="default", lines=lines, deadline=datetime.now(UTC) + timedelta(minutes=1),
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quotes", type=int, default=300)
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if not (DATA / "pages").is_dir():
        print(f"no pages under {DATA}: set KITTING_SHARED_DATA to the shared data folder", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    started = time.perf_counter()
    shop = big_shop(args.products)
    built = time.perf_counter() - started
    lines = recipe_lines()
    first = time.perf_counter()
    shop.quote(request(rng.sample(lines, LINES)))
    cold = time.perf_counter() - first
    for _ in range(20):  # warm-up
        shop.quote(request(rng.sample(lines, LINES)))
    times = []
    offered = 0
    for _ in range(args.quotes):
        sample = rng.sample(lines, LINES)
        begin = time.perf_counter()
        offer = shop.quote(request(sample))
        times.append((time.perf_counter() - begin) * 1000)
        offered += len(offer.lines)
    times.sort()
    result = {
        "products": len(shop.catalog.products), "lines_per_quote": LINES, "quotes": args.quotes,
        "recipe_lines": len(lines), "offered_share": round(offered / (LINES * args.quotes), 3),
        "build_s": round(built, 2), "cold_first_ms": round(cold * 1000, 1),
        "p50_ms": round(statistics.median(times), 2), "p99_ms": round(times[int(0.99 * (len(times) - 1))], 2),
        "max_ms": round(times[-1], 2),
    }  # fmt: skip
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

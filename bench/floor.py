"""The floor: what one bench basket's own work costs, without broker, SQL or codec. The demo page is
extracted, its needs found, the four reference shops quote, Kitting checks the offers and selects, as
a worker does for each basket of `bench/pipeline.py` (which divides the worker's CPU per basket by this
to report its `overhead`). CPU time of this process, median of `--repeats` baskets after a warm-up.
`floor_ms` is a repeat basket's (the lines parsed and the needs matched before are kept, as in a worker
that has seen the page); `floor_cold_ms` forgets them before each basket (a page never seen).

    python bench/floor.py [--repeats 50]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from agents.cli.demo import DEMO_URL, demo_page
from agents.cli.quote import Wanted, reference_quotes
from agents.extraction.extract import extract_method
from agents.extraction.parse import forget_parsed
from agents.quoting.checking import Consent
from agents.quoting.decisions import run_selection, usable_offers
from agents.quoting.routing import needs_of
from agents.reference.assortment import catalog_of
from agents.reference.profiles import REFERENCE_SHOPS
from schemas.events import ComponentsExtracted, PriorityProfile
from schemas.vocabulary import SubstitutePolicy
from streams.persistence import utcnow


def one_basket(html: str) -> dict[str, float]:
    """CPU milliseconds of each step of one basket's own work."""
    spent: dict[str, float] = {}

    def timed(step: str, work: Callable[[], Any]) -> Any:
        started = time.process_time()
        result = work()
        spent[step] = (time.process_time() - started) * 1000
        return result

    wanted = Wanted(substitutes=SubstitutePolicy.never)
    prefs = wanted.preferences().model_copy(update={"confirm": False})
    method = timed("extraction", lambda: extract_method(html, DEMO_URL))
    extracted = ComponentsExtracted(
        basket_id="floor", url=DEMO_URL, title=method.title, method_kind=method.kind,
        components=method.components, source=method.source, quote=prefs,
    )  # fmt: skip
    needs = timed("routing", lambda: needs_of(extracted, prefs))
    offers, addressed = timed("quotes", lambda: reference_quotes(needs, wanted.region))

    def select() -> Any:
        _, usable, _ = usable_offers(offers, addressed, prefs, needs, utcnow())
        return run_selection(needs, usable, prefs.profile or PriorityProfile(), Consent(wanted.substitutes))

    selection = timed("selection", select)
    assert selection.lines, "the demo basket must be supplied"
    return spent


def forget_repeats() -> None:
    """Forget the lines parsed and the needs the reference shops matched before."""
    forget_parsed()
    for shop in REFERENCE_SHOPS:
        catalog_of(shop.provider_id).forget()


def floor_ms(repeats: int = 30) -> dict[str, float]:
    """Median CPU milliseconds per step and in all, over `repeats` baskets after one warm-up; and of
    `repeats` baskets with nothing kept from the one before."""
    html = demo_page()
    one_basket(html)  # imports, models, caches
    runs = [one_basket(html) for _ in range(repeats)]
    cold = []
    for _ in range(repeats):
        forget_repeats()
        cold.append(sum(one_basket(html).values()))
    steps = {step: statistics.median(run[step] for run in runs) for step in runs[0]}
    return {**{f"{step}_ms": round(ms, 2) for step, ms in steps.items()},
            "floor_ms": round(statistics.median(sum(run.values()) for run in runs), 2),
            "floor_cold_ms": round(statistics.median(cold), 2)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=50)
    print(json.dumps(floor_ms(parser.parse_args().repeats)))


if __name__ == "__main__":
    main()

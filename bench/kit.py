"""The right kit, measured: every labelled public page (bench/kit_labels.json) quoted as `kitting quote`
does (the same code: extraction, needs, the reference shops' quotes, Kitting's check, selection), and
each line's outcome compared with the hand labels.

- coverage: needed lines bought as an exact product of an accepted kind, of the needed lines the
  taxonomy has a kind for (lines of products it has no category for are counted apart);
- precision: bought lines (ordered without asking: exact products, and substitutes under the
  `similar` policy) that are of an accepted kind, of all bought lines; a line nobody needed that got
  bought counts as wrong;
- the worst misses: needed lines left uncovered or bought wrong, with the reason.

    .venv/bin/python bench/kit.py [--substitutes never|ask|similar] [--priority cheapest] [--json]
        [--pages N] [--show SITE]      (data: ../shared/data or $KITTING_SHARED_DATA)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from agents.cli.quote import Wanted, quote_method
from agents.extraction.extract import extract_method
from schemas.concepts import taxonomy
from schemas.vocabulary import Criterion, SubstitutePolicy

LABELS = Path(__file__).resolve().with_name("kit_labels.json")
DATA = Path(os.environ.get("KITTING_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def right_kind(concept: str | None, label: dict[str, Any]) -> bool:
    tx = taxonomy()
    if not concept:
        return False
    accepted = any(tx.is_within(concept, a) for a in label["accept"] if a in tx)
    return accepted and not any(tx.is_within(concept, r) for r in label["reject"] if r in tx)


def page_html(key: str) -> Path:
    path = DATA / "pages" / key
    return path.with_suffix(".testhtml")


def judge_page(key: str, page: dict[str, Any], wanted: Wanted) -> list[dict[str, Any]]:
    """One row per labelled line: its label, what the quote did with it, and the verdict."""
    html = page_html(key).read_text(encoding="utf-8", errors="replace")
    kit = quote_method(extract_method(html, None), key, wanted)
    by_text = {words(line["text"]): line for line in kit["lines"]}
    rows = []
    for index, label in enumerate(page["lines"]):
        line = by_text.get(words(label["text"]))
        if line is None and index < len(kit["lines"]):
            line = kit["lines"][index]  # the extraction wrote the line otherwise: take it by position
        status = line["status"] if line else "not-extracted"
        similar = wanted.substitutes is SubstitutePolicy.similar
        bought = status == "exact" or (status == "substitute" and similar)
        rows.append(
            {
                "page": key, "text": label["text"], "need": label["need"],
                "kind_known": bool(label["accept"]),
                "status": status, "bought": bought, "product": line["product"] if line else None,
                "concept": line["concept"] if line else None, "reason": line["reason"] if line else None,
                "right": bought and right_kind(_bought_concept(line), label),
            }
        )  # fmt: skip
    return rows


def _bought_concept(line: dict[str, Any] | None) -> str | None:
    return line.get("product_concept") if line else None


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    judged = [r for r in rows if r["need"] and r["kind_known"]]
    bought = [r for r in rows if r["bought"]]
    covered = [r for r in judged if r["status"] == "exact" and r["right"]]
    right = [r for r in bought if r["need"] and r["kind_known"] and r["right"]]
    unknown = [r for r in bought if r["need"] and not r["kind_known"]]
    misses = [r for r in judged if not r["right"]]
    return {
        "pages": len({r["page"] for r in rows}),
        "lines": len(rows),
        "needed_with_known_kind": len(judged),
        "coverage": round(len(covered) / len(judged), 4) if judged else None,
        "bought": len(bought),
        "bought_of_unknown_kind": len(unknown),
        "precision": round(len(right) / (len(bought) - len(unknown)), 4)
        if len(bought) > len(unknown)
        else None,
        "wrong": [
            {k: r[k] for k in ("page", "text", "product", "concept")}
            for r in bought
            if (r["need"] and r["kind_known"] and not r["right"]) or not r["need"]
        ],
        "worst_misses": Counter(
            f"{r['status']}: {r['reason'] or ''}"[:120] for r in misses if r["status"] != "exact"
        ).most_common(15),
        "missed_lines": [
            {k: r[k] for k in ("page", "text", "status", "reason")} for r in misses if r["status"] != "exact"
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--substitutes", default="ask", choices=[p.value for p in SubstitutePolicy])
    parser.add_argument("--priority", default="cheapest", choices=[c.value for c in Criterion])
    parser.add_argument("--pages", type=int, default=None, help="only the first N labelled pages")
    parser.add_argument("--json", action="store_true", help="print the whole result as JSON")
    args = parser.parse_args(argv)
    if not (DATA / "pages").is_dir():
        print(f"no pages under {DATA}: set KITTING_SHARED_DATA to the shared data folder", file=sys.stderr)
        return 2
    labels = json.loads(LABELS.read_text(encoding="utf-8"))["pages"]
    wanted = Wanted(priority=Criterion(args.priority), substitutes=SubstitutePolicy(args.substitutes))
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    keys = sorted(labels)[: args.pages]
    for done, key in enumerate(keys, 1):
        rows += judge_page(key, labels[key], wanted)
        print(f"\r{done}/{len(keys)} pages", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    result = summary(rows)
    result["seconds"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    print(
        f"{result['pages']} pages, {result['lines']} lines; coverage {result['coverage']:.1%} of "
        f"{result['needed_with_known_kind']} needed lines; precision {result['precision']:.1%} of "
        f"{result['bought'] - result['bought_of_unknown_kind']} bought lines of a known kind "
        f"({result['bought_of_unknown_kind']} more of kinds the taxonomy lacks); {result['seconds']} s"
    )
    print("wrong purchases:")
    for wrong in result["wrong"]:
        print(f"  {wrong['page']}: {wrong['text']!r} -> {wrong['product']} ({wrong['concept']})")
    print("worst misses:")
    for reason, count in result["worst_misses"]:
        print(f"  {count:3} {reason}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Extraction benchmark on real data nobody here wrote (../shared/data, see its README):

- pages: the 141 real recipe pages, judged by content alone (no URL): share with a non-empty list,
  share whose list equals the expected `ingredients` exactly (whitespace normalised), line recall
  (expected lines found, counted with repeats), pages per second; also per source;
- sentences: the labelled ingredient sentences: quantity, unit and name-head accuracy, sentences per
  second. `quantity` is strict; `quantity_implied_one_agrees` also counts one pinch / handful / bunch
  read from a sentence without a number ("pinch of salt") as agreeing with a label that has none.
  The ingredient-parser file comes from that parser's own training data, so its score is optimistic;
  the NYT labels are noisy (the data README says so): treat both as indicative.

- throughput: pages/s (known sites, anonymous) and sentences/s with one process per core reading at
  once, as the worker's sandbox pool does (`--processes`);
- `--anonymous`: every page read again with the site's identity removed (canonical link, og:url,
  <base>), as a site no library knows: non-empty, exact, exact punctuation-blind, empty pages by reason.

    python bench/extraction.py [--data ../shared/data] [--anonymous] [--processes N]   -> one JSON line
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import sys
import time
import unicodedata
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

from agents.extraction.extract import extract_method
from agents.extraction.parse import forget_parsed, parse_line
from schemas.units import unit_symbol

DEFAULT_DATA = Path(
    os.environ.get("KITTING_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def normalise(line: str) -> str:
    return " ".join(line.split())


FRACTION_SLASH = str.maketrans({"\u2044": "/", "\u2215": "/"})


def punctuation_blind(line: str) -> str:
    """The line with fraction glyphs spelled out ("½" and 1, fraction slash, 2 as "1/2"), then every
    punctuation mark read as a space: "((1/2 cup))" and "(1/2 cup)" read alike."""
    text = unicodedata.normalize("NFKC", line).translate(FRACTION_SLASH)
    text = re.sub(r"(\d)\s*/\s*(\d)", r"\1/\2", text)
    return " ".join("".join(" " if unicodedata.category(ch)[0] in "PS" else ch for ch in text).split())


IDENTITY = (
    re.compile(r"<link\b[^>]*\brel\s*=\s*[\"']?canonical\b[^>]*>", re.IGNORECASE),
    re.compile(r"<meta\b[^>]*\bproperty\s*=\s*[\"']?og:url\b[^>]*>", re.IGNORECASE),
    re.compile(r"<base\b[^>]*>", re.IGNORECASE),
)


def anonymous(page_html: str) -> str:
    """The page with the site's identity removed: canonical link, og:url and <base>, so only the
    generic path can read it (as on a site no library knows)."""
    for pattern in IDENTITY:
        page_html = pattern.sub("", page_html)
    return page_html


def bench_pages(pages_dir: Path, anonymise: bool = False) -> dict[str, Any]:
    pages = sorted(pages_dir.glob("*/*.testhtml"))
    non_empty = exact = blind = found_lines = expected_lines = lines_read = 0
    sources: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    misses: list[str] = []
    grouped_pages = groups_exact = 0
    forget_parsed()  # every run starts cold: no line parsed before
    seconds = 0.0
    for index, page in enumerate(pages, start=1):
        labels = json.loads(page.with_suffix(".json").read_text())
        expected = [normalise(x) for x in labels["ingredients"]]
        page_html = page.read_text(errors="replace")
        if anonymise:
            page_html = anonymous(page_html)
        started = time.perf_counter()
        method = extract_method(page_html)
        seconds += time.perf_counter() - started
        got = [normalise(c.text) for c in method.components]
        lines_read += len(got)
        sources[method.source.split(":")[0]] += 1
        if not got:
            reasons[method.reason or "none given"] += 1
        non_empty += bool(got)
        exact += got == expected
        blind_equal = [punctuation_blind(x) for x in got] == [punctuation_blind(x) for x in expected]
        blind += blind_equal
        if not blind_equal:
            misses.append(f"{page.parent.name}/{page.name}")
        expected_lines += len(expected)
        found_lines += sum((Counter(got) & Counter(expected)).values())
        if len(labels.get("ingredient_groups") or []) > 1:
            grouped_pages += 1
            groups_exact += _groups(method.components) == [
                (punctuation_blind(g.get("purpose") or ""), [punctuation_blind(x) for x in g["ingredients"]])
                for g in labels["ingredient_groups"]
            ]
        if index % 25 == 0:
            progress(f"{index}/{len(pages)} pages{' (anonymous)' if anonymise else ''}")
    return {
        "pages": len(pages),
        "pages_non_empty": round(non_empty / len(pages), 4),
        "pages_exact": round(exact / len(pages), 4),
        "pages_exact_punctuation_blind": round(blind / len(pages), 4),
        "line_recall": round(found_lines / expected_lines, 4),
        "pages_with_groups": grouped_pages,
        "groups_exact_punctuation_blind": round(groups_exact / grouped_pages, 4) if grouped_pages else None,
        "pages_per_s": round(len(pages) / seconds, 1),
        "lines_per_page": round(lines_read / len(pages), 1),
        "pages_by_source": dict(sources),
        "empty_by_reason": dict(reasons),
        "not_exact_punctuation_blind": misses,
    }


def _groups(components: list[Any]) -> list[tuple[str, list[str]]]:
    """The components as the labels give groups: each run of one group, its purpose and its lines."""
    groups: list[tuple[str, list[str]]] = []
    for component in components:
        purpose = punctuation_blind(component.group or "")
        if not groups or groups[-1][0] != purpose:
            groups.append((purpose, []))
        groups[-1][1].append(punctuation_blind(component.text))
    return groups


def _warm() -> None:
    parse_line("1 cup flour")


def _read_page(page: Path, anonymise: bool) -> int:
    page_html = page.read_text(errors="replace")
    return len(extract_method(anonymous(page_html) if anonymise else page_html).components)


def _parse_all(sentences: list[str]) -> int:
    return sum(bool(parse_line(sentence).name) for sentence in sentences)


def throughput(data: Path, processes: int) -> dict[str, Any]:
    """Pages and sentences per second with `processes` reading at once, as the worker's sandbox pool
    reads them (each process warmed up first, every line parsed cold)."""
    pages = sorted((data / "pages").glob("*/*.testhtml"))
    sentences = [
        json.loads(line)["sentence"]
        for name in ("ingredient-parser-2000", "nyt-2000")
        for line in (data / "ingredients" / f"{name}.jsonl").read_text().splitlines()
        if line.strip()
    ]
    result: dict[str, Any] = {"processes": processes}
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=context, initializer=_warm) as pool:
        list(pool.map(time.sleep, [0.5] * processes))  # every process started and warm
        for label, anonymise in (("known_site", False), ("anonymous", True)):
            started = time.perf_counter()
            list(pool.map(_read_page, pages, [anonymise] * len(pages), chunksize=4))
            result[f"pages_per_s_{label}"] = round(len(pages) / (time.perf_counter() - started), 1)
            progress(f"{label}: {result[f'pages_per_s_{label}']} pages/s on {processes} processes")
        chunks = [sentences[i : i + 100] for i in range(0, len(sentences), 100)]
        started = time.perf_counter()
        list(pool.map(_parse_all, chunks))
        result["sentences_per_s"] = round(len(sentences) / (time.perf_counter() - started), 1)
    return result


def _close(a: Decimal, b: float) -> bool:
    return abs(float(a) - b) < 0.011


def _singular(word: str) -> str:
    for plural, single in (
        ("ies", "y"),
        ("ves", "f"),
        ("oes", "o"),
        ("ches", "ch"),
        ("shes", "sh"),
        ("s", ""),
    ):
        if word.endswith(plural) and len(word) > len(plural) + 2 and not word.endswith("ss"):
            return word[: -len(plural)] + single
    return word


def _words(name: str) -> list[str]:
    return [_singular(w) for w in re.sub(r"[^\w\s]", " ", name.lower()).split()]


def _heads(name: str) -> set[str]:
    """The head noun of a name, and of each alternative in it ("hazelnuts or pecans")."""
    return {words[-1] for part in re.split(r"\bor\b|\band\b", name.lower()) if (words := _words(part))}


def bench_sentences(path: Path) -> dict[str, Any]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    quantity_ok = unit_ok = name_ok = implied_one = 0
    started = time.perf_counter()
    for row in rows:
        parsed = parse_line(row["sentence"])
        lows = [q[0] for q in row["qtys"]]
        if parsed.quantity is None:
            quantity_ok += not lows
        elif not lows and parsed.quantity == 1 and not re.search(r"\d", row["sentence"]):
            implied_one += 1  # "pinch of salt", "a handful": the label leaves the one unstated
        else:
            quantity_ok += any(_close(parsed.quantity, low) for low in lows) or any(
                _close(parsed.quantity, lows[i] * lows[j])
                for i in range(len(lows))
                for j in range(len(lows))
                if i != j
            )
        units = {unit_symbol(u) or u for u in row["units"]}
        unit_ok += (parsed.unit in units) if units else parsed.unit in (None, "piece")
        heads = {head for n in row["names"] for head in _heads(n)}
        ours = {w for n in (parsed.name, *parsed.alternatives) for w in _words(n)}
        name_ok += bool(heads & ours) if heads else True
    seconds = time.perf_counter() - started
    n = len(rows)
    return {
        "sentences": n,
        "quantity": round(quantity_ok / n, 4),
        "quantity_implied_one_agrees": round((quantity_ok + implied_one) / n, 4),
        "unit": round(unit_ok / n, 4),
        "name_head": round(name_ok / n, 4),
        "sentences_per_s": round(n / seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--anonymous", action="store_true",
        help="also read every page with the site's identity removed (canonical link, og:url, <base>)",
    )  # fmt: skip
    parser.add_argument(
        "--processes", type=int, default=os.cpu_count() or 1,
        help="also measure pages/s and sentences/s with this many processes reading at once "
        "(default: one per core, as the sandbox pool; 0 to skip)",
    )  # fmt: skip
    args = parser.parse_args()
    if not (args.data / "pages").exists():
        raise SystemExit(f"no shared data at {args.data}: pass --data or set KITTING_SHARED_DATA")
    progress("warming up the parser")
    parse_line("1 cup flour")
    result: dict[str, Any] = bench_pages(args.data / "pages")
    if args.anonymous:
        result["anonymous"] = bench_pages(args.data / "pages", anonymise=True)
    for name in ("ingredient-parser-2000", "nyt-2000"):
        progress(f"sentences: {name}")
        result[name] = bench_sentences(args.data / "ingredients" / f"{name}.jsonl")
    if args.processes:
        progress(f"throughput on {args.processes} processes")
        result["throughput"] = throughput(args.data, args.processes)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

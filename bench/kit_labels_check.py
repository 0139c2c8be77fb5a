"""Check bench/kit_labels.json: hand labels of real recipe lines with Open Food Facts categories.

Each labelled line says whether a careful grocer would buy anything for it (`need`), which OFF
categories (2023-01 taxonomy) hold the right product, the category itself or anything below it
(`accept`), and which categories below an accepted one are nevertheless wrong (`reject`). A needed
line with an empty `accept` is a product the taxonomy has no category for; its `note` says what it is.

The check fails (exit 1, one message per problem) when a page file is missing, a line is not exactly
one of the page's `ingredients`, the lines do not cover the page's `ingredients` in order, an id is not
in the taxonomy, a `reject` id is not below an `accept` id of its line, or a needed line has neither
categories nor a note. Otherwise it prints a one-line summary.

    python bench/kit_labels_check.py [LABELS.json]   (data: ../shared/data or $KITTING_SHARED_DATA)
"""

from __future__ import annotations

import gzip
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

LABELS = Path(__file__).resolve().with_name("kit_labels.json")
DATA = Path(os.environ.get("KITTING_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
TAXONOMY = Path("taxonomy") / "off" / "categories.full.2023-01.json.gz"
DIETS = ("vegan", "vegetarian", None)


def load_taxonomy(path: Path) -> dict[str, list[str]]:
    """Category id -> ids of its children."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        raw: dict[str, Any] = json.load(handle)
    return {key: [c for c in value.get("children", []) if isinstance(c, str)] for key, value in raw.items()}


def descendants(children: dict[str, list[str]], roots: Iterable[str]) -> set[str]:
    """Every category strictly below any of the roots (the taxonomy is a DAG)."""
    seen: set[str] = set()
    stack = [child for root in roots for child in children.get(root, [])]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(children.get(node, []))
    return seen


def check_line(where: str, line: Any, children: dict[str, list[str]]) -> list[str]:
    if not isinstance(line, dict):
        return [f"{where}: a line must be an object"]
    errors: list[str] = []
    if not isinstance(line.get("need"), bool):
        errors.append(f"{where}: `need` must be true or false")
    ids: dict[str, list[str]] = {}
    for key in ("accept", "reject"):
        value = line.get(key, [])
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            errors.append(f"{where}: `{key}` must be a list of category ids")
            value = []
        ids[key] = value
        errors += [f"{where}: {key} id {x!r} is not in the taxonomy" for x in value if x not in children]
    below = descendants(children, ids["accept"])
    errors += [
        f"{where}: reject id {x!r} is not below any accept id {ids['accept']}"
        for x in ids["reject"]
        if x in children and x not in below
    ]
    note = line.get("note", "")
    if not isinstance(note, str):
        errors.append(f"{where}: `note` must be a string")
        note = ""
    if line.get("need") is True and not ids["accept"] and not note.strip():
        errors.append(f"{where}: needed line with no accepted category must say in `note` what it is")
    if line.get("need") is False and ids["accept"]:
        errors.append(f"{where}: a line nobody buys cannot accept categories")
    return errors


def check(
    labels: dict[str, Any], data: Path, children: dict[str, list[str]]
) -> tuple[list[str], dict[str, int]]:
    errors: list[str] = []
    counts = {"pages": 0, "lines": 0, "needed": 0, "uncovered": 0}
    pages = labels.get("pages")
    if not isinstance(pages, dict) or not pages:
        return ["labels: `pages` must be a non-empty object"], counts
    for name, page in pages.items():
        counts["pages"] += 1
        path = data / "pages" / name
        if not path.is_file():
            errors.append(f"{name}: page file {path} does not exist")
            continue
        expected = json.loads(path.read_text(encoding="utf-8")).get("ingredients") or []
        if not isinstance(page, dict) or not isinstance(page.get("lines"), list):
            errors.append(f"{name}: a page must be an object with a `lines` list")
            continue
        if page.get("diet", None) not in DIETS:
            errors.append(f"{name}: `diet` must be one of {DIETS}")
        lines: list[Any] = page["lines"]
        texts = [line.get("text") if isinstance(line, dict) else None for line in lines]
        for index, text in enumerate(texts):
            if text not in expected:
                errors.append(f"{name} line {index + 1}: {text!r} is not one of the page's ingredients")
        if texts != expected:
            first = next((i for i, (a, b) in enumerate(zip(texts, expected, strict=False)) if a != b), None)
            at = min(len(texts), len(expected)) if first is None else first
            errors.append(
                f"{name}: lines do not cover the page's {len(expected)} ingredients in order "
                f"({len(texts)} labelled, first difference at line {at + 1})"
            )
        for index, line in enumerate(lines):
            errors += check_line(f"{name} line {index + 1}", line, children)
            if isinstance(line, dict):
                counts["lines"] += 1
                if line.get("need") is True:
                    counts["needed"] += 1
                    counts["uncovered"] += not line.get("accept")
    return errors, counts


def main(argv: list[str]) -> int:
    labels_path = Path(argv[1]) if len(argv) > 1 else LABELS
    taxonomy_path = DATA / TAXONOMY
    for path in (labels_path, taxonomy_path):
        if not path.is_file():
            print(
                f"kit labels: {path} not found (set KITTING_SHARED_DATA to the data folder)", file=sys.stderr
            )
            return 2
    labels = json.loads(labels_path.read_text(encoding="utf-8"))
    errors, counts = check(labels, DATA, load_taxonomy(taxonomy_path))
    for error in errors:
        print(f"kit labels: {error}", file=sys.stderr)
    if errors:
        print(f"kit labels: {len(errors)} problem(s) in {labels_path}", file=sys.stderr)
        return 1
    print(
        f"kit labels ok: {counts['pages']} pages, {counts['lines']} lines, {counts['needed']} needed, "
        f"{counts['uncovered']} needed lines with no fitting category"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

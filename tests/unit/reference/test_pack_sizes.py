"""Pack sizes read from Open Food Facts `quantity` strings."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from agents.reference.pack_sizes import ParsedPack, parse_pack

PRODUCTS = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "products"
PARSED_FLOOR = 0.9  # share of the non-empty quantity strings of the exports that must be read


def pack(quantity: str, unit: str, count: int = 1, item: str | None = None) -> ParsedPack:
    return ParsedPack(Decimal(quantity), unit, count, None if item is None else Decimal(item))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("500 g", pack("500", "g")),
        ("250g", pack("250", "g")),
        ("500 g (4 x 125 g)", pack("500", "g", 4, "125")),
        ("500 g (4x125g)", pack("500", "g", 4, "125")),
        ("6 x 330 ml", pack("1980", "ml", 6, "330")),
        ("4x80 gr", pack("320", "g", 4, "80")),
        ("4\u00d780 gr", pack("320", "g", 4, "80")),
        ("4\ufffd80 gr", pack("320", "g", 4, "80")),  # the Italian export's broken multiplication sign
        ("110g\ufffd2", pack("220", "g", 2, "110")),
        ("1,5 l", pack("1.5", "l")),
        ("75 cl", pack("75", "cl")),
        ("75 cl e", pack("75", "cl")),
        ("1 l \u212e", pack("1", "l")),
        ("1 kg", pack("1", "kg")),
        ("0,400 kg ", pack("0.4", "kg")),
        ("1 litro", pack("1", "l")),
        ("12 oeufs", pack("12", "piece", 12, "1")),
        ("6 uova", pack("6", "piece", 6, "1")),
        ("6 eggs", pack("6", "piece", 6, "1")),
        ("2 x 1 l", pack("2", "l", 2, "1")),
        ("1 kg (4 x 250 g)", pack("1", "kg", 4, "0.25")),
        ("2 x 75 g (150 g)", pack("150", "g", 2, "75")),
        ("6 oz (170 g)", pack("170", "g")),
        ("12 dadi - 108 gr", pack("108", "g", 12, "9")),
        ("12 dadi - 109 gr", pack("109", "g", 12)),  # 9.0833... g a cube: not given exactly
    ],
)
def test_pack_strings_are_read(text: str, expected: ParsedPack) -> None:
    assert parse_pack(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "500",  # no unit
        "100 x 2",  # no unit
        "a peso",
        "4 * 95 g + 4 * 5 g",  # a sum
        "125 g (200 g poids net)",  # two contents that disagree
        "200 mL (194 g)",  # volume or mass?
        "400 g, sgocciolato 240 g",  # drained weight
        "0,5 lt   1 lt  1,5 lt   2 lt",  # several sizes
        "3 x 80 g (3 x 52 g)",
        "255 g (variable)",
        "2 cups",  # not a pack unit
        "6 croissant",
        "10+2 dadi gratis",
    ],
)
def test_unclear_pack_strings_are_not_guessed(text: str) -> None:
    assert parse_pack(text) is None


def test_most_quantities_of_the_real_exports_are_read() -> None:
    files = sorted(PRODUCTS.glob("*.tsv"))
    if not files:
        pytest.skip(f"no Open Food Facts exports under {PRODUCTS}")
    quantities: list[str] = []
    for path in files:
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            quantities.extend(row["quantity"] for row in rows if (row.get("quantity") or "").strip())
    parsed = [text for text in quantities if parse_pack(text) is not None]
    share = len(parsed) / len(quantities)
    print(f"parsed {len(parsed)} of {len(quantities)} pack quantities ({share:.1%})")
    assert len(quantities) > 1000
    assert share >= PARSED_FLOOR
    weird = [text for text in parsed if "\ufffd" in text]
    assert weird, "the broken multiplication signs of the Italian export are read"

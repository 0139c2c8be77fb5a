"""Open Food Facts pack `quantity` strings ("500 g (4 x 125 g)", "6 x 330 ml", "12 oeufs") read as a pack.

A string is read only when every part of it is understood and its parts agree with one another; drained
weights, sums, alternatives that disagree and bare numbers give None: a pack size is never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from schemas.units import IncompatibleUnits, convert, dimension, unit_symbol

# units a pack is sold in; anything else unit_symbol knows (tsp, cup, in...) is not a pack size
PACK_UNITS = frozenset({"g", "kg", "mg", "ml", "cl", "dl", "l", "oz", "lb", "fl oz"})
# spellings unit_symbol does not know (Italian, abbreviations, a Cyrillic el)
_UNIT_ALIASES = {
    "lt": "l", "lts": "l", "litro": "l", "litri": "l", "л": "l", "grammi": "g", "grammo": "g", "gm": "g",
    "gms": "g", "grs": "g", "kgs": "kg", "mls": "ml", "cls": "cl",
}  # fmt: skip
# words that count the items of a pack (eggs, pieces, slices, cubes, pods)
COUNT_WORDS = frozenset(
    {
        "egg", "eggs", "oeuf", "oeufs", "œuf", "œufs", "uovo", "uova",
        "piece", "pieces", "pièce", "pièces", "pezzo", "pezzi", "pz", "pcs", "pc",
        "pack", "packs", "tranche", "tranches", "fetta", "fette", "slice", "slices",
        "dado", "dadi", "cube", "cubes", "capsule", "capsules", "dosette", "dosettes",
    }
)  # fmt: skip
# filler that changes nothing: the estimated sign written as "e", "net", "pots de" and the like
_FILLER = frozenset({"e", "net", "netto", "poids", "peso", "pot", "pots", "de", "en", "barre", "barres"})
_ESTIMATED_SIGN = "\u212e"
# a multiplication sign: x, the sign U+00D7, *, or the replacement character a broken encoding left
_TIMES = "x\u00d7*\ufffd"

_NUMBER = r"\d+(?:\.\d+)?|\.\d+"
_UNIT = r"fl\s*oz|[^\W\d_]+"
_TOKEN = re.compile(
    rf"(?P<count>\d+)\s*x\s*(?P<item>{_NUMBER})\s*(?P<item_unit>{_UNIT})"
    rf"|(?P<rev_item>{_NUMBER})\s*(?P<rev_unit>{_UNIT})\s*x\s*(?P<rev_count>\d+)(?![\d.])"
    rf"|(?P<amount>{_NUMBER})\s*(?P<unit>{_UNIT})",
)
_SEPARATORS = re.compile(r"[\s(),;/\-:]+")
_METRIC = frozenset({"g", "kg", "ml", "cl", "l"})


@dataclass(frozen=True)
class ParsedPack:
    """A pack read from its label: the whole content, and the items inside when it says so."""

    quantity: Decimal  # the whole pack's content, in `unit`
    unit: str  # Kitting unit symbol: g, kg, ml, l, piece...
    count: int = 1  # items inside; 1 when the label names none
    item_quantity: Decimal | None = None  # one item's content, in `unit`; None when not given


@dataclass(frozen=True)
class _Part:
    amount: Decimal  # the part's whole content
    unit: str
    count: int | None = None  # items, when the part names them
    item: Decimal | None = None


def plain(number: Decimal) -> Decimal:
    """The number without trailing zeros and never in exponent form (1000, not 1E+3)."""
    return number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize()


def _unit(written: str) -> str | None:
    written = " ".join(written.split())
    symbol = _UNIT_ALIASES.get(written) or unit_symbol(written)
    return symbol if symbol in PACK_UNITS else None


def _normalised(text: str) -> str:
    text = text.lower().replace(_ESTIMATED_SIGN, " ")
    text = re.sub(r"(\d),(\d)", r"\1.\2", text)  # decimal comma
    text = re.sub(r"\.(?!\d)", " ", text)  # a full stop that is not a decimal point
    return re.sub(rf"\s*[{_TIMES}]\s*", " x ", text)


def _part(match: re.Match[str]) -> _Part | None:
    if match["count"]:
        unit, count, item = _unit(match["item_unit"]), int(match["count"]), Decimal(match["item"])
    elif match["rev_count"]:
        unit, count, item = _unit(match["rev_unit"]), int(match["rev_count"]), Decimal(match["rev_item"])
    elif match["unit"] in COUNT_WORDS:
        count = int(Decimal(match["amount"])) if match["amount"].isdigit() else 0
        return _Part(Decimal(count), "piece", count, Decimal(1)) if count > 0 else None
    else:
        unit, amount = _unit(match["unit"]), Decimal(match["amount"])
        return _Part(amount, unit) if unit and amount > 0 else None
    if unit is None or count <= 0 or item <= 0:
        return None
    return _Part(item * count, unit, count, item)


def _parts(text: str) -> list[_Part] | None:
    parts: list[_Part] = []
    position = 0
    for match in _TOKEN.finditer(text):
        if not _is_filler(text[position : match.start()]):
            return None
        part = _part(match)
        if part is None:
            return None
        parts.append(part)
        position = match.end()
    return parts if parts and _is_filler(text[position:]) else None


def _is_filler(text: str) -> bool:
    return all(word in _FILLER for word in _SEPARATORS.split(text) if word)


def _same_amount(first: _Part, second: _Part) -> bool:
    """Whether two parts state the same content (within 2 %, the rounding of labels in two systems)."""
    if dimension(first.unit) != dimension(second.unit) or first.unit == "piece" or second.unit == "piece":
        return False
    try:
        other = convert(second.amount, second.unit, first.unit)
    except IncompatibleUnits:
        return False
    return abs(other - first.amount) <= first.amount * Decimal("0.02")


def _combined(parts: list[_Part]) -> ParsedPack | None:
    measures = [part for part in parts if part.unit != "piece"]
    counted = [part for part in parts if part.unit == "piece"]
    detailed = [part for part in measures if part.count]
    if len(counted) > 1 or len(detailed) > 1 or (counted and detailed):
        return None
    if not measures:
        return ParsedPack(counted[0].amount, "piece", counted[0].count or 1, counted[0].item)
    if any(not _same_amount(measures[0], other) for other in measures[1:]):
        return None
    metric = [part for part in measures if part.unit in _METRIC]
    whole = (metric or measures)[0]
    if detailed and detailed[0].count and detailed[0].item is not None:
        count = detailed[0].count
        item = convert(detailed[0].item, detailed[0].unit, whole.unit)
    elif counted and counted[0].count:
        count = counted[0].count
        item = whole.amount / count
    else:
        return ParsedPack(plain(whole.amount), whole.unit)
    exact = item == item.quantize(Decimal("0.000001"))
    return ParsedPack(plain(whole.amount), whole.unit, count, plain(item) if exact else None)


def parse_pack(text: str) -> ParsedPack | None:
    """The pack an Open Food Facts `quantity` string describes, or None when it is unclear."""
    if not text or not text.strip():
        return None
    parts = _parts(_normalised(text))
    if parts is None:
        return None
    try:
        return _combined(parts)
    except (InvalidOperation, IncompatibleUnits, ArithmeticError):
        return None

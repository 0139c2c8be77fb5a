"""Reading one component line ("1 1/2 cups plain flour, sifted") into quantity, unit and name.

A deliberately small reader for the backbone: leading amount (integers, decimals, fractions, unicode
fractions, ranges take the upper bound), a known unit word, the rest is the name. The extraction
issue replaces it with a trained ingredient parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

UNICODE_FRACTIONS = {"½": "1/2", "¼": "1/4", "¾": "3/4", "⅓": "1/3", "⅔": "2/3", "⅛": "1/8", "⅜": "3/8"}

# written form -> canonical unit symbol used in events
UNIT_WORDS: dict[str, str] = {
    **dict.fromkeys(["g", "gr", "gram", "grams", "gramme", "grammes"], "g"),
    **dict.fromkeys(["kg", "kilo", "kilos", "kilogram", "kilograms"], "kg"),
    **dict.fromkeys(["mg", "milligram", "milligrams"], "mg"),
    **dict.fromkeys(["ml", "millilitre", "millilitres", "milliliter", "milliliters"], "ml"),
    **dict.fromkeys(["cl", "centilitre", "centilitres"], "cl"),
    **dict.fromkeys(["dl", "decilitre", "decilitres"], "dl"),
    **dict.fromkeys(["l", "litre", "litres", "liter", "liters"], "l"),
    **dict.fromkeys(["tsp", "teaspoon", "teaspoons", "t"], "tsp"),
    **dict.fromkeys(["tbsp", "tbs", "tablespoon", "tablespoons", "tbl", "T"], "tbsp"),
    **dict.fromkeys(["cup", "cups", "c"], "cup"),
    **dict.fromkeys(["oz", "ounce", "ounces"], "oz"),
    **dict.fromkeys(["lb", "lbs", "pound", "pounds"], "lb"),
    **dict.fromkeys(["pinch", "pinches"], "pinch"),
    **dict.fromkeys(["clove", "cloves"], "clove"),
    **dict.fromkeys(["can", "cans", "tin", "tins"], "can"),
    **dict.fromkeys(["m", "metre", "metres", "meter", "meters"], "m"),
    **dict.fromkeys(["cm", "centimetre", "centimetres"], "cm"),
    **dict.fromkeys(["mm", "millimetre", "millimetres"], "mm"),
    **dict.fromkeys(["piece", "pieces", "pcs", "pc"], "piece"),
}

_NUMBER = r"\d+\s+\d+/\d+|\d+/\d+|\d+(?:[.,]\d+)?"
_AMOUNT = re.compile(rf"^\s*(?P<low>{_NUMBER})(?:\s*(?:-|\u2013|to)\s*(?P<high>{_NUMBER}))?\s*")


@dataclass(frozen=True)
class ParsedLine:
    amount: Decimal | None
    unit: str | None
    name: str


def tidy(value: Decimal) -> Decimal:
    """Drop trailing zeros without switching to exponent notation (250.000 -> 250, 1.500 -> 1.5)."""
    return Decimal(format(value.normalize(), "f"))


def _number(text: str) -> Fraction:
    total = Fraction(0)
    for part in text.replace(",", ".").split():
        total += Fraction(part)
    return total


def parse_line(text: str) -> ParsedLine:
    cleaned = text
    for symbol, fraction in UNICODE_FRACTIONS.items():
        cleaned = re.sub(rf"(\d)\s*{symbol}", rf"\1 {fraction}", cleaned).replace(symbol, fraction)
    cleaned = " ".join(cleaned.split())
    match = _AMOUNT.match(cleaned)
    if not match:
        return ParsedLine(None, None, _name(cleaned))
    rest = cleaned[match.end() :]
    try:
        value = _number(match.group("high") or match.group("low"))
        amount = tidy((Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.001")))
    except (ZeroDivisionError, ArithmeticError, ValueError):  # "1/0", absurdly long numbers
        return ParsedLine(None, None, _name(rest))
    unit_match = re.match(r"^([A-Za-z]+)\.?(?:\s+|$)", rest)
    unit = None
    if unit_match:
        word = unit_match.group(1)
        unit = UNIT_WORDS.get(word) or UNIT_WORDS.get(word.lower())
        if unit:
            rest = rest[unit_match.end() :]
    if unit is None and amount > 0:
        unit = "piece"
    return ParsedLine(amount if amount > 0 else None, unit if amount > 0 else None, _name(rest))


def _name(rest: str) -> str:
    rest = re.sub(r"^(?:of)\s+", "", rest.strip(), flags=re.IGNORECASE)
    rest = re.sub(r"\([^)]*\)", "", rest)
    name = rest.split(",")[0].strip(" .;:-")
    return " ".join(name.split()) or rest.strip() or "unnamed"

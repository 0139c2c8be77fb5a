"""One ingredient or supply sentence into quantity, unit, name, preparation, optional and
alternatives, with ingredient-parser-nlp (a trained CRF model) running fully offline."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from typing import Any

from agents.extraction.offline_tagger import REINSTALL, TaggerMissing, ensure_tagger
from schemas.units import CONTAINERS, COUNTED, PINT_OF, dimension, unit_symbol

MEASURABLE = ("mass", "volume", "length")
DOZEN = re.compile(r"(\d+(?:\.\d+)?)?\s*dozens?", re.IGNORECASE)
# "a pinch of salt", "handful of mint": the page states no number, and Kitting invents none
VAGUE_UNITS = {"pinch", "dash", "splash", "handful", "bunch", "sprig", "drizzle", "knob", "sprinkle"}
SENTENCES_KEPT = 8192  # lines parsed before, per process: "1 tsp salt" recurs across recipes


@dataclass(frozen=True)
class ParsedLine:
    text: str
    name: str
    quantity: Decimal | None = None
    quantity_max: Decimal | None = None
    unit: str | None = None
    preparation: str | None = None
    comment: str | None = None
    optional: bool = False
    alternatives: list[str] = field(default_factory=list)
    confidence: float = 0.0


@lru_cache(maxsize=1)
def _parser() -> Any:
    ensure_tagger()
    from ingredient_parser import parse_ingredient

    return parse_ingredient


def _decimal(value: Fraction | float | int | str | None) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Fraction(value) if not isinstance(value, Fraction) else value
        result = Decimal(number.numerator) / Decimal(number.denominator)
    except (ValueError, ZeroDivisionError, InvalidOperation, TypeError):
        return None
    result = result.quantize(Decimal("0.001")) if result < Decimal(10) ** 12 else None  # type: ignore[assignment]
    return None if result is None or result <= 0 else Decimal(format(result.normalize(), "f"))


def _choose_amount(amounts: list[Any]) -> tuple[Decimal | None, Decimal | None, str | None]:
    """The amount a shop can act on: a mass or volume over a count ("1 (400 g) can" is 400 g);
    a per-item size times the count ("2 (14.5 oz) cans" is 29 oz)."""
    readable = []
    flat = [part for amount in amounts for part in (getattr(amount, "amounts", None) or [amount])]
    for amount in flat:
        raw = str(amount.unit)
        symbol = (unit_symbol(raw) or unit_symbol(raw.split()[0])) if raw.strip() else "piece"
        readable.append((amount, symbol))  # "10 g tube": the model's unit is "g tube", a mass
    if not readable:
        return None, None, None
    measurable = [(a, s) for a, s in readable if s in PINT_OF and dimension(s) in MEASURABLE]
    amount, symbol = measurable[0] if measurable else readable[0]
    low, high = _decimal(amount.quantity), _decimal(amount.quantity_max)
    dozen = DOZEN.fullmatch(str(amount.quantity).strip())
    if dozen:  # "1 dozen eggs": twelve of them
        low, high, symbol = Decimal(dozen.group(1) or 1) * 12, None, "piece"
    count = next((a for a, s in readable if a is not amount and s in (*COUNTED, None)), None)
    containers = next((s for a, s in readable if a is count), None) in CONTAINERS
    # "2 (14.5 oz) cans", and "2 cans (400 g)": the size is one can's
    if measurable and (getattr(amount, "SINGULAR", False) or containers) and count is not None:
        factor = _decimal(count.quantity)
        if factor and low:
            low, high = low * factor, (high or low) * factor
    low, high = _tidy(low), _tidy(high)
    raw = str(amount.unit)
    unknown = raw if raw and " " not in raw and len(raw) <= 16 else None  # a unit word we do not map
    return low, (high if high != low else None), symbol or unknown


def _tidy(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(format(value.normalize(), "f"))


MAX_PARSED_CHARS = 300  # the model's time grows with the square of a line's length


def parse_line(text: str) -> ParsedLine:
    """Parse one line; the returned `text` is always the line as given. A line that reads the same as
    one parsed before (after cleaning) is not parsed again."""
    visible = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")  # zero-width, direction marks
    cleaned = " ".join(visible.split())[:MAX_PARSED_CHARS]
    cleaned = re.sub(r"(\d),(\d{1,2})\b", r"\1.\2", cleaned)  # decimal commas: "0,5 l", "2,5 dl"
    if not cleaned:
        return ParsedLine(text=text, name="")
    parsed = _parse_cleaned(cleaned)
    return replace(parsed, text=text, alternatives=list(parsed.alternatives))


def forget_parsed() -> None:
    """Forget the lines kept (a benchmark's cold start)."""
    _parse_cleaned.cache_clear()


@lru_cache(maxsize=SENTENCES_KEPT)
def _parse_cleaned(cleaned: str) -> ParsedLine:
    """`parse_line` of a cleaned, non-empty line (its `text` is the cleaned line)."""
    text = cleaned
    parser = _parser()  # TaggerMissing goes up: a parser without its model would read every line wrong
    try:
        parsed = parser(cleaned, string_units=True)
    except LookupError as exc:  # NLTK could not find its tagger after all: the same fault, said plainly
        raise TaggerMissing(f"the ingredient parser's tagger model could not be loaded: {REINSTALL}") from exc
    except Exception:  # the model never should, but a sentence must not sink a page
        return ParsedLine(text=text, name=cleaned, confidence=0.0)
    names = [n.text for n in parsed.name if n.text]
    try:
        low, high, unit = _choose_amount(list(parsed.amount))
    except (AttributeError, TypeError, ValueError):
        low, high, unit = None, None, None
    if low is not None and unit is None:
        unit = "piece"
    if unit in VAGUE_UNITS and not re.search(r"\d|[½¼¾⅓⅔⅛]", cleaned):
        low = high = None
    comment = parsed.comment.text if parsed.comment else None
    optional = bool(re.search(r"\boptional\b", cleaned, re.IGNORECASE))
    alternatives = names[1:] if len(names) > 1 and re.search(r"\bor\b", cleaned, re.IGNORECASE) else []
    name = names[0] if alternatives else " and ".join(names)
    if low is not None and unit in (None, "piece") and name:
        # units the recipe model does not know (DIY lengths: "2 m rope", "3 ft pipe") stay in the name
        first, _, rest = name.partition(" ")
        known = unit_symbol(first) if rest else None
        if known and known != "piece" and re.search(rf"\d\s*{re.escape(first)}\b", cleaned):
            unit, name = known, rest
    confidences = [n.confidence for n in parsed.name] + [getattr(a, "confidence", 0.0) for a in parsed.amount]
    return ParsedLine(
        text=text,
        name=name or cleaned,
        quantity=low,
        quantity_max=high,
        unit=unit if low is not None or unit in VAGUE_UNITS else None,
        preparation=parsed.preparation.text if parsed.preparation else None,
        comment=comment,
        optional=optional,
        alternatives=alternatives,
        confidence=round(min(confidences), 3) if confidences and name else 0.0,
    )

"""What every reader of a method gives: raw lines (a component's text, kind, group and a quantity the
markup states), the reader's finding, and the text cleanup all readers share."""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import ftfy
from pydantic import ValidationError

from schemas.events import ComponentKind
from schemas.values import Quantity

MethodKind = Literal["recipe", "howto", "list", "none"]
MAX_LINES = 500


@dataclass(frozen=True)
class RawLine:
    text: str
    kind: ComponentKind = ComponentKind.ingredient
    group: str | None = None
    quantity: Quantity | None = None  # given by the markup itself (HowToSupply.requiredQuantity)


Found = tuple[str | None, MethodKind, list[RawLine], str, str | None]


def clean(text: Any) -> str:
    """Entities decoded, invisible format characters (zero-width, direction marks) dropped, spaces
    collapsed; otherwise the text stays as the page wrote it."""
    unescaped = html_lib.unescape(str(text))
    if not unescaped.isascii():  # ASCII has no format characters: most text skips the look at each one
        unescaped = "".join(ch for ch in unescaped if unicodedata.category(ch) != "Cf")
    return " ".join(unescaped.split())


TAG = re.compile(r"<[^>]*>")


def clean_line(text: Any) -> str:
    """A component line as a page's markup gives it, cleaned as the site readers clean theirs: entities
    decoded (twice-escaped ones too), tags dropped ("<b>Arborio rice</b>"), text decoded with the wrong
    charset repaired ("1Â¼ cups" is "1¼ cups"), spaces collapsed, doubled parentheses made single
    ("((1/2 cup))") when the line has both."""
    text = str(text)
    for _ in range(3):  # "&amp;amp;" is "&": pages escape their JSON-LD once more than needed
        unescaped = html_lib.unescape(text)
        if unescaped == text:
            break
        text = unescaped
    text = clean(ftfy.fix_encoding(TAG.sub("", text)))
    if "((" in text and "))" in text:
        text = text.replace("((", "(").replace("))", ")")
    return text


def quantity_of(amount: Decimal | None, unit: str | None) -> Quantity | None:
    if amount is None or not unit:
        return None
    try:
        return Quantity(amount=amount, unit=unit[:32])
    except ValidationError:
        return None

"""What every reader of a method gives: raw lines (a component's text, kind, group and a quantity the
markup states), the reader's finding, and the text cleanup all readers share."""

from __future__ import annotations

import html as html_lib
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

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
    return " ".join("".join(ch for ch in unescaped if unicodedata.category(ch) != "Cf").split())


def quantity_of(amount: Decimal | None, unit: str | None) -> Quantity | None:
    if amount is None or not unit:
        return None
    try:
        return Quantity(amount=amount, unit=unit[:32])
    except ValidationError:
        return None

"""Value types carried by events: money with its currency, quantities with their unit.

Amounts are decimal strings on the wire ("3.49"), never JSON numbers: a JSON number is a binary float
in most clients and would lose cents.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

DECIMAL_PATTERN = r"^[0-9]{1,15}(\.[0-9]{1,6})?$"


def _decimal_string(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        candidate = value
    elif isinstance(value, str):
        try:
            candidate = Decimal(value)
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a decimal number") from None
    else:
        raise ValueError(f'amounts are decimal strings like "3.49", not {type(value).__name__}')
    if not candidate.is_finite() or candidate < 0:
        raise ValueError("amount must be a finite, non-negative number")
    if abs(candidate) >= Decimal(10) ** 15 or candidate != candidate.quantize(Decimal("0.000001")):
        raise ValueError("amount out of range: at most 15 digits before and 6 after the point")
    return candidate


DecimalString = Annotated[
    Decimal,
    BeforeValidator(_decimal_string),
    PlainSerializer(lambda value: format(value, "f"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": DECIMAL_PATTERN}),
]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 currency code")]


class Money(BaseModel):
    """An amount of money (not negative) in a currency."""

    model_config = ConfigDict(frozen=True)

    amount: Annotated[DecimalString, Field(description='Decimal string, e.g. "3.49"')]
    currency: CurrencyCode

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def times(self, factor: int | Decimal) -> Money:
        return Money(amount=self.amount * factor, currency=self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(amount=Decimal("0"), currency=currency)


class Quantity(BaseModel):
    """An amount with its unit, as written (`g`, `ml`, `cup`, `piece`, ...)."""

    model_config = ConfigDict(frozen=True)

    amount: Annotated[DecimalString, Field(gt=0, description='Decimal string, e.g. "250"')]
    unit: str = Field(min_length=1, max_length=32, description="Unit symbol or word; `piece` for counts")

"""Value types carried by events: money with its currency, quantities with their unit."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_serializer

CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 currency code")]


class Money(BaseModel):
    """An amount of money. Never a float: the amount is a decimal string on the wire."""

    model_config = ConfigDict(frozen=True)

    amount: Decimal = Field(description='Decimal amount, e.g. "3.49"', examples=["3.49"])
    currency: CurrencyCode

    @field_serializer("amount")
    def _amount_as_string(self, amount: Decimal) -> str:
        return str(amount)

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

    amount: Decimal = Field(gt=0, description='Decimal amount, e.g. "250"', examples=["250"])
    unit: str = Field(min_length=1, max_length=32, description="Unit symbol or word; `piece` for counts")

    @field_serializer("amount")
    def _amount_as_string(self, amount: Decimal) -> str:
        return str(amount)

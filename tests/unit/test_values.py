from decimal import Decimal

import pytest
from pydantic import ValidationError

from schemas.values import Money, Quantity


def test_money_keeps_decimal_and_travels_as_string() -> None:
    money = Money(amount=Decimal("0.1"), currency="EUR") + Money(amount=Decimal("0.2"), currency="EUR")
    assert money.amount == Decimal("0.3")
    assert money.model_dump(mode="json") == {"amount": "0.3", "currency": "EUR"}


def test_money_refuses_mixed_currencies() -> None:
    with pytest.raises(ValueError, match="cannot add USD to EUR"):
        Money(amount=Decimal(1), currency="EUR") + Money(amount=Decimal(1), currency="USD")


def test_money_accepts_json_numbers_and_strings_but_not_bad_currency() -> None:
    assert Money.model_validate({"amount": 1.5, "currency": "EUR"}).amount == Decimal("1.5")
    with pytest.raises(ValidationError):
        Money.model_validate({"amount": "1.5", "currency": "euro"})


def test_quantity_carries_a_unit_and_a_positive_amount() -> None:
    assert Quantity(amount=Decimal("250"), unit="g").model_dump(mode="json") == {"amount": "250", "unit": "g"}
    with pytest.raises(ValidationError):
        Quantity(amount=Decimal("0"), unit="g")
    with pytest.raises(ValidationError):
        Quantity.model_validate({"amount": "2"})

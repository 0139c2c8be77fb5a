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


@pytest.mark.parametrize(
    "document",
    [
        {"amount": 1.5, "currency": "EUR"},  # a JSON number: a float in most clients
        {"amount": "1.5", "currency": "euro"},
        {"amount": "-1", "currency": "EUR"},
        {"amount": "NaN", "currency": "EUR"},
        {"amount": "0.0000001", "currency": "EUR"},
        {"amount": "1e30", "currency": "EUR"},
    ],
)
def test_money_accepts_only_decimal_strings_and_iso_currencies(document: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Money.model_validate(document)
    assert Money.model_validate({"amount": "1.50", "currency": "EUR"}).amount == Decimal("1.50")


def test_quantity_carries_a_unit_and_a_positive_amount() -> None:
    assert Quantity(amount=Decimal("250"), unit="g").model_dump(mode="json") == {"amount": "250", "unit": "g"}
    assert Quantity(amount=Decimal("1E+1"), unit="g").model_dump(mode="json")["amount"] == "10"
    with pytest.raises(ValidationError):
        Quantity(amount=Decimal("0"), unit="g")
    with pytest.raises(ValidationError):
        Quantity.model_validate({"amount": "2"})

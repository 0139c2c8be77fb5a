from decimal import Decimal

import pytest

from agents.providers.catalog import CATALOGS, packs_needed, quote_line
from agents.recipe_units import IncompatibleUnits, convert
from schemas.events import QuoteLine
from schemas.values import Quantity


def line(name: str, amount: str | None, unit: str | None) -> QuoteLine:
    quantity = Quantity(amount=Decimal(amount), unit=unit) if amount and unit else None
    return QuoteLine(line_id="c1", name=name, quantity=quantity)


def test_convert_known_units_and_refuse_nonsense() -> None:
    assert convert(Decimal(250), "g", "kg") == Decimal("0.25")
    assert convert(Decimal(300), "ml", "l") == Decimal("0.3")
    assert convert(Decimal(1), "tbsp", "g", "caster sugar") == pytest.approx(
        Decimal("12.57"), abs=Decimal("0.01")
    )
    with pytest.raises(IncompatibleUnits):
        convert(Decimal(2), "piece", "g")


@pytest.mark.parametrize(
    ("shop", "need", "sku", "packs"),
    [
        ("corner-grocer", line("plain flour", "250", "g"), "CG-FLOUR-1K", 1),
        ("market-hall", line("plain flour", "1.2", "kg"), "MH-FLOUR-500", 3),
        ("market-hall", line("whole milk", "300", "ml"), "MH-MILK-500", 1),
        ("market-hall", line("eggs", "12", "piece"), "MH-EGGS-10", 2),
        ("corner-grocer", line("salt", None, None), "CG-SALT-500", 1),
    ],
)
def test_needs_are_rounded_up_to_whole_packs(shop: str, need: QuoteLine, sku: str, packs: int) -> None:
    offer = quote_line(need, CATALOGS[shop])
    assert offer is not None
    assert (offer.sku, offer.packs) == (sku, packs)
    assert offer.total == offer.unit_price.times(packs)


def test_a_shop_without_the_product_offers_nothing() -> None:
    assert quote_line(line("salt", "1", "pinch"), CATALOGS["market-hall"]) is None
    assert quote_line(line("eggs", "200", "g"), CATALOGS["corner-grocer"]) is None  # eggs are counted


def test_packs_needed_is_at_least_one() -> None:
    product = CATALOGS["corner-grocer"][0]
    assert packs_needed(line("flour", "1", "g"), product) == 1

"""Converting a needed quantity into a shop's pack unit with pint.

Recipe units are mapped to pint names here, before pint sees them (pint reads `pinch` as pico-inch
and `c` as the speed of light). Volume and mass convert through a small density table by name.
Counted units (piece, clove, can) convert only to themselves.
"""

from __future__ import annotations

from decimal import Decimal

import pint

UREG: pint.UnitRegistry = pint.UnitRegistry(non_int_type=Decimal)
UREG.define("pinch = teaspoon / 16")

PINT_NAMES = {
    "g": "gram",
    "kg": "kilogram",
    "mg": "milligram",
    "ml": "milliliter",
    "cl": "centiliter",
    "dl": "deciliter",
    "l": "liter",
    "tsp": "teaspoon",
    "tbsp": "tablespoon",
    "cup": "cup",
    "pinch": "pinch",
    "oz": "ounce",
    "lb": "pound",
    "m": "meter",
    "cm": "centimeter",
    "mm": "millimeter",
}

# grams per millilitre, by a word in the component's name; water when nothing matches
DENSITY_G_PER_ML: dict[str, Decimal] = {
    "flour": Decimal("0.53"),
    "sugar": Decimal("0.85"),
    "salt": Decimal("1.2"),
    "butter": Decimal("0.96"),
    "milk": Decimal("1.03"),
    "oil": Decimal("0.92"),
    "honey": Decimal("1.42"),
    "rice": Decimal("0.85"),
}


class IncompatibleUnits(ValueError):
    pass


def _density(name: str) -> Decimal:
    lowered = name.lower()
    for word, density in DENSITY_G_PER_ML.items():
        if word in lowered:
            return density
    return Decimal("1")


def convert(amount: Decimal, unit: str, to_unit: str, name: str = "") -> Decimal:
    """`amount unit` expressed in `to_unit`; raises IncompatibleUnits when that makes no sense."""
    if unit == to_unit:
        return amount
    if unit not in PINT_NAMES or to_unit not in PINT_NAMES:
        raise IncompatibleUnits(f"cannot express {unit!r} in {to_unit!r}")
    quantity = UREG.Quantity(amount, PINT_NAMES[unit])
    target = UREG.Unit(PINT_NAMES[to_unit])
    try:
        return Decimal(quantity.to(target).magnitude)
    except pint.DimensionalityError:
        pass
    density = UREG.Quantity(_density(name), "gram / milliliter")
    for converted in (quantity * density, quantity / density):
        try:
            return Decimal(converted.to(target).magnitude)
        except pint.DimensionalityError:
            continue
    raise IncompatibleUnits(f"cannot express {unit!r} in {to_unit!r}")

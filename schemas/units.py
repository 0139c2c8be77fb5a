"""The one mapping of recipe units: written forms and pint names onto Kitting's unit symbols, and
those onto pint for conversion. pint alone misreads recipe units (`pinch` is pico-inch, `c` the speed
of light, `T` tesla, `fl oz` femtolitre-ounce) and lacks others (dash, clove, can, stick), so
nothing reaches pint before it passes through here."""

from __future__ import annotations

import functools
from decimal import Decimal

import pint

# Kitting's unit symbol -> pint expression (counted units have none: they convert only to themselves)
PINT_OF: dict[str, str] = {
    "g": "gram", "kg": "kilogram", "mg": "milligram", "oz": "ounce", "lb": "pound",
    "ml": "milliliter", "cl": "centiliter", "dl": "deciliter", "l": "liter",
    "tsp": "teaspoon", "tbsp": "tablespoon", "cup": "cup", "fl oz": "fluid_ounce",
    "pt": "pint", "qt": "quart", "gal": "gallon",
    "pinch": "recipe_pinch", "dash": "recipe_dash", "stick": "butter_stick",
    "m": "meter", "cm": "centimeter", "mm": "millimeter", "in": "inch", "ft": "foot",
}  # fmt: skip
# counted units that are whatever a shop packs the thing in: "2 packages tofu" is two of its packs
CONTAINERS = frozenset({"packet", "can", "jar", "bottle", "bag", "box", "tube", "envelope"})
COUNTED = (
    "piece", "clove", "can", "jar", "bunch", "packet", "slice", "sprig", "head", "sheet", "roll",
    "envelope", "tube", "stalk", "leaf", "handful", "bottle", "bag", "box", "cube", "fillet", "strip",
    "stem", "ear",
)  # fmt: skip

# every written form (lower case unless case matters) -> Kitting's symbol
_FORMS: dict[str, tuple[str, ...]] = {
    "g": ("g", "gr", "gram", "grams", "gramme", "grammes"),
    "kg": ("kg", "kilo", "kilos", "kilogram", "kilograms"),
    "mg": ("mg", "milligram", "milligrams"),
    "oz": ("oz", "ounce", "ounces"),
    "lb": ("lb", "lbs", "pound", "pounds"),
    "ml": ("ml", "millilitre", "millilitres", "milliliter", "milliliters"),
    "cl": ("cl", "centilitre", "centilitres", "centiliter", "centiliters"),
    "dl": ("dl", "decilitre", "decilitres", "deciliter", "deciliters"),
    "l": ("l", "litre", "litres", "liter", "liters"),
    "tsp": ("tsp", "tsps", "teaspoon", "teaspoons", "t"),
    "tbsp": (
        "tbsp",
        "tbsps",
        "tbs",
        "tbl",
        "tablespoon",
        "tablespoons",
        "T",
        "TS",
        "Tb",
        "TB",
        "Tbs",
        "Tbsp",
    ),
    "cup": ("cup", "cups", "c"),
    "fl oz": ("fl oz", "fl. oz", "fl.oz", "floz", "fluid ounce", "fluid ounces", "fluid_ounce"),
    "pt": ("pint", "pints", "pt"),
    "qt": ("quart", "quarts", "qt"),
    "gal": ("gallon", "gallons", "gal"),
    "pinch": ("pinch", "pinches"),
    "dash": ("dash", "dashes"),
    "stick": ("stick", "sticks"),
    "m": ("m", "metre", "metres", "meter", "meters"),
    "cm": ("cm", "centimetre", "centimetres", "centimeter", "centimeters"),
    "mm": ("mm", "millimetre", "millimetres", "millimeter", "millimeters"),
    "in": ("in", "inch", "inches"),
    "ft": ("ft", "foot", "feet"),
    "piece": ("piece", "pieces", "pc", "pcs", "each", "whole", "", "x"),
    "clove": ("clove", "cloves"),
    "can": ("can", "cans", "tin", "tins"),
    "jar": ("jar", "jars"),
    "bunch": ("bunch", "bunches"),
    "packet": (
        "packet",
        "packets",
        "pack",
        "packs",
        "package",
        "packages",
        "sachet",
        "sachets",
        "pkg",
        "pkgs",
        "case",
        "cases",
        "carton",
        "cartons",
        "tub",
        "tubs",
        "block",
        "blocks",
    ),
    "slice": ("slice", "slices"),
    "sprig": ("sprig", "sprigs"),
    "head": ("head", "heads"),
    "sheet": ("sheet", "sheets"),
    "roll": ("roll", "rolls"),
    "envelope": ("envelope", "envelopes"),
    "tube": ("tube", "tubes"),
    "stalk": ("stalk", "stalks", "rib", "ribs"),
    "leaf": ("leaf", "leaves"),
    "handful": ("handful", "handfuls"),
    "bottle": ("bottle", "bottles"),
    "bag": ("bag", "bags"),
    "box": ("box", "boxes"),
    "cube": ("cube", "cubes"),
    "fillet": ("fillet", "fillets"),
    "strip": ("strip", "strips"),
    "stem": ("stem", "stems"),
    "ear": ("ear", "ears"),
}
SIZE_WORDS = {
    "thick",
    "thin",
    "large",
    "small",
    "medium",
    "big",
    "heaping",
    "heaped",
    "level",
    "generous",
    "scant",
}
_CASE_SENSITIVE = {"T", "TS", "t"}
UNIT_OF: dict[str, str] = {
    (form if form in _CASE_SENSITIVE else form.lower()): symbol
    for symbol, forms in _FORMS.items()
    for form in forms
}
# pint's own names (as ingredient-parser returns them) -> Kitting's symbol
UNIT_OF.update({name: symbol for symbol, name in PINT_OF.items() if name not in UNIT_OF})
UNIT_OF.update({"fluid_ounce": "fl oz", "milliliter": "ml", "liter": "l", "gram": "g", "kilogram": "kg"})


def unit_symbol(written: str) -> str | None:
    """Kitting's symbol for a written unit or pint unit name, or None when it is not a unit we know."""
    text = " ".join(str(written).replace(".", " ").split()) if written not in _CASE_SENSITIVE else written
    if text in _CASE_SENSITIVE:
        return UNIT_OF[text]
    words = [w for w in text.lower().split() if w not in SIZE_WORDS] or [""]
    text = " ".join(words)
    return UNIT_OF.get(text) or UNIT_OF.get(text.rstrip("s"))


UREG: pint.UnitRegistry = pint.UnitRegistry(non_int_type=Decimal)
UREG.define("recipe_pinch = teaspoon / 16")
UREG.define("recipe_dash = teaspoon / 8")
UREG.define("butter_stick = 113.398 gram")

# grams per millilitre, by a word in the component's name; water when nothing matches
DENSITY_G_PER_ML: dict[str, Decimal] = {
    "flour": Decimal("0.53"), "sugar": Decimal("0.85"), "icing": Decimal("0.56"), "salt": Decimal("1.2"),
    "butter": Decimal("0.96"), "milk": Decimal("1.03"), "cream": Decimal("1.0"), "oil": Decimal("0.92"),
    "honey": Decimal("1.42"), "syrup": Decimal("1.33"), "rice": Decimal("0.85"), "oats": Decimal("0.41"),
    "cocoa": Decimal("0.42"), "yogurt": Decimal("1.03"), "yoghurt": Decimal("1.03"), "water": Decimal("1"),
}  # fmt: skip


class IncompatibleUnits(ValueError):
    pass


def density(name: str) -> Decimal:
    lowered = name.lower()
    for word, grams_per_ml in DENSITY_G_PER_ML.items():
        if word in lowered:
            return grams_per_ml
    return Decimal("1")


def convert(amount: Decimal, unit: str, to_unit: str, name: str = "") -> Decimal:
    """`amount unit` expressed in `to_unit` (Kitting symbols); volume and mass convert through the
    density of the named ingredient. Raises IncompatibleUnits when that makes no sense."""
    if unit == to_unit:
        return amount
    if unit not in PINT_OF or to_unit not in PINT_OF:
        raise IncompatibleUnits(f"cannot express {unit!r} in {to_unit!r}")
    quantity = UREG.Quantity(amount, PINT_OF[unit])
    target = UREG.Unit(PINT_OF[to_unit])
    try:
        return Decimal(quantity.to(target).magnitude)
    except pint.DimensionalityError:
        pass
    grams_per_ml = UREG.Quantity(density(name), "gram / milliliter")
    for converted in (quantity * grams_per_ml, quantity / grams_per_ml):
        try:
            return Decimal(converted.to(target).magnitude)
        except pint.DimensionalityError:
            continue
    raise IncompatibleUnits(f"cannot express {unit!r} in {to_unit!r}")


@functools.lru_cache(maxsize=1024)
def dimension(unit: str) -> str:
    """'mass', 'volume', 'length' or the counted unit itself: what a quantity can be merged with."""
    if unit not in PINT_OF:
        return unit
    dims = str(UREG.Unit(PINT_OF[unit]).dimensionality)
    return {"[mass]": "mass", "[length] ** 3": "volume", "[length]": "length"}.get(dims, dims)

"""How much a food's counted and measured amounts weigh: a whole piece of it (an onion, a bulb of garlic),
its kitchen units (a clove, a bunch, a sprig, a knob, a can) and its density, so "2 cloves garlic" can
be filled with a bulb or a 100 g net, and "1 cup flour" with a 1 kg bag.

Source: typical weights from the household measures of USDA FoodData Central (SR Legacy), rounded
(a medium onion 110 g, a garlic clove 3 g, a large egg 50 g, a cup of flour 125 g); bunches, knobs and
cans from common supermarket sizes (a bunch of parsley 60 g, a can of tomatoes 400 g). A concept
takes the portions of its nearest ancestor that has some.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from schemas.concepts import taxonomy
from schemas.units import PINT_OF, IncompatibleUnits, convert, dimension, unit_symbol


@dataclass(frozen=True)
class Portion:
    piece: Decimal | None = None  # grams of one whole piece (what "1 onion" or a product "per piece" is)
    units: dict[str, Decimal] = field(default_factory=dict)  # grams of one clove, bunch, sprig, can...
    density: Decimal | None = None  # grams per millilitre


def _p(piece: str | None = None, density: str | None = None, **units: str) -> Portion:
    return Portion(
        Decimal(piece) if piece else None,
        {unit: Decimal(grams) for unit, grams in units.items()},
        Decimal(density) if density else None,
    )


PORTIONS: dict[str, Portion] = {
    # vegetables and fruit
    "en:garlic": _p("40", clove="3", head="40", bulb="40"),
    "en:onions": _p("110"), "en:shallots": _p("25"), "en:scallions": _p("15", bunch="100"),
    "en:leeks": _p("90"), "en:tomatoes": _p("125"), "en:cherry-tomatoes": _p("17"),
    "en:canned-tomatoes": _p(None, can="400", tin="400"), "en:canned-foods": _p(None, can="400", tin="400"),
    "en:coconut-milks": _p(None, "1.0", can="400", tin="400"), "en:wines": _p(None, "1.0", bottle="750"),
    "en:beers": _p(None, "1.0", bottle="330", can="330"), "en:carrots": _p("60"), "en:potatoes": _p("210"),
    "en:sweet-potatoes": _p("130"), "en:sweet-peppers": _p("120"), "en:cucumbers": _p("300"),
    "en:zucchini": _p("200"), "en:aubergines": _p("450"), "en:celery": _p(None, stalk="40", head="450"),
    "en:mushrooms": _p("18"), "en:lemons": _p("85"), "en:limes": _p("65"), "en:oranges": _p("130"),
    "en:apples": _p("180"), "en:bananas": _p("120"), "en:avocados": _p("150"),
    "en:ginger": _p("15", knob="15"), "en:chili-peppers": _p("15"), "en:mangoes": _p("200"),
    "en:peaches": _p("150"), "en:pears": _p("180"), "en:plums": _p("65"), "en:apricots": _p("35"),
    "en:nectarines": _p("140"), "en:kiwifruits": _p("75"), "en:grapefruits": _p("250"),
    "en:pineapple": _p("900"), "en:melons": _p("1200"), "en:watermelons": _p("4000"),
    "en:lettuces": _p("450", head="450"), "en:cabbages": _p("900", head="900"),
    "en:cauliflowers": _p("600", head="600"), "en:fennel": _p("250"), "en:beet": _p("80"),
    "en:turnip": _p("120"), "en:parsnip": _p("100"), "en:radishes": _p("8"),
    "en:pumpkin-and-squash-plant-products": _p("900"),
    "en:corn-on-the-cob": _p("250", ear="250"), "en:artichokes": _p("300"),
    # herbs and leaves (densities of them loosely packed: 1 cup of basil leaves weighs about 24 g)
    "en:parsley": _p(None, "0.25", bunch="60", sprig="1", handful="15"),
    "en:coriander-leaves": _p(None, "0.17", bunch="50", sprig="1", handful="15"),
    "en:basil": _p(None, "0.1", bunch="30", sprig="2", leaf="0.5", handful="10"),
    "en:mint": _p(None, "0.1", bunch="30", sprig="1", leaf="0.3", handful="10"),
    "en:spinachs": _p(None, "0.13", handful="30"), "en:leaf-salads": _p(None, "0.08", handful="20"),
    "en:rocket": _p(None, "0.08", handful="20"), "en:mesclun": _p(None, "0.08", handful="20"),
    "en:curly-kale": _p(None, "0.09", handful="25"),
    # cheese, grated or crumbled by the cup
    "en:cheeses": _p(None, "0.45"), "en:parmigiano-reggiano": _p(None, "0.42"), "en:feta": _p(None, "0.6"),
    # nuts, seeds and berries by the cup
    "en:nuts": _p(None, "0.5"), "en:seeds": _p(None, "0.6"), "en:berries": _p(None, "0.6"),
    "en:thyme": _p(None, bunch="20", sprig="0.5"), "en:rosemary": _p(None, bunch="20", sprig="1"),
    "en:dill": _p(None, bunch="30", sprig="1"), "en:chives": _p(None, bunch="20", handful="10"),
    "en:bay-laurel": _p(None, leaf="0.2", bunch="10"), "en:sage": _p(None, bunch="20", leaf="0.5"),
    "en:tarragon": _p(None, bunch="20", sprig="1"), "en:oregano": _p(None, bunch="20", sprig="1"),
    # meat and fish, as counted pieces
    "en:chicken-thighs": _p("130"), "en:chicken-breasts": _p("175"), "en:chicken-drumsticks": _p("110"),
    "en:chicken-wings": _p("90"), "en:sausages": _p("70"), "en:bacon": _p("25", slice="25", strip="25"),
    "en:salmon-fillets": _p("140", fillet="140"), "en:fish-fillets": _p("140", fillet="140"),
    "en:whole-chickens": _p("1500"),
    "en:breads": _p(None, slice="35"), "en:baguettes": _p("250"),
    # eggs, dairy, fats
    "en:eggs": _p("50"), "en:butters": _p(None, "0.96", stick="113"), "en:milks": _p(None, "1.03"),
    "en:creams": _p(None, "1.0"), "en:yogurts": _p(None, "1.03"), "en:vegetable-oils": _p(None, "0.92"),
    # dry goods and liquids
    "en:flours": _p(None, "0.53"), "en:sugars": _p(None, "0.85"), "en:brown-sugars": _p(None, "0.93"),
    "en:powdered-sugars": _p(None, "0.51"), "en:salts": _p(None, "1.2"), "en:honeys": _p(None, "1.42"),
    "en:maple-syrups": _p(None, "1.32"), "en:rices": _p(None, "0.85"), "en:rolled-oats": _p(None, "0.36"),
    "en:cocoa-powders": _p(None, "0.42"), "en:broths": _p(None, "1.0", cube="10"),
    "en:spices": _p("0.3", "0.45"), "en:cinnamon-sticks": _p("3"), "en:green-cardamom": _p("0.2"),
    "en:star-anise": _p("0.5"), "en:whole-cloves": _p("0.1"), "en:vanilla-pods": _p("3"),
    "en:bicarbonates-of-soda": _p(None, "0.92"), "en:baking-powder-or-raising-agent": _p(None, "0.92"),
    "en:vanilla-extract": _p(None, "0.88"),
}  # fmt: skip


def portion_of(concept_id: str | None) -> Portion:
    """The portions of the concept, or of its nearest ancestor that has some."""
    if not concept_id:
        return Portion()
    if concept_id in PORTIONS:
        return PORTIONS[concept_id]
    tx = taxonomy()
    ancestors = sorted(tx.ancestors(concept_id).items(), key=lambda item: (item[1], item[0]))
    for ancestor, _ in ancestors:
        if ancestor in PORTIONS:
            return PORTIONS[ancestor]
    return Portion()


def grams_of(amount: Decimal, unit: str | None, portion: Portion, name: str = "") -> Decimal | None:
    """What `amount unit` of this food weighs, when it can be told; no unit means pieces."""
    symbol = unit_symbol(unit) if unit else "piece"
    if symbol is None:
        symbol = (unit or "").strip().lower()
    if symbol in PINT_OF:
        if dimension(symbol) == "mass":
            return convert(amount, symbol, "g")
        if dimension(symbol) == "volume" and portion.density is not None:
            return convert(amount, symbol, "ml") * portion.density
        try:  # the unit table's own densities (by name) as a last resort
            return convert(amount, symbol, "g", name) if dimension(symbol) == "volume" and name else None
        except IncompatibleUnits:
            return None
    if symbol == "piece" and portion.piece is None:  # "5 basil leaves", "3 garlic cloves": counted by part
        part = next((w for w in reversed(_words(name)) if w in portion.units), None)
        symbol = part or symbol
    grams = portion.units.get(symbol) or (portion.piece if symbol == "piece" else None)
    if grams is None:
        grams = _stated_size(name, portion)  # "Silicone grease, 10 g tube": one tube is 10 g
    return amount * grams if grams is not None else None


def _words(name: str) -> list[str]:
    words = re.findall(r"[a-z]+", name.lower())
    return [w[:-3] + "f" if w.endswith("ves") else w[:-1] if w.endswith("s") else w for w in words]


_STATED_SIZE = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)?)\s*(g|kg|ml|cl|l)\b", re.IGNORECASE)


def _stated_size(name: str, portion: Portion) -> Decimal | None:
    """What one of the thing weighs when its name says it ("10 g tube", "400 ml tin")."""
    match = _STATED_SIZE.search(name)
    if match is None:
        return None
    amount, unit = Decimal(match.group(1).replace(",", ".")), match.group(2).lower()
    if dimension(unit) == "mass":
        return convert(amount, unit, "g")
    return convert(amount, unit, "ml") * (portion.density or Decimal(1))

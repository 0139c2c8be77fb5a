from decimal import Decimal

from agents.extraction.extract import components_from
from agents.extraction.lines import RawLine
from agents.quoting.needs import described, merge_needs, scale, yield_number
from schemas.concepts import Diet
from schemas.events import QuoteLine


def lines(*texts: str) -> list[RawLine]:
    return [RawLine(text) for text in texts]


def test_the_same_component_twice_is_one_need_in_one_unit() -> None:
    texts = lines("1 tbsp butter", "30 g butter", "2 eggs", "1 egg", "1 tsp salt")
    needs = merge_needs(components_from(texts, "t"))
    butter, eggs, salt = needs
    assert (butter.line_id, butter.quantity and butter.quantity.unit) == ("c1+c2", "g")
    assert butter.quantity is not None  # 1 tbsp of butter is 14.2 g, plus 30 g
    assert Decimal("44") < butter.quantity.amount < Decimal("45")
    assert (eggs.line_id, eggs.quantity and eggs.quantity.amount) == ("c3+c4", Decimal(3))
    assert salt.line_id == "c5"


def test_different_things_stay_apart() -> None:
    needs = merge_needs(components_from(lines("2 cloves garlic", "1 tsp garlic powder", "2 m rope"), "t"))
    assert [n.name for n in needs] == ["garlic", "garlic powder", "rope"]


def test_scaling_to_servings() -> None:
    assert yield_number("Serves 4-6") == Decimal(4)
    assert yield_number(None) is None
    scaled = scale(components_from(lines("250 g flour", "3 eggs", "salt"), "t"), "4 servings", 6)
    assert [c.quantity and c.quantity.amount for c in scaled] == [Decimal("375"), Decimal("4.5"), None]
    unscaled = components_from(lines("250 g flour"), "t")
    assert scale(unscaled, None, 6) == unscaled


def described_needs(*texts: str) -> dict[str, QuoteLine]:
    components = components_from(lines(*texts), "t")
    return {line.name: line for line in described(merge_needs(components), components)}


def test_each_need_says_what_it_is_how_much_it_weighs_and_the_methods_diet() -> None:
    needs = described_needs(
        "2 cloves garlic, crushed",
        "1 litre vegetable stock",
        "200 g mature cheddar",
        "1 cup water",
        "1 onion",
    )
    assert "water" not in needs  # nobody buys it
    garlic, stock, cheddar, onion = (
        needs[n] for n in ("garlic", "vegetable stock", "mature cheddar", "onion")
    )
    assert isinstance(garlic, QuoteLine) and isinstance(stock, QuoteLine) and isinstance(onion, QuoteLine)
    assert (garlic.concept, garlic.fresh, garlic.grams, garlic.piece_grams) == (
        "en:fresh-garlic",
        True,
        Decimal(6),
        Decimal(40),
    )
    assert stock.concept == "en:vegetable-broths" and stock.grams == Decimal(1000)
    assert cheddar.concept == "en:mature-cheddar"
    assert {line.diet for line in (garlic, stock, cheddar, onion)} == {Diet.vegetarian}  # cheese: not vegan
    assert onion.fresh and onion.piece_grams == Decimal(110) and onion.grams == Decimal(110)


def test_a_method_with_meat_keeps_to_no_diet() -> None:
    needs = described_needs("2 chicken breasts", "1 litre chicken stock", "1 onion")
    assert {line.diet for line in needs.values()} == {None}
    vegan = described_needs("1 litre vegetable stock", "1 onion", "2 tbsp olive oil")
    assert {line.diet for line in vegan.values()} == {Diet.vegan}


def test_the_same_kind_of_thing_named_twice_is_one_need() -> None:
    texts = lines(
        "1 cup unsweetened cocoa powder", "cocoa powder for dusting", "2 tbsp olive oil", "1 tsp salt"
    )
    cocoa, oil, salt = merge_needs(components_from(texts, "t"))
    assert cocoa.line_id == "c1+c2" and cocoa.quantity is not None and cocoa.quantity.unit == "cup"
    assert (oil.line_id, salt.line_id) == ("c3", "c4")
    kept_apart = merge_needs(components_from(lines("100 g unsalted butter", "30 g butter"), "t"))
    assert [n.line_id for n in kept_apart] == ["c1", "c2"]  # unsalted butter is not any butter
    creams = merge_needs(components_from(lines("200 ml double cream", "100 ml single cream"), "t"))
    assert [n.name for n in creams] == ["double cream", "single cream"]  # both creams, not one product

from decimal import Decimal

from agents.extraction.extract import RawLine, components_from
from agents.quoting.needs import merge_needs, scale, yield_number


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

"""How an offered product fits a quote line: the words that say a thing is free of something, diets
checked by kind and by name, and products whose kind the provider does not say."""

from __future__ import annotations

from agents.concepts.normalise import concept_of
from schemas.concepts import Diet
from schemas.events import QuoteLine
from schemas.fitting import fit, without_free, words


def line(name: str, concept: str | None, diet: Diet | None = None, broader: bool = False) -> QuoteLine:
    return QuoteLine(line_id="l1", name=name, concept=concept, diet=diet, broader=broader)


def test_a_thing_free_of_something_is_not_that_thing() -> None:
    assert without_free("gluten-free oats, non-dairy creamer") == "glutenfree oats, nondairy creamer"
    assert "gluten" not in words("Gluten free flour") and "glutenfree" in words("Gluten free flour")
    for name in ("gluten-free flour", "egg-free noodles", "dairy-free spread"):
        read = concept_of(name, name)
        assert read.concept not in ("en:gluten-flours", "en:egg-noodles", "en:butters"), (name, read)
    need = line("gluten-free flour", "en:flours", broader=True)
    assert not fit(need, "en:gluten-flours", "Gluten flour").exact
    assert fit(need, "en:cassava-flour", "Gluten free cassava flour").exact


def test_a_diet_is_kept_by_the_kind_and_by_the_name() -> None:
    vegetarian = line("cooking fat", "en:fats", Diet.vegetarian)
    assert fit(vegetarian, "en:lards", "Lard, 500 g").kind == "unfit"  # lard is meat, as its kind says
    assert fit(vegetarian, None, "Chicken fat").kind == "unfit"  # no kind said: the name says meat
    vegan = line("coconut milk", "en:coconut-milks", Diet.vegan)
    assert fit(vegan, "en:coconut-milks", "Coconut milk, 400 ml").exact  # its kind keeps to the diet
    assert fit(line("spread", None, Diet.vegan), None, "Butter, 250 g").kind == "unfit"
    assert fit(line("spread", None, Diet.vegan), None, "Vegan butter alternative").kind != "unfit"


def test_a_product_whose_kind_is_not_said_is_never_exact_nor_close_for_a_known_need() -> None:
    cheddar = line("mature cheddar", "en:mature-cheddar")
    named_alike = fit(cheddar, None, "Mature cheddar, 200 g")
    assert named_alike.kind == "substitute" and not named_alike.similar
    assert "does not say what it is" in named_alike.reason
    unknown_need = line("oreo cookies", None)
    assert fit(unknown_need, None, "Oreo cookies, 154 g").exact
    other = fit(unknown_need, None, "Oatmeal cookies")
    assert other.kind == "substitute" and not other.similar

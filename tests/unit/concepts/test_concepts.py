"""What a component is, and whether a product is it: the failures a new user met, one by one, at the level
of concepts (the taxonomy and the reading of names). The shops and the coordinator build on these."""

from __future__ import annotations

import pytest

from agents.concepts.normalise import concept_of, matchers
from agents.concepts.words import EXTRA_NAMES
from schemas.concepts import Diet, taxonomy
from schemas.events import ComponentKind

INGREDIENT, SUPPLY = ComponentKind.ingredient, ComponentKind.supply


def need(line: str, name: str, unit: str | None = None, kind: ComponentKind = INGREDIENT) -> tuple[str, bool]:
    match = concept_of(name, line, kind, unit)
    assert match.concept is not None, f"{line!r} was not read as any concept"
    return match.concept, match.fresh


def kind_of(offered: str, line: str, name: str, unit: str | None = None) -> str:
    needed, fresh = need(line, name, unit)
    return taxonomy().relation(offered, needed, fresh).kind


def test_cheddar_is_cheddar_and_mozzarella_only_another_cheese() -> None:
    needed, _ = need("200g mature cheddar, grated", "mature cheddar", "g")
    assert taxonomy().is_within(needed, "en:cheddar-cheese")
    assert kind_of("en:cheddar-cheese", "200 g cheddar", "cheddar", "g") == "exact"
    relation = taxonomy().relation("en:buffalo-mozzarella", need("200 g cheddar", "cheddar", "g")[0])
    assert relation.kind == "substitute" and relation.reason.endswith("another cheese")


def test_dark_brown_sugar_is_a_brown_sugar_and_icing_sugar_is_not() -> None:
    assert need("100 g dark brown soft sugar", "dark brown soft sugar", "g")[0] == "en:brown-sugars"
    assert kind_of("en:muscovado", "1 cup dark brown sugar", "dark brown sugar", "cup") == "exact"
    assert kind_of("en:powdered-sugars", "1 cup dark brown sugar", "dark brown sugar", "cup") == "substitute"


def test_vegetable_stock_is_vegetable_broth_and_chicken_stock_never_suits_a_vegetarian_kit() -> None:
    needed, _ = need("1 litre vegetable stock", "vegetable stock", "l")
    assert needed == "en:vegetable-broths"
    tx = taxonomy()
    assert tx.relation("en:dehydrated-vegetable-bouillons", needed).kind == "exact"
    assert not tx.suits("en:liquid-chicken-broths", Diet.vegetarian)
    assert not tx.suits("en:dehydrated-poultry-broth-stock", Diet.vegetarian)
    assert tx.suits(needed, Diet.vegan)
    assert tx.diet_of([needed, "en:onions", "en:cheddar-cheese"]) is Diet.vegetarian
    assert tx.diet_of([needed, "en:onions"]) is Diet.vegan
    assert tx.diet_of([needed, "en:chicken-breasts"]) is None


def test_olive_oil_is_olive_oil_and_sunflower_oil_a_substitute() -> None:
    assert kind_of("en:extra-virgin-olive-oils", "2 tbsp olive oil", "olive oil", "tbsp") == "exact"
    assert kind_of("en:sunflower-oils", "2 tbsp olive oil", "olive oil", "tbsp") == "substitute"


def test_fresh_tomatoes_are_not_passata_nor_canned() -> None:
    needed, fresh = need("4 ripe tomatoes, chopped", "ripe tomatoes")
    assert fresh and taxonomy().is_within(needed, "en:tomatoes")
    assert kind_of("en:fresh-tomatoes", "4 ripe tomatoes", "ripe tomatoes") == "exact"
    assert kind_of("en:canned-tomatoes", "4 ripe tomatoes", "ripe tomatoes") == "substitute"
    assert kind_of("en:tomato-purees", "4 ripe tomatoes", "ripe tomatoes") == "substitute"
    canned, fresh = need("2 cans (400 g) chopped tomatoes", "tomatoes", "can")
    assert canned == "en:canned-tomatoes" and not fresh


def test_two_cloves_of_garlic_are_fresh_garlic() -> None:
    needed, fresh = need("2 cloves garlic, crushed", "garlic", "clove")
    assert (needed, fresh) == ("en:fresh-garlic", True)  # the taxonomy's fresh kind of garlic
    assert kind_of("en:fresh-garlic", "2 cloves garlic", "garlic", "clove") == "exact"
    assert kind_of("en:garlic-powder", "2 cloves garlic", "garlic", "clove") == "substitute"
    assert kind_of("en:frozen-chopped-garlic", "2 cloves garlic", "garlic", "clove") == "substitute"


def test_silicone_grease_is_silicone_grease_not_any_lubricant() -> None:
    needed, _ = need("Silicone grease, 10 g tube", "Silicone grease", "g", SUPPLY)
    assert needed == "kitting:silicone-grease"
    assert taxonomy().relation("kitting:penetrating-oil", needed).kind == "substitute"


@pytest.mark.parametrize(
    ("line", "name", "unit", "within"),
    [
        ("1 cup all-purpose flour", "all-purpose flour", "cup", "en:wheat-flours"),
        ("1/2 teaspoon baking soda", "baking soda", "tsp", "en:bicarbonates-of-soda"),
        ("1 cup heavy cream", "heavy cream", "cup", "en:creams"),
        ("1/4 cup chopped cilantro", "cilantro", "cup", "en:coriander-leaves"),
        ("3 spring onions", "spring onions", None, "en:scallions"),
        ("2 cups chicken stock", "chicken stock", "cup", "en:poultry-broth"),
        ("freshly ground black pepper", "black pepper", None, "en:black-peppers"),
        ("1 red pepper, sliced", "red pepper", None, "en:sweet-peppers"),
        ("50 g parmesan, grated", "parmesan", "g", "en:parmigiano-reggiano"),
        ("3 large eggs", "eggs", None, "en:eggs"),
    ],
)
def test_kitchen_words_read_as_the_taxonomy_names_them(
    line: str, name: str, unit: str | None, within: str
) -> None:
    assert taxonomy().is_within(need(line, name, unit)[0], within)


def test_water_is_not_needed_and_an_unknown_thing_is_no_concept() -> None:
    assert concept_of("water", "1 cup warm water", INGREDIENT, "cup").not_needed
    assert concept_of("boiling water", "500 ml boiling water", INGREDIENT, "ml").not_needed
    assert concept_of("sourdough starter", "115g active sourdough starter", INGREDIENT, "g").concept is None


def test_a_name_saying_more_than_its_concept_is_approximate() -> None:
    broad = concept_of("Oaxaca cheese", "100 g Oaxaca cheese", INGREDIENT, "g")
    assert broad.concept == "en:cheeses" and broad.approximate  # a cheese, but the taxonomy has no Oaxaca
    assert not concept_of("mature cheddar", "200 g mature cheddar", INGREDIENT, "g").approximate


def test_every_extra_name_names_a_concept_of_the_taxonomy() -> None:
    assert sorted(set(EXTRA_NAMES) - set(c.id for c in taxonomy())) == []


def test_reading_a_name_is_fast() -> None:
    import time

    matchers()
    started = time.perf_counter()
    for _ in range(200):
        concept_of("extra virgin olive oil", "2 tbsp extra virgin olive oil", INGREDIENT, "tbsp")
    assert (time.perf_counter() - started) / 200 < 0.002

"""The failures that opened issue 14, each through the whole quoting code (extraction, needs, the
reference shops' quotes, Kitting's own check, selection; `kitting quote`): every line gets the right
product or an explicitly proposed substitute, never the wrong one."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agents.cli.quote import Wanted, quote_method
from agents.extraction.extract import extract_method
from schemas.concepts import Diet, taxonomy
from schemas.vocabulary import SubstitutePolicy

SOUP = [
    "100g mature cheddar, grated", "2 tbsp dark brown sugar", "1 litre vegetable stock", "2 tbsp olive oil",
    "4 ripe tomatoes, chopped", "2 cloves garlic, crushed", "1 onion, diced", "500 ml water",
]  # fmt: skip


def recipe(lines: list[str], title: str = "Tomato and cheddar soup") -> str:
    data = {"@context": "https://schema.org", "@type": "Recipe", "name": title, "recipeYield": "4",
            "recipeIngredient": lines}  # fmt: skip
    return f'<html><head><script type="application/ld+json">{json.dumps(data)}</script></head></html>'


def kit_of(html: str, policy: SubstitutePolicy = SubstitutePolicy.ask) -> dict[str, dict[str, Any]]:
    kit = quote_method(extract_method(html), "https://recipes.example/soup", Wanted(substitutes=policy))
    return {line["text"]: line for line in kit["lines"]}


def is_a(line: dict[str, Any], kind: str) -> bool:
    return line["product_concept"] is not None and taxonomy().is_within(line["product_concept"], kind)


@pytest.fixture(scope="module")
def soup() -> dict[str, dict[str, Any]]:
    return kit_of(recipe(SOUP))


def test_cheddar_is_cheddar(soup: dict[str, dict[str, Any]]) -> None:
    cheddar = soup["100g mature cheddar, grated"]
    assert cheddar["status"] == "exact" and is_a(cheddar, "en:cheddar-cheese"), cheddar


def test_dark_brown_sugar_is_brown_sugar_never_icing_sugar(soup: dict[str, dict[str, Any]]) -> None:
    sugar = soup["2 tbsp dark brown sugar"]
    assert (
        sugar["status"] == "exact"
        and is_a(sugar, "en:brown-sugars")
        and not is_a(sugar, "en:powdered-sugars")
    )


def test_vegetable_stock_of_a_vegetarian_soup_is_vegetable_stock(soup: dict[str, dict[str, Any]]) -> None:
    stock = soup["1 litre vegetable stock"]
    assert stock["status"] == "exact" and is_a(stock, "en:vegetable-broths"), stock
    for line in soup.values():  # no product of the soup breaks its diet, whatever it is for
        assert line["product_concept"] is None or taxonomy().suits(line["product_concept"], Diet.vegetarian)


def test_olive_oil_is_olive_oil(soup: dict[str, dict[str, Any]]) -> None:
    oil = soup["2 tbsp olive oil"]
    assert oil["status"] == "exact" and is_a(oil, "en:olive-oils"), oil


def test_fresh_tomatoes_are_fresh_tomatoes(soup: dict[str, dict[str, Any]]) -> None:
    tomatoes = soup["4 ripe tomatoes, chopped"]
    assert tomatoes["status"] == "exact" and is_a(tomatoes, "en:fresh-tomatoes"), tomatoes


def test_two_cloves_of_garlic_are_one_bulb_or_a_small_pack(soup: dict[str, dict[str, Any]]) -> None:
    garlic = soup["2 cloves garlic, crushed"]
    assert garlic["status"] == "exact" and is_a(garlic, "en:garlic") and garlic["packs"] == 1, garlic


def test_water_is_not_needed(soup: dict[str, dict[str, Any]]) -> None:
    assert soup["500 ml water"]["status"] == "not-needed"


def test_a_10_g_tube_of_silicone_grease_is_silicone_grease() -> None:
    data = {"@context": "https://schema.org", "@type": "HowTo", "name": "Fix a dripping tap",
            "supply": [{"@type": "HowToSupply", "name": "Silicone grease, 10 g tube"}],
            "tool": [{"@type": "HowToTool", "name": "Adjustable spanner"}]}  # fmt: skip
    html = f'<script type="application/ld+json">{json.dumps(data)}</script>'
    kit = kit_of(html)
    grease = kit["Silicone grease, 10 g tube"]
    assert grease["status"] == "exact" and is_a(grease, "kitting:silicone-grease") and grease["packs"] == 1


def test_without_the_product_a_neighbour_is_only_proposed_with_its_reason_never_taken_unasked() -> None:
    html = recipe(["2 tbsp black cocoa powder"], "Dark cookies")
    asked = kit_of(html)["2 tbsp black cocoa powder"]
    assert asked["status"] == "substitute" and asked["reason"].endswith("not said to be black"), asked
    assert is_a(asked, "en:cocoa-powders")
    never = kit_of(html, SubstitutePolicy.never)["2 tbsp black cocoa powder"]
    assert never["status"] == "uncovered" and "you take none" in never["reason"], never

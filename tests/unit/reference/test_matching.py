"""Matching component names to products' keywords: matches, substitutes, false friends, no match."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from agents.reference.matching import Phrase, parse_phrase, rank, singular, strip_accents


def phrases(*keywords: str) -> tuple[Phrase, ...]:
    return tuple(phrase for phrase in map(parse_phrase, keywords) if phrase is not None)


def best(name: str, *candidates: Sequence[str]) -> tuple[int, float, bool] | None:
    """(candidate index, score, substitute) of the best match, or None."""
    ranked = rank(name, [phrases(*keywords) for keywords in candidates])
    return (ranked[0].index, ranked[0].score, ranked[0].substitute) if ranked else None


def test_words_are_normalised() -> None:
    assert strip_accents("Crème fraîche, œufs") == "Creme fraiche, oeufs"
    assert [singular(word) for word in ("lentils", "tomatoes", "berries", "glass", "leaves")] == [
        "lentil",
        "tomato",
        "berry",
        "glass",
        "leaf",
    ]
    phrase = parse_phrase("2 Ripe TOMATOES, roughly chopped")
    assert phrase is not None and phrase.head == ("tomato",) and not phrase.qualifiers
    washer = parse_phrase("Tap washer, 1/2 inch")
    assert washer is not None and washer.head == ("washer",) and washer.sizes == {("1/2", "in")}


@pytest.mark.parametrize(
    ("name", "keywords"),
    [
        ("red lentils", ("red lentils", "lentils")),
        ("ripe tomatoes", ("tomatoes", "vine tomatoes")),
        ("red onion", ("red onions", "onions")),
        ("coconut milk", ("coconut milk",)),
        ("olive oil", ("extra virgin olive oil", "olive oil")),
        ("eggs", ("free range eggs",)),
        ("uova", ("eggs",)),  # Italian
        ("farine", ("plain flour",)),  # French
        ("corriander", ("fresh coriander",)),  # misspelt
        ("Tap washer, 1/2 inch", ("tap washer, 1/2 inch",)),
        ("wood screws", ("wood screw, 5 x 60 mm",)),
        ("Matt emulsion paint, white", ("matt emulsion paint, brilliant white",)),
        ("Decorator's caulk", ("decorator's caulk",)),
        ("Flat-head screwdriver", ("flat head screwdriver",)),
        ("Drill with an 8 mm masonry bit", ("cordless drill with masonry bit, 8 mm",)),
        ("Stud and cable detector", ("stud and cable detector",)),
    ],
)
def test_names_match_their_products_exactly(name: str, keywords: tuple[str, ...]) -> None:
    found = best(name, ("unrelated thing",), keywords)
    assert found is not None and found[0] == 1
    assert found[2] is False and found[1] >= 75


@pytest.mark.parametrize(
    ("name", "keywords"),
    [
        ("basmati rice", ("long grain rice", "rice")),
        ("olive oil", ("sunflower oil",)),
        ("red onion", ("onions",)),
        ("single cream", ("cooking cream",)),
        ("whole milk", ("semi-skimmed milk",)),
        ("Masking tape, 25 mm", ("masking tape, 50 mm",)),
        ("coriander", ("ground coriander",)),  # another form
        ("ripe tomatoes", ("chopped tomatoes, canned",)),
    ],
)
def test_a_differing_qualifier_makes_a_substitute(name: str, keywords: tuple[str, ...]) -> None:
    found = best(name, keywords)
    assert found is not None
    assert found[2] is True and found[1] < 75


@pytest.mark.parametrize(
    ("name", "keywords"),
    [
        ("coconut milk", ("whole milk", "milk")),
        ("milk", ("coconut milk",)),
        ("rice", ("rice milk",)),
        ("butter", ("peanut butter",)),
        ("peanut butter", ("unsalted butter", "butter")),
        ("cream", ("ice cream",)),
        ("tomatoes", ("tomato puree",)),
        ("curry powder", ("chili powder",)),
        ("Masking tape, 25 mm", ("ptfe thread seal tape",)),
        ("plain flour", ("corn flour",)),
        ("unicorn dust", ("dust sheet", "sugar")),
        ("", ("sugar",)),
        ("   ", ("sugar",)),
    ],
)
def test_false_friends_and_unknown_things_do_not_match(name: str, keywords: tuple[str, ...]) -> None:
    assert best(name, keywords) is None


def test_exact_matches_rank_before_substitutes() -> None:
    ranked = rank("olive oil", [phrases("sunflower oil"), phrases("olive oil"), phrases("truffle oil")])
    assert [(hit.index, hit.substitute) for hit in ranked] == [(1, False), (0, True)]


def test_a_name_joining_two_things_matches_the_first_when_nothing_matches_it_whole() -> None:
    ranked = rank("salt and pepper", [phrases("ground black pepper"), phrases("sea salt", "salt")])
    assert ranked[0].index == 1 and ranked[0].substitute is False
    ranked = rank("Stud and cable detector", [phrases("stud detector"), phrases("stud and cable detector")])
    assert ranked[0].index == 1 and ranked[0].substitute is False


def test_a_products_own_name_ranks_before_its_broader_keywords() -> None:
    ranked = rank("onion", [phrases("red onions", "onions"), phrases("onions")])
    assert [hit.index for hit in ranked] == [1, 0]

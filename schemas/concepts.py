"""The concepts a need and a product are named by: one taxonomy for foods (the Open Food Facts categories,
`en:…`) and for supplies and tools (Google's Hardware categories, `gpt:…`, with Kitting's finer leaves
`kitting:…`), shipped as schemas/data/concepts.json.gz (built by tools/build_concepts.py; see its
attribution). Anyone reading Kitting's events can tell with it what a concept id means, whether a
product is exactly what was asked for (its concept is the need's or below it), a substitute (under a
close shared parent) or something else, and whether it suits the method's diet.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, cached_property
from importlib import resources
from typing import Literal

MAX_SUBSTITUTE_STEPS = 2  # a substitute shares an ancestor at most this many steps above the need ...
MAX_SHARED_DESCENDANTS = 600  # ... that is not too general a family (e.g. "another plant-based food") ...
HUBS = frozenset(  # ... nor one of these, which gather things nobody would swap for each other
    {
        "en:condiments", "en:plant-based-foods", "en:plant-based-foods-and-beverages",
        "en:fruits-and-vegetables-based-foods", "en:vegetables-based-foods", "en:culinary-plants",
        "en:dairies", "en:fermented-foods", "en:fermented-milk-products", "en:meats-and-their-products",
        "en:beverages", "en:snacks", "en:meals", "en:canned-foods", "en:frozen-foods", "en:dried-products",
        "en:fresh-foods", "en:cereals-and-potatoes", "en:food-additives", "en:cooking-helpers",
        "en:farming-products", "en:sweet-snacks", "en:salty-snacks", "en:groceries", "en:spreads",
        "en:desserts", "en:sweeteners", "en:seafood", "en:fish-and-meat-and-eggs",
    }
)  # fmt: skip
PROCESSED_ROOTS = (
    "en:canned-foods", "en:frozen-foods", "en:dried-products", "en:dried-products-to-be-rehydrated",
    "en:freeze-dried-foods",
)  # fmt: skip
# a concept named with one of these is a processed form of its parent: not the thing wanted fresh
PROCESSED_WORDS = frozenset(
    {
        "canned", "tinned", "frozen", "dried", "dehydrated", "powder", "powders", "ground", "lyophilized",
        "cooked", "boiled", "roasted", "smoked", "pickled", "puree", "purees", "paste", "pastes", "juice",
        "juices", "zest", "pulp", "potted", "jam", "jams", "sauce", "sauces", "concentrate", "crisps",
        "flakes", "chopped", "preserved", "marinated", "candied", "syrup", "frosted",
    }
)  # fmt: skip
# a concept named with one of these is its parent with something more in it ("chocolates with almonds")
MORE_WORDS = frozenset({"with", "filled", "flavoured", "flavored", "stuffed", "coated", "topped"})
NOT_VEGETARIAN = frozenset({"meat", "fish"})
NOT_VEGAN = frozenset({"meat", "fish", "dairy", "egg", "honey"})


class Diet(StrEnum):
    """What a method keeps to; every product of its kit must keep to it too."""

    vegetarian = "vegetarian"
    vegan = "vegan"


@dataclass(frozen=True)
class Concept:
    id: str
    name: str
    synonyms: tuple[str, ...]
    parents: tuple[str, ...]
    animal: frozenset[str]  # the animal products it is or contains: meat, fish, dairy, egg, honey

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.synonyms)

    def suits(self, diet: Diet | None) -> bool:
        if diet is Diet.vegan:
            return not self.animal & NOT_VEGAN
        if diet is Diet.vegetarian:
            return not self.animal & NOT_VEGETARIAN
        return True


@dataclass(frozen=True)
class Relation:
    """How an offered product's concept stands to the needed one."""

    kind: Literal["exact", "substitute", "other"]
    via: str | None = None  # a substitute: the shared parent
    steps: int = 0  # a substitute: how many steps above the need that parent is
    reason: str = ""  # a substitute: said for a person, e.g. "Buffalo mozzarella for Cheddar: another cheese"

    @property
    def similar(self) -> bool:
        """A substitute under one of the need's own parents (a close sibling)."""
        return self.kind == "substitute" and self.steps <= 1


class Taxonomy:
    def __init__(self, concepts: Iterable[Concept]) -> None:
        self.concepts: dict[str, Concept] = {c.id: c for c in concepts}
        self._children: dict[str, list[str]] = {}
        for concept in self.concepts.values():
            for parent in concept.parents:
                self._children.setdefault(parent, []).append(concept.id)
        self._ancestors: dict[str, dict[str, int]] = {}
        self._descendants: dict[str, int] = {}

    def __contains__(self, concept_id: object) -> bool:
        return concept_id in self.concepts

    def __iter__(self) -> Iterator[Concept]:
        return iter(self.concepts.values())

    def get(self, concept_id: str | None) -> Concept | None:
        return self.concepts.get(concept_id) if concept_id else None

    def name(self, concept_id: str) -> str:
        concept = self.concepts.get(concept_id)
        return concept.name if concept else concept_id

    def children(self, concept_id: str) -> list[str]:
        return self._children.get(concept_id, [])

    def ancestors(self, concept_id: str) -> dict[str, int]:
        """Every ancestor with its distance (the shortest number of steps up)."""
        if concept_id not in self._ancestors:
            distances: dict[str, int] = {}
            frontier = [concept_id]
            step = 0
            while frontier:
                step += 1
                upper = []
                for cid in frontier:
                    for parent in self.concepts[cid].parents if cid in self.concepts else ():
                        if parent not in distances and parent != concept_id:
                            distances[parent] = step
                            upper.append(parent)
                frontier = upper
            self._ancestors[concept_id] = distances
        return self._ancestors[concept_id]

    def is_within(self, concept_id: str, ancestor: str) -> bool:
        """Whether `concept_id` is `ancestor` or below it."""
        return concept_id == ancestor or ancestor in self.ancestors(concept_id)

    def descendants(self, concept_id: str) -> int:
        """How many concepts lie below this one (how general it is)."""
        if concept_id not in self._descendants:
            seen: set[str] = set()
            stack = list(self.children(concept_id))
            while stack:
                cid = stack.pop()
                if cid not in seen:
                    seen.add(cid)
                    stack.extend(self.children(cid))
            self._descendants[concept_id] = len(seen)
        return self._descendants[concept_id]

    def relation(self, offered: str, needed: str, fresh: bool = False) -> Relation:
        """Exact when the offered concept is the needed one or below it, without becoming something
        more (with almonds, filled) or, for a need wanted fresh, a processed form (canned, dried, frozen);
        a substitute when both sit under a close shared parent, or below the need but processed or with
        more in it; else other. Unknown concepts are other."""
        if offered not in self.concepts or needed not in self.concepts:
            return Relation("other")
        if self.is_within(offered, needed):
            departure = self.departure(offered, needed, fresh)
            if departure is None:
                return Relation("exact")
            reason = f"{self.name(offered)} for {self.name(needed).lower()}: {departure}"
            return Relation("substitute", needed, 0, reason)
        above_offer = self.ancestors(offered)
        shared = [
            (steps, self.descendants(parent), parent)
            for parent, steps in self.ancestors(needed).items()
            if (parent in above_offer or parent == offered)
            and steps <= MAX_SUBSTITUTE_STEPS
            and parent not in HUBS
            and self.descendants(parent) <= MAX_SHARED_DESCENDANTS
        ]
        if not shared:
            return Relation("other")
        steps, _, parent = min(shared)
        reason = (
            f"{self.name(offered)} for {self.name(needed).lower()}: another {singular(self.name(parent))}"
        )
        return Relation("substitute", parent, steps, reason)

    def departure(self, offered: str, needed: str, fresh: bool) -> str | None:
        """How a concept below the need departs from it on the way down, or None: "not fresh", or
        "with more in it"."""
        needed_words = set(_words(self.name(needed)))
        between = [
            offered,
            *(a for a in self.ancestors(offered) if self.is_within(a, needed) and a != needed),
        ]
        for cid in between:
            words = _words(self.name(cid))
            more = [
                w for i, w in enumerate(words) if w in MORE_WORDS and not _a_measure(words[i + 1 : i + 3])
            ]
            if more and not set(words) <= needed_words:
                return "it has more in it"
            if fresh and not needed_words & PROCESSED_WORDS:
                if set(words) & PROCESSED_WORDS - needed_words:
                    return "not fresh"
                if any(
                    self.is_within(cid, root) and not self.is_within(needed, root) for root in PROCESSED_ROOTS
                ):
                    return "not fresh"
        return None

    def suits(self, concept_id: str, diet: Diet | None) -> bool:
        concept = self.concepts.get(concept_id)
        return concept.suits(diet) if concept else diet is None

    def diet_of(self, concept_ids: Iterable[str]) -> Diet | None:
        """The strictest diet every one of these concepts keeps to (a method's diet from its components)."""
        animal: set[str] = set()
        for cid in concept_ids:
            concept = self.concepts.get(cid)
            if concept is not None:
                animal |= concept.animal
        if not animal & NOT_VEGAN:
            return Diet.vegan
        if not animal & NOT_VEGETARIAN:
            return Diet.vegetarian
        return None

    @cached_property
    def food_roots(self) -> frozenset[str]:
        return frozenset(cid for cid, c in self.concepts.items() if cid.startswith("en:") and not c.parents)


def _words(name: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", name.lower())


def _a_measure(words: list[str]) -> bool:
    """ "with more than 40% cocoa", "with 82% fat": a measure of the thing, not something added."""
    return bool(words) and (words[0] in ("more", "less", "no", "reduced", "added") or words[0].isdigit())


def singular(name: str) -> str:
    """ "Cheeses" -> "cheese", "Vegetable oils" -> "vegetable oil", "Garlic and their products" ->
    "garlic product": a family's name for one of it."""
    family = re.fullmatch(r"(.+?) and (?:their|its) products", name, re.IGNORECASE)
    if family:
        return f"{singular(family.group(1))} product"
    origin = re.fullmatch(r"(.+?) ((?:from|of|in) .+)", name, re.IGNORECASE)
    if origin:  # "Cheeses from England" -> "cheese from England"
        return f"{singular(origin.group(1))} {origin.group(2)}"
    words = name.split()
    last = words[-1]
    for ending, replacement in (("ies", "y"), ("oes", "o"), ("ches", "ch"), ("shes", "sh"), ("sses", "ss")):
        if last.lower().endswith(ending):
            last = last[: -len(ending)] + replacement
            break
    else:
        if last.lower().endswith("s") and not last.lower().endswith(("ss", "us")):
            last = last[:-1]
    return " ".join([*words[:-1], last]).lower()


@cache
def taxonomy() -> Taxonomy:
    """The shipped taxonomy (loaded once, about 0.2 s)."""
    raw = resources.files("schemas").joinpath("data", "concepts.json.gz").read_bytes()
    document = json.loads(gzip.decompress(raw))
    return Taxonomy(
        Concept(cid, name, tuple(synonyms), tuple(parents), frozenset(animal))
        for cid, name, synonyms, parents, animal in document["concepts"]
    )

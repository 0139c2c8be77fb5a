"""What a component is: its name ("mature cheddar", "2 cloves garlic", "Silicone grease, 10 g tube") read
as a concept of the taxonomy (schemas/concepts.py), and whether it is wanted fresh.

A name is read as a noun phrase. Its words are compared with the names and synonyms of every concept
(after the recipe words of kitchens are read as the taxonomy names them, words.py): a concept fits when
all its words are in the name and its last word is the name's head ("brown sugars" fits "light brown
soft sugar"); the concept with the most words that fit wins ("extra virgin olive oils" over "olive
oils"). How the line asks for it decides whether it is wanted fresh: fresh or ripe said, counted produce
(cloves, a bunch, a head, 4 tomatoes) or chopped herbs are fresh, unless the line says canned, dried,
frozen, ground; a can or a tin means canned. Things nobody buys (water, ice) are not needed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache, lru_cache

from agents.concepts.words import DEFAULTS, EXTRA_NAMES, RECIPE_PHRASES, words_of
from schemas.concepts import PROCESSED_ROOTS, Taxonomy, taxonomy
from schemas.events import ComponentKind
from schemas.fitting import DESCRIPTIVE_WORDS as DESCRIPTIVE
from schemas.fitting import MEAT_OR_FISH_NAME
from schemas.units import unit_symbol

NOT_NEEDED = frozenset(
    {
        ("water",), ("tap", "water"), ("boiling", "water"), ("cold", "water"), ("warm", "water"),
        ("hot", "water"), ("lukewarm", "water"), ("ice",), ("ice", "cube"), ("ice", "water"),
        ("crushed", "ice"), ("filtered", "water"), ("room", "temperature", "water"),
    }
)  # fmt: skip
# words naming a part or a measure of the thing rather than the thing ("garlic clove", "basil leaves")
PART_WORDS = frozenset(
    {"clove", "bulb", "head", "sprig", "leaf", "stalk", "piece", "knob", "bunch", "handful"}
)
PROCESSED = {  # a word of the line -> the word a processed concept is named with
    "canned": "canned", "tinned": "canned", "dried": "dried", "dehydrated": "dried", "flake": "dried",
    "cooked": "cooked", "precooked": "cooked",
    "frozen": "frozen", "ground": "ground", "powdered": "powder", "smoked": "smoked", "pickled": "pickled",
}  # fmt: skip
CANNED = re.compile(  # a can or a tin as what it comes in, not "you can use"
    r"(?<!you )\b(?:cans?|tins?)\b(?!\s+(?:be|also|use|substitute|omit|add|make|leave|swap|replace|easily))",
    re.IGNORECASE,
)
FRESH_WORDS = frozenset({"fresh", "ripe"})
ANIMAL_NAME = MEAT_OR_FISH_NAME  # a name of meat or fish, for components the taxonomy does not know
FRESH_UNITS = frozenset(
    {"clove", "bunch", "sprig", "head", "stalk", "leaf", "handful", "piece", "ear", "stem", "knob", "thumb"}
)
FRESH_PREPARATION = frozenset(
    {"chopped", "minced", "sliced", "diced", "torn", "julienned", "shredded", "crushed", "grated", "peeled"}
)


@dataclass(frozen=True)
class ConceptMatch:
    concept: str | None
    fresh: bool = False  # wanted fresh: canned, dried, frozen… forms are not the exact thing
    words: tuple[str, ...] = ()  # the words of the concept's name that fit
    confidence: float = 0.0  # the share of the name's words that fit
    not_needed: bool = False  # nobody buys it (water, ice)
    approximate: bool = False  # the name says more than the concept (a kind the taxonomy does not name)


@dataclass
class _Phrase:
    words: tuple[str, ...]
    concept: str
    primary: bool  # the concept's own name, not a synonym


@dataclass
class Matcher:
    """Concepts by the words of their names; one for foods, one for supplies and tools."""

    taxonomy: Taxonomy
    food: bool
    by_head: dict[str, list[_Phrase]] = field(default_factory=lambda: defaultdict(list))
    phrases: list[tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)
    defaults: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for concept in self.taxonomy:
            if is_food(self.taxonomy, concept.id) != self.food:
                continue
            names = [(concept.name, True), *((s, False) for s in concept.synonyms)]
            names += [(extra, False) for extra in EXTRA_NAMES.get(concept.id, ())]
            for name, primary in names:
                words = words_of(name)
                if words:
                    self.by_head[words[-1]].append(_Phrase(words, concept.id, primary))
        rewrites = ((words_of(a), words_of(b)) for a, b in RECIPE_PHRASES.items())
        self.phrases = sorted(rewrites, key=lambda ab: -len(ab[0]))
        self.defaults = {words_of(a): words_of(b) for a, b in DEFAULTS.items()}

    def rewrite(self, words: tuple[str, ...]) -> tuple[str, ...]:
        """The recipe's phrases in the taxonomy's words, longest first, each word rewritten once; a bare
        word that is the whole name takes its default meaning ("sugar": granulated sugar)."""
        if words in self.defaults:
            return self.defaults[words]
        out: list[str] = []
        i = 0
        while i < len(words):
            for old, new in self.phrases:
                if old and tuple(words[i : i + len(old)]) == old:
                    out.extend(new)
                    i += len(old)
                    break
            else:
                out.append(words[i])
                i += 1
        return tuple(out)

    def best(self, words: tuple[str, ...]) -> tuple[_Phrase, tuple[str, ...]] | None:
        """The concept whose name fits most words of `words` with the same head; the head may shed
        the words naming a part of it ("garlic clove")."""
        while words:
            candidates = [
                phrase for phrase in self.by_head.get(words[-1], []) if set(phrase.words) <= set(words)
            ]
            if candidates:
                chosen = max(
                    candidates,
                    key=lambda p: (
                        len(p.words), p.primary, -self.taxonomy.descendants(p.concept), p.concept,
                    ),
                )  # fmt: skip
                return chosen, words
            if words[-1] in PART_WORDS and len(words) > 1:
                words = words[:-1]
                continue
            return None
        return None


def is_food(tx: Taxonomy, concept_id: str) -> bool:
    """Everything but supplies and tools (Google's hardware categories and Kitting's leaves below them)."""
    return not concept_id.startswith("gpt:") and not any(
        a.startswith("gpt:") for a in tx.ancestors(concept_id)
    )


@cache
def matchers() -> tuple[Matcher, Matcher]:
    """(foods, supplies and tools): built once, about half a second."""
    tx = taxonomy()
    return Matcher(tx, food=True), Matcher(tx, food=False)


@lru_cache(maxsize=8192)
def concept_of(
    name: str,
    line: str = "",
    kind: ComponentKind = ComponentKind.ingredient,
    unit: str | None = None,
    preparation: str | None = None,
    alternatives: bool = True,
) -> ConceptMatch:
    """The concept a component's `name` stands for, read with its whole `line`, unit and preparation.
    A name offering alternatives ("butter or margarine", "salt and pepper") is read as its first one
    the taxonomy knows; a product's name (`alternatives=False`) is read whole."""
    if kind is not ComponentKind.ingredient:  # "Tap washer, 1/2 inch": the thing, then its size
        name = name.split(",")[0]
    names = alternatives_of(name) if alternatives else [name]
    matches = [_concept_of(alternative, line, kind, unit, preparation) for alternative in names]
    for match in matches:
        if match.concept is not None and not match.approximate:
            return match
    return next((m for m in matches if m.concept is not None or m.not_needed), ConceptMatch(None))


CHOICE_WORDS = re.compile(
    r"\b(?:(?:of )?your (?:choice|choosing|favou?rite)(?: of)?|store[- ]bought|purchased|homemade)\b",
    re.IGNORECASE,
)


def alternatives_of(name: str) -> list[str]:
    """ "Pecorino or Parmesan cheese" -> ["Pecorino", "Parmesan cheese", the whole]; "tomatoes with
    juices" -> ["tomatoes"]; "Shaoxing wine (or dry sherry)" -> ["Shaoxing wine", "dry sherry", …]; any
    other note in brackets is dropped."""
    name = re.sub(r"\bto taste\b.*", "", name, flags=re.IGNORECASE)  # "salt and pepper to taste"
    name = CHOICE_WORDS.sub(" ", name)  # "your choice of flatbreads", "sausage of your choosing"
    name = re.sub(r"^\s*[\d/.\s½¼¾⅓⅔]+(?=[a-zA-Z])", "", name)  # "1 salt and pepper": the count of it
    name = re.sub(r"\(\s*or\s+([^)]*)\)", r" or \1", name, flags=re.IGNORECASE)
    name = re.sub(r"\([^)]*\)", " ", name)
    name = re.split(r"\bwith\b", name, maxsplit=1, flags=re.IGNORECASE)[0]
    parts = [p.strip(" ,") for p in re.split(r"\b(?:and|or)\b|/|&", name, flags=re.IGNORECASE)]
    parts = [p for p in parts if p]
    return [*parts, name] if len(parts) > 1 else [name]


def _concept_of(
    name: str, line: str, kind: ComponentKind, unit: str | None, preparation: str | None
) -> ConceptMatch:
    food, hardware = matchers()
    own, other = (food, hardware) if kind is ComponentKind.ingredient else (hardware, food)
    name_words = own.rewrite(words_of(name))
    if not name_words:
        return ConceptMatch(None)
    if name_words in NOT_NEEDED:
        return ConceptMatch(None, not_needed=True)
    symbol = (unit_symbol(unit) or unit.strip().lower()) if unit else None
    line_words = set(words_of(f"{line} {preparation or ''}", keep_stop_words=True))
    processed = {PROCESSED[w] for w in line_words if w in PROCESSED}
    if symbol in ("can", "tin") or CANNED.search(line):
        processed.add("canned")
    said_processed = bool(processed)  # "ground ginger", "dried oregano": not wanted fresh
    processed -= set(name_words)
    found = _powder(own, name_words, line_words) or own.best(_with_form(name_words, processed))
    found = found or own.best(name_words)
    if found is None and kind is not ComponentKind.ingredient:
        found = other.best(other.rewrite(words_of(name)))
    if found is None:
        return ConceptMatch(None)
    phrase, fitted = found
    said = set(name_words)  # the forms the line adds ("powder" for "powdered") are not the name's words
    significant = [w for w in fitted if w not in phrase.words and w not in DESCRIPTIVE and w in said]
    if significant and len(name_words) > 1:  # "feta cheese": the taxonomy's feta, not any cheese
        narrower = own.best(name_words[:-1])
        kept = set(phrase.words[:-1]) | set(significant)
        if (
            narrower is not None
            and kept <= set(narrower[0].words)
            and own.taxonomy.is_within(narrower[0].concept, phrase.concept)
        ):
            phrase, fitted = narrower
            significant = [w for w in fitted if w not in phrase.words and w not in DESCRIPTIVE and w in said]
    if significant and not phrase.primary:  # a broader sense found through a synonym ("starter")
        return ConceptMatch(None)
    fresh = (
        not said_processed
        and kind is ComponentKind.ingredient
        and (
            bool(FRESH_WORDS & line_words)
            or symbol in FRESH_UNITS
            or _is_produce(phrase.concept)
            # "ginger root, peeled and grated": prepared as only a fresh one is, when there is one
            or bool(FRESH_PREPARATION & line_words and fresh_kind(phrase.concept))
        )
    )
    confidence = round(len(phrase.words) / max(1, len(set(fitted))), 2)
    # produce wanted fresh, or a food said or prepared to be, is the taxonomy's fresh kind of it; not
    # counted eggs or meat, which a grocer sells fresh anyway
    said_fresh = bool(FRESH_WORDS & line_words or FRESH_PREPARATION & line_words)
    named_fresh = fresh and (_is_produce(phrase.concept) or said_fresh)
    concept = (fresh_kind(phrase.concept) if named_fresh else None) or phrase.concept
    return ConceptMatch(concept, fresh, phrase.words, confidence, approximate=bool(significant))


@cache
def fresh_kind(concept_id: str) -> str | None:
    """The fresh kind of a food when the taxonomy names one ("Fresh radishes" below "Radishes")."""
    tx = taxonomy()
    name = tx.name(concept_id).lower()
    for child in tx.children(concept_id):
        child_name = tx.name(child).lower()  # "Fresh radishes", "Fresh ginger rhizomes"
        if child == concept_id.replace(":", ":fresh-", 1) or re.fullmatch(
            rf"fresh {re.escape(name)}\w*( \w+)?", child_name
        ):
            return child
    return None


def _powder(
    matcher: Matcher, name_words: tuple[str, ...], line_words: set[str]
) -> tuple[_Phrase, tuple[str, ...]] | None:
    """ "ground ginger" is ginger powder, "ground almonds" almond powder, when the taxonomy has it."""
    if "ground" not in line_words | set(name_words) or name_words[-1] == "powder":
        return None
    bare = tuple(w for w in name_words if w != "ground")
    found = matcher.best((*bare, "powder")) if bare else None
    if found is None or "powder" not in found[0].words or len(found[0].words) < 2:
        return None
    return found


def _with_form(words: tuple[str, ...], processed: set[str]) -> tuple[str, ...]:
    """The words with the processed forms the line says, before the head ("canned tomatoes")."""
    extra = tuple(sorted(w for w in processed if w not in words))
    return (*words[:-1], *extra, words[-1]) if extra else words


PRODUCE_ROOTS = (  # what is sold fresh unless the line says otherwise
    "en:fruits-and-vegetables-based-foods", "en:aromatic-herbs", "en:culinary-plants", "en:potatoes",
    "en:ginger", "en:chili-peppers",
)  # fmt: skip


USED_DRIED = ("en:bay-laurel",)  # produce a kitchen uses dried unless the line says fresh


NOT_PRODUCE = (*PROCESSED_ROOTS, "en:spices", "en:sauces", "en:starches", "en:flours")
PROCESSED_NAMES = re.compile(
    r"\b(powders?|pastes?|pur[eé]es?|juices?|dried|flakes?|starch(?:es)?|sauces?)\b", re.IGNORECASE
)


def _is_produce(concept_id: str) -> bool:
    """Sold fresh unless the line says otherwise: fruit, vegetables and herbs, not their processed
    kinds (raisins, chili powder, tomato paste) nor what a kitchen uses dried (bay leaves)."""
    tx = taxonomy()
    if any(tx.is_within(concept_id, kind) for kind in (*USED_DRIED, *NOT_PRODUCE) if kind in tx):
        return False
    if PROCESSED_NAMES.search(tx.name(concept_id)):
        return False
    return any(tx.is_within(concept_id, root) for root in PRODUCE_ROOTS if root in tx)

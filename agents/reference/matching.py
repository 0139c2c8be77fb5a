"""Matching a component's name ("red lentils", "Tap washer, 1/2 inch") to catalog products by their keywords.

A name is read as a noun phrase: its head noun (the last word of its main part, "lentil") and the
qualifiers around it ("red"), plus sizes ("1/2 in", "25 mm"). A product matches only when one of its
keyword phrases has the same head. It is an exact match when it carries every qualifier of the name,
and a substitute when a qualifier is missing or differs ("basmati rice" -> long-grain rice, "olive oil"
-> sunflower oil). Some qualifiers make another thing altogether and never match ("coconut milk" is
not milk). Words are compared after normalising (lower case, no accents, singular, English for the
French and Italian words of the product data) and with rapidfuzz, so a misspelt word still counts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

MIN_SCORE = 45.0  # below this a candidate is no match; every scored match with the right head is above
_EXACT_BASE, _SUBSTITUTE_BASE = 75.0, 45.0  # exact matches score 75-100, substitutes 45-70
_SIMILAR_WORD = 90.0  # rapidfuzz ratio at which two (long enough) words count as the same word

# French and Italian product words, and English variants, onto one English word
SYNONYMS: dict[str, str] = {
    # flours, sugars, grains
    "farine": "flour", "farina": "flour", "semola": "semolina", "semolato": "semolina",
    "sucre": "sugar", "zucchero": "sugar", "riz": "rice", "riso": "rice",
    "ble": "wheat", "grano": "wheat", "frumento": "wheat", "mais": "corn",
    "maize": "corn", "superfine": "caster", "castor": "caster",
    "confectioner": "icing",
    # dairy and eggs
    "oeuf": "egg", "oeufs": "egg", "uovo": "egg", "uova": "egg", "lait": "milk", "latte": "milk",
    "beurre": "butter", "burro": "butter", "creme": "cream", "panna": "cream", "fromage": "cheese",
    "formaggio": "cheese", "yaourt": "yogurt", "yoghurt": "yogurt", "yoghourt": "yogurt",
    "entier": "whole", "intero": "whole", "full-fat": "whole", "parmigiano": "parmesan",
    # oils, vegetables, pulses
    "huile": "oil", "olio": "oil", "oliva": "olive", "tournesol": "sunflower",
    "girasole": "sunflower", "lentille": "lentil", "lenticchia": "lentil", "lenticchie": "lentil",
    "pois": "pea", "chiche": "chickpea", "ceci": "chickpea", "garbanzo": "chickpea",
    "tomate": "tomato", "pomodoro": "tomato", "pomodori": "tomato", "pomodorino": "tomato",
    "pomodorini": "tomato", "oignon": "onion", "cipolla": "onion", "cipolle": "onion",
    "ail": "garlic", "aglio": "garlic", "scallion": "spring onion", "rossa": "red", "rosse": "red",
    "rouge": "red", "rosso": "red", "verde": "green", "verdi": "green", "vert": "green",
    "coriandre": "coriander", "coriandolo": "coriander", "cilantro": "coriander",
    "eggplant": "aubergine", "zucchini": "courgette",
    # salt, pepper, stock, spices
    "sel": "salt", "sale": "salt", "poivre": "pepper", "pepe": "pepper", "bouillon": "stock",
    "brodo": "stock", "broth": "stock", "dado": "cube", "dadi": "cube", "epice": "spice",
    "spezie": "spice", "cocco": "coconut", "coco": "coconut",
    # canned, dried, frozen
    "tinned": "canned", "tin": "canned", "conserve": "canned", "secco": "dried", "secchi": "dried",
    "sec": "dried", "surgele": "frozen", "surgelato": "frozen", "surgelati": "frozen",
    # hardware
    "wrench": "spanner", "stepladder": "step ladder", "matte": "matt", "slotted": "flat",
    "glasspaper": "sandpaper", "dustsheet": "dust sheet", "caulking": "caulk", "spackle": "filler",
    "rawlplug": "wall plug", "teflon": "ptfe",
}  # fmt: skip
# words that say nothing about which product is meant: size, ripeness, preparation, filler words
IGNORED_WORDS = frozenset(
    {
        "a", "an", "the", "of", "for", "to", "taste", "some", "few", "and", "or", "each", "per", "about",
        "ripe", "fresh", "large", "small", "medium", "big", "little", "good", "quality", "old", "new",
        "chopped", "diced", "sliced", "minced", "crushed", "grated", "halved", "quartered", "peeled",
        "finely", "roughly", "thinly", "rinsed", "washed", "unpeeled", "optional", "organic", "bio",
        "de", "du", "des", "la", "le", "les", "di", "del", "della", "al", "alla", "en", "et", "e", "il",
        "pack", "packet", "bag", "bottle", "jar", "box", "tube", "roll", "bunch", "net", "loose",
    }
)  # fmt: skip
# heads too general to stand alone: the word before them belongs to the head ("curry powder")
WEAK_HEADS = frozenset(
    {"powder", "paste", "tape", "kit", "set", "assortment", "seed", "sauce", "cube", "mix", "sheet"}
)
# qualifiers that change a product's form: without them in the name, the product is only a substitute
FORM_WORDS = frozenset({"canned", "dried", "frozen", "pickled", "ground", "smoked", "cooked", "granule"})
# qualifiers that make another thing of a head: a name and a product differing in one never match
DEFINING_WORDS: dict[str, frozenset[str]] = {
    "milk": frozenset({"coconut", "almond", "soy", "soya", "oat", "rice", "hazelnut", "cashew",
                       "chocolate", "condensed", "evaporated", "cleansing", "body"}),
    "butter": frozenset({"peanut", "cocoa", "shea", "almond", "nut", "cashew", "apple", "garlic", "body"}),
    "cream": frozenset({"ice", "coconut", "shaving", "hand", "face", "body", "chocolate", "hazelnut"}),
    "oil": frozenset({"truffle", "chili", "chilli", "flaxseed", "linseed", "motor", "engine", "massage"}),
    "pepper": frozenset({"sweet", "bell", "grilled", "stuffed", "roasted", "jalapeno"}),
    "flour": frozenset({"corn", "chickpea", "rice", "almond", "chestnut", "buckwheat", "coconut", "potato"}),
    "egg": frozenset({"chocolate", "easter", "quail"}),
    "salt": frozenset({"bath", "epsom"}),
    "sugar": frozenset({"coconut"}),
    "paint": frozenset({"spray", "face"}),
}  # fmt: skip
_IRREGULAR_SINGULARS = {
    "leaves": "leaf", "knives": "knife", "halves": "half", "loaves": "loaf", "shelves": "shelf",
    "potatoes": "potato", "tomatoes": "tomato", "mangoes": "mango", "teeth": "tooth",
    "molasses": "molasses", "asparagus": "asparagus", "couscous": "couscous", "hummus": "hummus",
    "swiss": "swiss", "grits": "grits", "series": "series", "species": "species", "oats": "oat",
}  # fmt: skip
_SIZE_UNITS = (("mm", "mm"), ("millim", "mm"), ("cm", "cm"), ("centim", "cm"), ("in", "in"), ('"', "in"),
               ("grit", "grit"), ("v", "v"), ("w", "w"), ("m", "m"))  # fmt: skip
_SIZE = re.compile(
    r"(?<![\w.])(?P<number>\d+(?:[./]\d+)?(?:\s*x\s*\d+(?:\.\d+)?)?)\s*"
    r"(?P<unit>mm|millimet(?:re|er)s?|cm|centimet(?:re|er)s?|m|met(?:re|er)s?|inch(?:es)?|in|\"|grit|v|volt|w|watt)"
    r"(?![a-z])"
)


@dataclass(frozen=True)
class Phrase:
    """A name or keyword read as a noun phrase."""

    text: str  # the normalised words, for fuzzy scoring
    head: tuple[str, ...]  # the head noun; two words when the last is a weak head ("curry", "powder")
    qualifiers: frozenset[str]  # the other words
    sizes: frozenset[tuple[str, str]]  # (number, unit): ("25", "mm"), ("1/2", "in"), ("120", "grit")


@dataclass(frozen=True)
class Scored:
    """How well a candidate matches a name: its position among the candidates, score and kind."""

    index: int
    score: float
    substitute: bool


def strip_accents(text: str) -> str:
    text = text.replace("œ", "oe").replace("Œ", "Oe").replace("æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def singular(word: str) -> str:
    """The English singular of a word, by rule ("lentils" -> "lentil", "berries" -> "berry")."""
    if word in _IRREGULAR_SINGULARS:
        return _IRREGULAR_SINGULARS[word]
    if len(word) <= 3 or not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    return word[:-1]


def canonical(word: str) -> list[str]:
    """A word as the English word(s) it stands for, in the singular."""
    mapped = SYNONYMS.get(word) or SYNONYMS.get(singular(word)) or singular(word)
    return mapped.split()


def _size_unit(written: str) -> str:
    return next(symbol for prefix, symbol in _SIZE_UNITS if written.startswith(prefix))


def _sizes(text: str) -> tuple[str, frozenset[tuple[str, str]]]:
    found = {
        (re.sub(r"\s+", "", match["number"]), _size_unit(match["unit"])) for match in _SIZE.finditer(text)
    }
    return _SIZE.sub(" ", text), frozenset(found)


def _words(text: str) -> list[str]:
    words: list[str] = []
    for raw in re.findall(r"[a-z0-9]+", text):
        if raw in IGNORED_WORDS or raw.isdigit():
            continue
        words.extend(word for word in canonical(raw) if word not in IGNORED_WORDS)
    return words


def _clean(text: str) -> str:
    text = strip_accents(text).lower().replace("&", " and ")
    text = re.sub(r"(\w)'s\b", r"\1", text)  # decorator's -> decorator
    text = re.sub(r"(?<=\d),(?=\d)", ".", text)
    return re.sub(r"(?<=[a-z])-(?=[a-z])", " ", text)  # flat-head, o-ring


@lru_cache(maxsize=4096)
def parse_phrase(text: str) -> Phrase | None:
    """A name or keyword read as head, qualifiers and sizes; None when no word is left."""
    cleaned, sizes = _sizes(_clean(text))
    segments = re.split(r",|\bwith\b|\bfor\b|\(|\)", cleaned)
    main = _words(segments[0])
    if not main:
        return None
    head_words = main[-2:] if main[-1] in WEAK_HEADS and len(main) > 1 else main[-1:]
    extra = [word for segment in segments[1:] for word in _words(segment)]
    qualifiers = frozenset(main[: len(main) - len(head_words)] + extra) - set(head_words)
    return Phrase(" ".join(main + extra), tuple(head_words), qualifiers, sizes)


def _same_word(first: str, second: str) -> bool:
    if first == second:
        return True
    return min(len(first), len(second)) >= 5 and fuzz.ratio(first, second) >= _SIMILAR_WORD


def _has(words: frozenset[str], word: str) -> bool:
    return any(_same_word(word, other) for other in words)


def _same_head(name: Phrase, keyword: Phrase) -> bool:
    return len(name.head) == len(keyword.head) and all(map(_same_word, name.head, keyword.head))


def _sizes_differ(name: Phrase, keyword: Phrase) -> bool:
    """Whether the keyword states another size in a unit the name also uses (25 mm against 50 mm)."""
    units = {unit for _, unit in keyword.sizes}
    return any(unit in units and (number, unit) not in keyword.sizes for number, unit in name.sizes)


def score_phrase(name: Phrase, keyword: Phrase) -> tuple[float, bool] | None:
    """The score of one keyword phrase for a name and whether it is only a substitute; None when the
    keyword names another thing."""
    if not _same_head(name, keyword):
        return None
    defining = DEFINING_WORDS.get(name.head[-1], frozenset())
    if name.qualifiers & defining != keyword.qualifiers & defining:
        return None
    missing = [word for word in name.qualifiers if not _has(keyword.qualifiers, word)]
    extra_forms = [word for word in keyword.qualifiers if word in FORM_WORDS and word not in name.qualifiers]
    substitute = bool(missing or extra_forms or _sizes_differ(name, keyword))
    score = (_SUBSTITUTE_BASE if substitute else _EXACT_BASE) + 0.25 * fuzz.token_sort_ratio(
        name.text, keyword.text
    )
    if name.sizes & keyword.sizes:
        score += 3.0
    elif name.sizes:
        score -= 3.0
    score = round(min(100.0, score), 2)
    return (score, substitute) if score >= MIN_SCORE else None


def _alternatives(name: str) -> list[str]:
    """The name, then its parts when it joins several things ("salt and pepper" -> salt, pepper)."""
    main = re.split(r",|\(", name, maxsplit=1)[0]
    parts = [part.strip() for part in re.split(r"\band\b|&|\bor\b|/", main) if part.strip()]
    return [name, *parts] if len(parts) > 1 else [name]


def _best_for(name: Phrase, candidates: Sequence[Sequence[Phrase]]) -> dict[int, Scored]:
    best: dict[int, Scored] = {}
    for index, keywords in enumerate(candidates):
        for position, keyword in enumerate(keywords):
            scored = score_phrase(name, keyword)
            if scored is None:
                continue
            score, substitute = scored
            # a candidate's first keyword is its own name: a later one (a broader term) ranks it lower
            candidate = Scored(index, round(max(MIN_SCORE, score - 0.5 * position), 2), substitute)
            if index not in best or _order(candidate) < _order(best[index]):
                best[index] = candidate
    return best


def rank(name: str, candidates: Sequence[Sequence[Phrase]]) -> list[Scored]:
    """Every candidate (given as its parsed keyword phrases) that matches the name, best first.

    A name joining several things ("salt and pepper") is matched whole first; when nothing matches
    it exactly, its parts are tried and their matches follow, the first part's first."""
    results: dict[int, Scored] = {}
    for position, alternative in enumerate(_alternatives(name)):
        phrase = parse_phrase(alternative)
        if phrase is None:
            continue
        penalty = 0.0 if position == 0 else 5.0 * position
        for index, scored in _best_for(phrase, candidates).items():
            adjusted = Scored(index, max(MIN_SCORE, scored.score - penalty), scored.substitute)
            if index not in results or _order(adjusted) < _order(results[index]):
                results[index] = adjusted
        if any(not scored.substitute for scored in results.values()):
            break
    return sorted(results.values(), key=_order)


def _order(scored: Scored) -> tuple[bool, float, int]:
    return (scored.substitute, -scored.score, scored.index)

"""How an offered product fits a quote line: exactly, as a substitute (with the reason a person reads) or
not at all. Shops use it to decide what to offer; Kitting's coordinator uses it again on every offer,
trusting no provider's own "exact".

The product's concept decides (schemas/concepts.py): the need's concept or below it is exact, unless
the line wants it fresh and the product is canned, dried or frozen, or the product has more in it; a
neighbour under a close shared parent is a substitute; anything else is unfit, and so is a product the
method's diet forbids, even as a substitute. The names are checked too: a need whose name says more
than its concept ("vegan feta cheese", read as a cheese) is met exactly only by a product whose name
says it too, and a size the line states ("1/2 inch", "10 g tube") must be the product's. A product
without a concept, or a need without one, is judged by the names alone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from schemas.concepts import Diet, taxonomy
from schemas.events import QuoteLine

# words that describe rather than name: a name leaving only these unsaid still names the thing
DESCRIPTIVE_WORDS = frozenset(
    {
        "large", "small", "medium", "big", "extra", "jumbo", "ripe", "fresh", "freshly", "mature", "mild",
        "light", "dark", "soft", "organic", "free", "range", "good", "quality", "best", "finely", "roughly",
        "chopped", "minced", "sliced", "diced", "grated", "crushed", "melted", "softened", "beaten", "cold",
        "warm", "hot", "room", "temperature", "raw", "plain", "natural", "pure", "lean", "boneless",
        "skinless", "baby", "young", "flat", "leaf", "italian", "english", "french", "spanish", "greek",
        "homemade", "store", "bought", "sifted", "packed", "heaped", "level", "generous",
        "unsweetened", "sweet", "regular", "thick", "thin", "cut", "peeled", "trimmed", "halved", "whole",
        "firm", "ground", "cracked", "coarse", "fine", "smoked", "toasted", "roasted", "cooked",
        "uncooked", "dry", "dried", "canned", "tinned", "frozen", "thawed", "drained", "rinsed",
        "optional", "handful", "pinch", "dash", "piece", "clove", "sprig", "bunch", "stalk", "head", "knob",
        "low", "fat", "reduced", "sodium", "salt", "sugar", "full", "skim", "skimmed", "semi", "old",
        "gluten", "lrg", "lg", "sm", "med", "european", "style", "type", "squeeze", "splash", "drizzle",
        "sprinkle", "taste", "some", "few", "little", "serving", "garnish",
    }
)  # fmt: skip
_FILLER = frozenset(
    {"of", "the", "a", "an", "for", "to", "and", "or", "from", "in", "with", "de", "pack", "tube", "tub",
     "bag", "jar", "bottle", "box", "can", "tin", "roll", "set", "kit", "x"}
)  # fmt: skip
MEAT_OR_FISH_NAME = re.compile(  # a name of meat or fish, for what the taxonomy does not know
    r"\b(meat|beef|pork|veal|lamb|mutton|chicken|turkey|duck|ham|bacon|lard|suet|gelatine?|chorizo|"
    r"salami|sausages?|pancetta|prosciutto|fish|anchov(?:y|ies)|tuna|salmon|cod|shrimps?|prawns?|crab|"
    r"oysters?|mussels?|clams?|squid|octopus)\b",
    re.IGNORECASE,
)
NOT_VEGAN_NAME = re.compile(
    MEAT_OR_FISH_NAME.pattern[:-3] + r"|milk|butter|cheese|cream|yogh?urt|eggs?|honey|ghee|whey)\b",
    re.IGNORECASE,
)
KEEPS_TO_NAME = re.compile(
    r"\b(?:vegan|plant[\s-]based|(?:meat|dairy|animal)[\s-]free|vegetarian|veggie)\b", re.IGNORECASE
)
_NUMBER = r"\d+(?:[./]\d+)?"
_SIZE = re.compile(  # "25 mm", "1/2 inch", "1/2 and 3/4 inch", "4 to 10 mm"
    rf"(?<![\w.])((?:{_NUMBER}\s*(?:and|or|to|,|-)\s*)*{_NUMBER})\s*"
    r"(mm|cm|m|in(?:ch(?:es)?)?|\"|grit|v|w|g|ml|kg|l)(?![a-z])",
    re.IGNORECASE,
)
_SIZE_UNITS = {"inch": "in", "inches": "in", '"': "in"}


@dataclass(frozen=True)
class Fit:
    kind: Literal["exact", "substitute", "unfit"]
    reason: str = ""  # for a substitute or an unfit product, said for a person
    similar: bool = False  # a substitute under one of the need's own parents, or the same thing named less

    @property
    def exact(self) -> bool:
        return self.kind == "exact"


def fit(line: QuoteLine, concept: str | None, product: str) -> Fit:
    """How a product (its concept, if the provider said it, and its name) fits the line."""
    tx = taxonomy()
    known = concept if concept in tx else None
    if line.diet is not None and not _keeps_to(known, product, line.diet):
        return Fit("unfit", f"{product} is not {line.diet.value}")
    if line.concept in tx and known is not None:
        assert line.concept is not None
        relation = tx.relation(known, line.concept, line.fresh)
        if relation.kind == "other":
            return Fit("unfit", f"{product} is not {line.name}")
        if relation.kind == "substitute":
            return Fit("substitute", relation.reason, relation.similar and not line.broader)
        if line.broader:
            return _by_name(line, product, close=True)
        return _by_size(line, product)
    if line.concept in tx:  # the shop does not say what it is: Kitting cannot tell it is the thing
        return Fit("substitute", f"{product} for {line.name}: the shop does not say what it is")
    return _by_name(line, product, close=False)


def _keeps_to(concept: str | None, product: str, diet: Diet) -> bool:
    """Both what the product is and its name keep to the diet (a name may say more than its kind); a
    name saying it keeps to it ("vegan", "plant-based", "dairy-free") is taken at its word."""
    if concept is not None and not taxonomy().suits(concept, diet):
        return False
    if KEEPS_TO_NAME.search(product):
        return True
    # a known kind that keeps to the diet may still name milk or butter ("coconut milk", "peanut
    # butter"); meat or fish in its name is another thing than its kind says
    animal = NOT_VEGAN_NAME if diet is Diet.vegan and concept is None else MEAT_OR_FISH_NAME
    return not animal.search(product)


def _by_name(line: QuoteLine, product: str, close: bool) -> Fit:
    """Exact when the product's name says every word that matters of the need's name; `close`: the
    kinds are known to agree, so a mere word missing is a close substitute."""
    unsaid = [word for word in significant_words(line.name) if word not in set(words(product))]
    if unsaid:
        reason = f"{product} for {line.name}: not said to be {' '.join(unsaid)}"
        return Fit("substitute", reason, close)
    return _by_size(line, product)


def _by_size(line: QuoteLine, product: str) -> Fit:
    asked, offered = sizes(line.name), sizes(product)
    units = {unit for _, unit in offered}
    other = [f"{n} {u}" for n, u in asked if u in units and (n, u) not in offered and u not in ("g", "ml")]
    if other:
        return Fit("substitute", f"{product} for {line.name}: another size", True)
    return Fit("exact")


def words(text: str) -> list[str]:
    """The words of a name as they are compared: lower case, no accents, singular; "gluten-free" is
    one word (glutenfree), never gluten."""
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in plain if not unicodedata.combining(c)).replace("'", "")
    return [_singular(w) for w in re.findall(r"[a-z]+", without_free(plain))]


_FREE_OF = re.compile(r"\b([a-z]+)[\s-]+free\b|\bnon[\s-]+([a-z]+)", re.IGNORECASE)


def without_free(text: str) -> str:
    """ "gluten-free oats" -> "glutenfree oats", "non-dairy creamer" -> "nondairy creamer": a thing
    without X is not X, so the two words become one the matchers do not take for X."""
    return _FREE_OF.sub(lambda m: f"{m.group(1)}free" if m.group(1) else f"non{m.group(2)}", text)


# words of names that praise or brand rather than say what it is ("Simply Nature Organic olive oil")
MARKETING_WORDS = frozenset(
    {
        "original", "classic", "traditional", "premium", "real", "homestyle", "style", "select", "value",
        "everyday", "family", "fancy", "authentic", "genuine", "all", "purpose", "creamy", "finest",
        "signature", "simply", "deluxe", "choice", "favorite", "favourite", "fashioned", "farm", "farms",
        "farmhouse", "country", "artisan", "gourmet", "kitchen", "recipe", "house", "brand", "own",
        "essential", "basic", "basics", "great", "delicious", "tasty", "super", "bio", "nature", "natures",
        "kosher", "halal", "enriched", "percent", "made", "usa", "imported", "friendly", "pride", "grove",
    }
)  # fmt: skip


def significant_words(name: str) -> list[str]:
    """The words of a name that say which thing it is: not its size, state or pack, nor praise. A word
    Kitting does not know counts: it may be the thing itself ("Oreo cookies", "Shaoxing wine")."""
    return [
        w
        for w in words(_SIZE.sub(" ", name))
        if w not in DESCRIPTIVE_WORDS and w not in _FILLER and w not in MARKETING_WORDS
    ]


def sizes(text: str) -> set[tuple[str, str]]:
    """The sizes a name states: ("1/2", "in"), ("25", "mm"), ("120", "grit")."""
    return {
        (number, _SIZE_UNITS.get(unit.lower(), unit.lower()))
        for numbers, unit in _SIZE.findall(text)
        for number in re.findall(_NUMBER, numbers)
    }


def _singular(word: str) -> str:
    if len(word) <= 3 or not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "oes")):
        return word[:-2]
    return word[:-1]

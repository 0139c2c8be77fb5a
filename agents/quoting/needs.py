"""From extracted components to what is asked of shops: scaled to the wanted servings, and the same
component listed twice ("1 tbsp butter", "30 g butter") merged into one need in one unit."""

from __future__ import annotations

import re
from decimal import Decimal

from agents.concepts.normalise import ANIMAL_NAME, ConceptMatch, concept_of
from agents.concepts.portions import grams_of, portion_of
from schemas.concepts import Diet, taxonomy
from schemas.events import Component, QuoteLine
from schemas.fitting import without_free, words
from schemas.units import IncompatibleUnits, convert, dimension
from schemas.values import Quantity


def yield_number(method_yield: str | None) -> Decimal | None:
    """The number in a stated yield: "8 pancakes" -> 8, "Serves 4-6" -> 4."""
    match = re.search(r"\d+(?:[.,]\d+)?", method_yield or "")
    return Decimal(match.group(0).replace(",", ".")) if match else None


def _scaled(quantity: Quantity | None, factor: Decimal) -> Quantity | None:
    if quantity is None:
        return None
    amount = (quantity.amount * factor).quantize(Decimal("0.001"))
    return (
        Quantity(amount=Decimal(format(amount.normalize(), "f")), unit=quantity.unit)
        if amount > 0
        else quantity
    )


def scale(components: list[Component], method_yield: str | None, servings: int | None) -> list[Component]:
    """Every quantity times servings / the method's yield; unchanged when either is unknown."""
    base = yield_number(method_yield)
    if not servings or not base:
        return components
    factor = Decimal(servings) / base
    return [
        c.model_copy(
            update={"quantity": _scaled(c.quantity, factor), "quantity_max": _scaled(c.quantity_max, factor)}
        )
        for c in components
    ]


def need_key(name: str) -> str:
    words = re.sub(r"[^\w\s]", " ", name.lower()).split()
    return " ".join(
        word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word
        for word in words
    )


# words that change nothing of which product a mention needs ("unsweetened cocoa powder", "cocoa powder")
MERGE_NOISE = frozenset(
    {
        "fresh", "freshly", "unsweetened", "large", "small", "medium", "big", "extra", "finely", "roughly",
        "thinly", "chopped", "minced", "sliced", "diced", "grated", "melted", "softened", "beaten", "sifted",
        "packed", "heaped", "level", "good", "quality", "optional", "more", "plus", "about",
    }
)  # fmt: skip


def kind_key(component: Component) -> str:
    """What makes two mentions one need: the same kind of thing named alike ("1 cup unsweetened cocoa
    powder" and "cocoa powder for dusting"; not double and single cream, both creams), or, when Kitting
    cannot tell the kind exactly, the same name."""
    match = component_concept(component)
    if match.concept is None or match.approximate:
        return need_key(component.name)
    named = re.split(r"\bfor\b|,|\(", component.name, maxsplit=1)[0]
    said = sorted({w for w in words(named) if w not in MERGE_NOISE})
    return f"{match.concept}|{'fresh' if match.fresh else ''}|{' '.join(said)}"


def merge_needs(components: list[Component]) -> list[QuoteLine]:
    """One quote line per need (the same kind of thing mentioned twice is one need). Quantities of one
    need are summed in the unit of its first mention, or in mass when one mention is a mass and another
    a volume (converted through the density table); a mention without a quantity rides on the
    need's amount ("cocoa powder for dusting" with "1 cup cocoa powder")."""
    lines: list[QuoteLine] = []
    keys: dict[str, str] = {}  # line_id of a need -> what it is
    for component in components:
        key = kind_key(component)
        merged = False
        for index, line in enumerate(lines):
            if keys[line.line_id] != key or line.kind != component.kind:
                continue
            if line.quantity is None or component.quantity is None:
                # a mention without an amount ("cocoa powder for dusting") rides on one with it
                quantity = line.quantity or component.quantity
                lines[index] = line.model_copy(
                    update={"line_id": f"{line.line_id}+{component.line_id}", "quantity": quantity}
                )
                keys[lines[index].line_id] = key
                merged = True
                break
            dims = {dimension(line.quantity.unit), dimension(component.quantity.unit)}
            if len(dims) > 1 and dims != {"mass", "volume"}:
                continue
            # mass wins over volume: shops sell solids by weight (volume converts through density)
            unit = (
                component.quantity.unit
                if dimension(component.quantity.unit) == "mass"
                else line.quantity.unit
            )
            try:
                total = convert(line.quantity.amount, line.quantity.unit, unit, line.name) + convert(
                    component.quantity.amount, component.quantity.unit, unit, line.name
                )
            except IncompatibleUnits:
                continue
            total = total.quantize(Decimal("0.001"))
            quantity = Quantity(amount=Decimal(format(total.normalize(), "f")), unit=unit)
            lines[index] = line.model_copy(
                update={"line_id": f"{line.line_id}+{component.line_id}", "quantity": quantity}
            )
            keys[lines[index].line_id] = key
            merged = True
            break
        if not merged:
            keys[component.line_id] = key
            lines.append(
                QuoteLine(
                    line_id=component.line_id,
                    name=component.name,
                    quantity=component.quantity,
                    kind=component.kind,
                )
            )
    return lines


def described(lines: list[QuoteLine], components: list[Component]) -> list[QuoteLine]:
    """Each need with what it is: its concept, whether it is wanted fresh, the method's diet (when the
    need itself keeps to it), its weight in grams and its food's piece weight and density. Things
    nobody buys (water, ice) are left out."""
    matches = {c.line_id: component_concept(c) for c in components}
    diet = method_diet(components, matches)
    tx = taxonomy()
    described_lines = []
    for line in lines:
        match = matches.get(line.line_id.split("+")[0])
        if match is None or match.concept is None:
            if match is None or not match.not_needed:
                described_lines.append(line)
            continue
        portion = portion_of(match.concept)
        quantity = line.quantity
        grams = grams_of(quantity.amount, quantity.unit, portion, line.name) if quantity else None
        facts = {
            "concept": match.concept, "fresh": match.fresh, "broader": match.approximate,
            "diet": diet if tx.suits(match.concept, diet) else None,
            "grams": _plain(grams), "piece_grams": portion.piece, "density": portion.density,
            "unit_grams": dict(portion.units) or None,
        }  # fmt: skip
        described_lines.append(line.model_copy(update=facts))
    return described_lines


def component_concept(component: Component) -> ConceptMatch:
    """What a component is; when its name says more than the taxonomy knows ("Shaoxing wine"), an
    alternative the page offers that it knows exactly ("or dry sherry") instead."""
    unit = component.quantity.unit if component.quantity else None
    match = concept_of(component.name, component.text, component.kind, unit, component.preparation)
    if match.concept is not None and not match.approximate:
        return match
    for alternative in component.alternatives:
        other = concept_of(alternative, component.text, component.kind, unit, component.preparation)
        if other.concept is not None and not other.approximate:
            return other
    return match


def method_diet(components: list[Component], matches: dict[str, ConceptMatch]) -> Diet | None:
    """The diet the method keeps to: the strictest all its known components allow; none when a
    component the taxonomy does not know is named like meat or fish."""
    for component in components:  # a name of meat or fish the taxonomy does not know exactly
        match = matches.get(component.line_id)
        unknown = match is None or match.concept is None or match.approximate
        if unknown and ANIMAL_NAME.search(without_free(component.name)):  # "meat-free mince" is not meat
            return None
    return taxonomy().diet_of(m.concept for m in matches.values() if m.concept and not m.approximate)


def _plain(amount: Decimal | None) -> Decimal | None:
    if amount is None:
        return None
    rounded = amount.quantize(Decimal("0.01"))
    return Decimal(format(rounded.normalize(), "f")) if rounded > 0 else None

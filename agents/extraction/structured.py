"""schema.org Recipe and HowTo in a page's structured data: JSON-LD, microdata and RDFa (extruct)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import extruct
import lxml.html

from agents.extraction.lines import Found, RawLine, clean, clean_line, quantity_of
from agents.extraction.parse import parse_line
from schemas.events import ComponentKind
from schemas.units import unit_symbol
from schemas.values import Quantity

UNKNOWN_SITE = "https://unknown.invalid/"


def _types(node: dict[str, Any]) -> set[str]:
    value = node.get("@type", [])
    values = value if isinstance(value, list) else [value]
    return {str(v).rsplit("/", 1)[-1] for v in values}


def _nodes(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        for item in value:
            yield from _nodes(item)
    elif isinstance(value, dict):
        yield value
        for key in ("@graph", "mainEntity", "itemListElement", "mainEntityOfPage"):
            if key in value:
                yield from _nodes(value[key])


SCHEMA_ORG = re.compile(r"^https?://schema\.org/")


def _short_keys(value: Any) -> Any:
    """RDFa as extruct gives it names properties by IRI ("https://schema.org/recipeIngredient"): the
    schema.org ones by their short name, as in JSON-LD and microdata."""
    if isinstance(value, list):
        return [_short_keys(item) for item in value]
    if isinstance(value, dict):
        return {SCHEMA_ORG.sub("", key): _short_keys(item) for key, item in value.items()}
    return value


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("text") or value.get("@value")
    text = clean(value) if value is not None else ""
    return text or None


RDFA_ATTRIBUTE = re.compile(r"""[\s"']((typeof|property|vocab)\s*=)""", re.IGNORECASE)


def structured_data(page_html: str, site: str | None) -> Found | None:
    """A Recipe or HowTo in JSON-LD, else microdata, else RDFa. RDFa is read only when the others have
    none and the page has RDFa attributes at all: it costs most of the reading of a page."""
    found = _first_method(page_html, site, ["json-ld", "microdata"])
    if found is None and RDFA_ATTRIBUTE.search(page_html):
        found = _first_method(page_html, site, ["rdfa"])
        if found is not None:  # RDFa is a set of statements: the lines in the page's order
            title, kind, lines, syntax, method_yield = found
            text = clean(lxml.html.fromstring(page_html).text_content())
            where = {line.text: text.find(line.text) % (len(text) + 1) for line in lines}
            found = title, kind, sorted(lines, key=lambda line: where[line.text]), syntax, method_yield
    return found


def ingredient_texts(recipe: dict[str, Any]) -> list[str]:
    """A Recipe's recipeIngredient (or the older `ingredients`), each line cleaned as the site readers
    clean it; nested lists flattened; a list given as one text of several lines read as those lines."""
    raw = recipe.get("recipeIngredient") or recipe.get("ingredients") or []
    values = list(_flat(raw))
    if len(values) == 1 and isinstance(values[0], str) and len(values[0].strip().splitlines()) > 1:
        values = values[0].strip().splitlines()
    texts = []
    for value in values:
        if isinstance(value, dict):
            value = value.get("name") or value.get("text") or value.get("@value")
        text = clean_line(value) if isinstance(value, str | int | float) else ""
        if text:
            texts.append(text)
    return texts


def _flat(value: Any) -> Iterator[Any]:
    if isinstance(value, list):
        for item in value:
            yield from _flat(item)
    elif value is not None:
        yield value


def _first_method(page_html: str, site: str | None, syntaxes: list[str]) -> Found | None:
    data = extruct.extract(
        page_html, base_url=site or UNKNOWN_SITE, syntaxes=syntaxes, uniform=True, errors="ignore"
    )
    for syntax in syntaxes:
        found = data.get(syntax, [])
        for node in _nodes(_short_keys(found) if syntax == "rdfa" else found):
            types = _types(node)
            if "Recipe" in types:
                lines = [RawLine(text) for text in ingredient_texts(node)]
                if lines:
                    return _text(node.get("name")), "recipe", lines, syntax, _text(node.get("recipeYield"))
            if "HowTo" in types:
                lines = _howto_lines(node)
                if lines:
                    return _text(node.get("name")), "howto", lines, syntax, _text(node.get("yield"))
    return None


def marked_methods(page_html: str) -> tuple[int, int, bool, bool]:
    """For a page read as empty: how many Recipe and HowTo nodes its JSON-LD and microdata hold, whether
    one of them lists nothing, and whether it holds an ItemList (an index of recipes)."""
    data = extruct.extract(
        page_html, base_url=UNKNOWN_SITE, syntaxes=["json-ld", "microdata"], uniform=True, errors="ignore"
    )
    recipes = howtos = 0
    empty = index = False
    for syntax in ("json-ld", "microdata"):
        for node in _nodes(data.get(syntax, [])):
            types = _types(node)
            recipes += "Recipe" in types
            howtos += "HowTo" in types
            index = index or ("ItemList" in types and bool(node.get("itemListElement")))
            if "Recipe" in types and not ingredient_texts(node):
                empty = True
            if "HowTo" in types and not _howto_lines(node):
                empty = True
    return recipes, howtos, empty, index


def _howto_lines(node: dict[str, Any]) -> list[RawLine]:
    """A HowTo's supplies and tools, its own and its steps' (sections of steps too), each once."""
    lines: list[RawLine] = []
    for holder in _step_holders(node):
        for prop, kind in (("supply", ComponentKind.supply), ("tool", ComponentKind.tool)):
            items = holder.get(prop) or []
            for item in items if isinstance(items, list) else [items]:
                name = _text(item)
                if not name or any(line.text == name and line.kind == kind for line in lines):
                    continue
                quantity = (
                    _required_quantity(item.get("requiredQuantity")) if isinstance(item, dict) else None
                )
                lines.append(RawLine(name, kind=kind, quantity=quantity))
    return lines


STEPS_DEEP = 4  # HowTo > HowToSection > HowToStep > HowToDirection at most


def _step_holders(node: dict[str, Any], depth: int = 0) -> Iterator[dict[str, Any]]:
    """The HowTo and, in order, its steps and sections of steps (`step`, `itemListElement`)."""
    yield node
    if depth >= STEPS_DEEP:
        return
    for key in ("step", "itemListElement"):
        children = node.get(key) or []
        for child in children if isinstance(children, list) else [children]:
            if isinstance(child, dict):
                yield from _step_holders(child, depth + 1)


def _required_quantity(value: Any) -> Quantity | None:
    """HowToSupply.requiredQuantity: a QuantitativeValue / PropertyValue (value + unitText or unitCode),
    a number, or text like "2 m"."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        unit_text = str(value.get("unitText") or value.get("unitCode") or "piece")
        try:
            amount = Decimal(str(value.get("value")))
        except (ArithmeticError, ValueError, TypeError):
            return None
        return quantity_of(amount, unit_symbol(unit_text) or UNECE_CODES.get(unit_text.upper()) or unit_text)
    if isinstance(value, int | float):
        try:
            return quantity_of(Decimal(str(value)), "piece")
        except ArithmeticError:  # nan, inf
            return None
    parsed = parse_line(f"{value} item")
    return quantity_of(parsed.quantity, parsed.unit)


# UN/ECE Recommendation 20 codes that schema.org's unitCode uses for common supplies
UNECE_CODES = {"GRM": "g", "KGM": "kg", "MLT": "ml", "LTR": "l", "MTR": "m", "CMT": "cm", "MMT": "mm",
               "C62": "piece", "H87": "piece", "EA": "piece", "INH": "in", "FOT": "ft"}  # fmt: skip

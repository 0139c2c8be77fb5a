"""Finding a method's components in a page: schema.org Recipe / HowTo in JSON-LD (via extruct)."""

from __future__ import annotations

import html as html_lib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import extruct
from pydantic import ValidationError

from agents.extractor.lines import UNIT_WORDS, parse_line, tidy
from schemas.events import Component, ComponentKind
from schemas.values import Quantity

log = logging.getLogger(__name__)


class NoMethodFound(ValueError):
    """The page carries no schema.org Recipe or HowTo we can read."""


@dataclass(frozen=True)
class ExtractedMethod:
    title: str | None
    kind: Literal["recipe", "howto"]
    components: list[Component]


def _types(node: dict[str, Any]) -> set[str]:
    value = node.get("@type", [])
    values = value if isinstance(value, list) else [value]
    return {str(v).rsplit("/", 1)[-1] for v in values}


def _nodes(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object, including those nested in @graph and lists."""
    if isinstance(value, list):
        for item in value:
            yield from _nodes(item)
    elif isinstance(value, dict):
        yield value
        for key in ("@graph", "mainEntity", "itemListElement"):
            if key in value:
                yield from _nodes(value[key])


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("text")
    if value is None:
        return None
    text = " ".join(html_lib.unescape(str(value)).split())
    return text or None


def extract_method(page_html: str, url: str) -> ExtractedMethod:
    try:
        data = extruct.extract(page_html, base_url=url, syntaxes=["json-ld"], uniform=True, errors="ignore")
    except Exception as exc:  # extruct raises lxml/json errors of many kinds on broken pages
        raise NoMethodFound(f"page could not be parsed: {exc}") from exc
    for node in _nodes(data.get("json-ld", [])):
        types = _types(node)
        if "Recipe" in types:
            return ExtractedMethod(_text(node.get("name")), "recipe", _recipe_components(node))
        if "HowTo" in types:
            return ExtractedMethod(_text(node.get("name")), "howto", _howto_components(node))
    raise NoMethodFound("no schema.org Recipe or HowTo in the page's JSON-LD")


def _recipe_components(node: dict[str, Any]) -> list[Component]:
    lines = node.get("recipeIngredient") or node.get("ingredients") or []
    if isinstance(lines, str):
        lines = [lines]
    components = []
    for index, raw in enumerate(lines, start=1):
        text = _text(raw)
        if text:
            components.append(
                component_from_text(f"c{index}", text, ComponentKind.ingredient, "Recipe.recipeIngredient")
            )
    return components


def quantity_or_none(amount: Decimal | None, unit: str | None) -> Quantity | None:
    """A Quantity when the amount and unit make one (positive, in range), else None: a line without a
    usable quantity is still a component."""
    if amount is None or not unit:
        return None
    try:
        return Quantity(amount=amount, unit=unit[:32])
    except ValidationError:
        return None


def component_from_text(line_id: str, text: str, kind: ComponentKind, where: str) -> Component:
    parsed = parse_line(text)
    quantity = quantity_or_none(parsed.amount, parsed.unit)
    return Component(
        line_id=line_id,
        text=text,
        name=parsed.name,
        quantity=quantity,
        kind=kind,
        provenance=f"json-ld:{where}",
    )


def _howto_components(node: dict[str, Any]) -> list[Component]:
    components: list[Component] = []
    for prop, kind in (("supply", ComponentKind.supply), ("tool", ComponentKind.tool)):
        items = node.get(prop) or []
        for item in items if isinstance(items, list) else [items]:
            line_id = f"c{len(components) + 1}"
            where = f"HowTo.{prop}"
            if isinstance(item, dict):
                name = _text(item.get("name"))
                if not name:
                    continue
                quantity = _required_quantity(item.get("requiredQuantity"))
                components.append(
                    Component(
                        line_id=line_id,
                        text=name,
                        name=name,
                        quantity=quantity,
                        kind=kind,
                        provenance=f"json-ld:{where}",
                    )
                )
            elif (text := _text(item)) is not None:
                components.append(component_from_text(line_id, text, kind, where))
    return components


def _required_quantity(value: Any) -> Quantity | None:
    """HowToSupply.requiredQuantity: a QuantitativeValue, a number, or text like "2 m"."""
    if value is None:
        return None
    if isinstance(value, dict):
        amount, unit = value.get("value"), value.get("unitText") or value.get("unitCode") or "piece"
        try:
            number = tidy(Decimal(str(amount)))
        except (InvalidOperation, TypeError, ValueError):
            return None
        unit_text = str(unit)
        return quantity_or_none(
            number, UNIT_WORDS.get(unit_text, UNIT_WORDS.get(unit_text.lower(), unit_text))
        )
    parsed = parse_line(str(value) + " x")
    return quantity_or_none(parsed.amount, parsed.unit)

"""Finding a method's components in a page, judged by its content: recipe-scrapers where it knows
the site (named by the page's own canonical URL), schema.org Recipe / HowTo in JSON-LD, microdata
and RDFa (extruct), recipe-scrapers' generic schema reader, then the page's own ingredient list."""

from __future__ import annotations

import html as html_lib
import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import urlparse

import extruct
import lxml.html
from pydantic import ValidationError

from agents.extraction.parse import parse_line
from schemas.events import Component, ComponentKind
from schemas.units import unit_symbol
from schemas.values import Quantity

log = logging.getLogger(__name__)

MethodKind = Literal["recipe", "howto", "list", "none"]
UNKNOWN_SITE = "https://unknown.invalid/"
LIST_HEADING = re.compile(
    r"^\s*(ingredients?|materials?( needed)?|supplies|tools( needed)?|"
    r"you('ll| will)? need|what you('ll| will)? need|"
    r"zutaten|ingr[ée]dients|ingredienti|ingredientes|ingredi[ëe]nten|składniki|ainekset|ingredienser|υλικά)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class RawLine:
    text: str
    kind: ComponentKind = ComponentKind.ingredient
    group: str | None = None
    quantity: Quantity | None = None  # given by the markup itself (HowToSupply.requiredQuantity)


@dataclass(frozen=True)
class ExtractedMethod:
    title: str | None
    kind: MethodKind
    components: list[Component]
    source: str
    method_yield: str | None = None
    reason: str | None = None

    @classmethod
    def empty(cls, reason: str) -> ExtractedMethod:
        """No components, and why."""
        return cls(None, "none", [], "none", reason=reason)

    @classmethod
    def listed(
        cls, components: list[Component], source: str, method_yield: str | None = None
    ) -> ExtractedMethod:
        """A list given as such (by the site in the event, or by a method provider), not found in a page."""
        return cls(None, "none", components, source, method_yield)


MAX_LINES = 500


def clean(text: Any) -> str:
    """Entities decoded, invisible format characters (zero-width, direction marks) dropped, spaces
    collapsed; otherwise the text stays as the page wrote it."""
    unescaped = html_lib.unescape(str(text))
    return " ".join("".join(ch for ch in unescaped if unicodedata.category(ch) != "Cf").split())


def canonical_url(page_html: str) -> str | None:
    """The page's own idea of its address: <link rel=canonical> or og:url."""
    for pattern in (
        r"<link[^>]+rel=[\"']canonical[\"'][^>]*href=[\"']([^\"']+)",
        r"<link[^>]+href=[\"']([^\"']+)[\"'][^>]*rel=[\"']canonical",
        r"<meta[^>]+property=[\"']og:url[\"'][^>]*content=[\"']([^\"']+)",
        r"<meta[^>]+content=[\"']([^\"']+)[\"'][^>]*property=[\"']og:url",
    ):
        match = re.search(pattern, page_html[:300_000], re.IGNORECASE)
        if match and match.group(1).startswith("http"):
            return html_lib.unescape(match.group(1))
    return None


def extract_method(page_html: str, url: str | None = None) -> ExtractedMethod:
    """Every component the page lists, or an empty list with the reason. Never raises on content."""
    page_html = re.sub(r"^\s*<\?xml[^>]*>", "", page_html)  # lxml refuses str with an encoding declaration
    site = url or canonical_url(page_html)
    for finder in (_known_site, _structured_data, _generic_schema, _html_lists):
        try:
            found = finder(page_html, site)
        except Exception as exc:  # a finder that chokes on a page must not hide the others
            log.debug("%s failed: %s", finder.__name__, exc)
            continue
        if found is not None and found[2]:
            title, kind, lines, source, method_yield = found
            lines = lines[:MAX_LINES]
            if not any(line.group for line in lines):
                lines = _groups_from_page(page_html, lines)
            return ExtractedMethod(title, kind, components_from(lines, source), source, method_yield)
    return ExtractedMethod.empty(
        "no recipe or how-to in the page: no schema.org markup and no ingredient or materials list"
    )


Found = tuple[str | None, MethodKind, list[RawLine], str, str | None]


def components_from(lines: list[RawLine], source: str) -> list[Component]:
    components = []
    for index, line in enumerate(lines, start=1):
        parsed = parse_line(line.text)
        quantity = line.quantity or _quantity(parsed.quantity, parsed.unit)
        components.append(
            Component(
                line_id=f"c{index}", text=line.text, quantity=quantity,
                name=line.text if _as_written(line) else (parsed.name or line.text),
                quantity_max=_quantity(parsed.quantity_max, parsed.unit), kind=line.kind, provenance=source,
                preparation=parsed.preparation, optional=parsed.optional, alternatives=parsed.alternatives,
                group=line.group, confidence=parsed.confidence if not line.quantity else 1.0,
            )
        )  # fmt: skip
    return components


def _as_written(line: RawLine) -> bool:
    """Tools, and supplies whose markup gives the quantity, keep their name as the page writes it."""
    return line.quantity is not None or line.kind is ComponentKind.tool


def _quantity(amount: Decimal | None, unit: str | None) -> Quantity | None:
    if amount is None or not unit:
        return None
    try:
        return Quantity(amount=amount, unit=unit[:32])
    except ValidationError:
        return None


# --- finders, most specific first ----------------------------------------------------------------


def _scraper_found(scraper: Any, source: str) -> Found | None:
    groups = scraper.ingredient_groups()
    lines = [
        RawLine(clean(text), group=clean(group.purpose) if group.purpose else None)
        for group in groups
        for text in group.ingredients
        if clean(text)
    ]
    if not lines:
        lines = [RawLine(clean(text)) for text in scraper.ingredients() if clean(text)]
    if not lines:
        return None
    return _safe(scraper.title), "recipe", lines, source, _safe(scraper.yields)


def _known_site(page_html: str, site: str | None) -> Found | None:
    from recipe_scrapers import SCRAPERS, scrape_html

    host = urlparse(site or "").netloc.lower().removeprefix("www.")
    if not host or host not in SCRAPERS:
        return None
    return _scraper_found(
        scrape_html(page_html, org_url=site or "", supported_only=True), f"recipe-scrapers:{host}"
    )


def _generic_schema(page_html: str, site: str | None) -> Found | None:
    from recipe_scrapers import scrape_html

    return _scraper_found(
        scrape_html(page_html, org_url=site or UNKNOWN_SITE, supported_only=False), "schema.org"
    )


def _safe(getter: Any) -> str | None:
    try:
        value = getter()
    except Exception:
        return None
    return clean(value) if value else None


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


def _structured_data(page_html: str, site: str | None) -> Found | None:
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


def _first_method(page_html: str, site: str | None, syntaxes: list[str]) -> Found | None:
    data = extruct.extract(
        page_html, base_url=site or UNKNOWN_SITE, syntaxes=syntaxes, uniform=True, errors="ignore"
    )
    for syntax in syntaxes:
        found = data.get(syntax, [])
        for node in _nodes(_short_keys(found) if syntax == "rdfa" else found):
            types = _types(node)
            if "Recipe" in types:
                raw = node.get("recipeIngredient") or node.get("ingredients") or []
                lines = [
                    RawLine(t) for t in (_text(v) for v in (raw if isinstance(raw, list) else [raw])) if t
                ]
                if lines:
                    return _text(node.get("name")), "recipe", lines, syntax, _text(node.get("recipeYield"))
            if "HowTo" in types:
                lines = _howto_lines(node)
                if lines:
                    return _text(node.get("name")), "howto", lines, syntax, _text(node.get("yield"))
    return None


def _howto_lines(node: dict[str, Any]) -> list[RawLine]:
    lines: list[RawLine] = []
    steps = node.get("step") or []
    nested = [s for s in (steps if isinstance(steps, list) else [steps]) if isinstance(s, dict)]
    for holder in (node, *nested):
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
        return _quantity(amount, unit_symbol(unit_text) or UNECE_CODES.get(unit_text.upper()) or unit_text)
    if isinstance(value, int | float):
        try:
            return _quantity(Decimal(str(value)), "piece")
        except ArithmeticError:  # nan, inf
            return None
    parsed = parse_line(f"{value} item")
    return _quantity(parsed.quantity, parsed.unit)


# UN/ECE Recommendation 20 codes that schema.org's unitCode uses for common supplies
UNECE_CODES = {"GRM": "g", "KGM": "kg", "MLT": "ml", "LTR": "l", "MTR": "m", "CMT": "cm", "MMT": "mm",
               "C62": "piece", "H87": "piece", "EA": "piece", "INH": "in", "FOT": "ft"}  # fmt: skip


def _groups_from_page(page_html: str, lines: list[RawLine]) -> list[RawLine]:
    """Structured data has no ingredient groups; take them from the page's own list when it has them."""
    try:
        found = _html_lists(page_html, None)
    except Exception:
        return lines
    groups = {line.text: line.group for line in (found[2] if found else []) if line.group}
    if not groups:
        return lines
    return [RawLine(line.text, line.kind, groups.get(line.text), line.quantity) for line in lines]


def _html_lists(page_html: str, site: str | None) -> Found | None:
    """Pages without structured data: list items in elements whose class or id mentions ingredients,
    else the list under an Ingredients / Materials / You will need heading (several languages)."""
    root = lxml.html.fromstring(page_html)
    for element in root.iter("script", "style", "noscript", "nav", "footer"):
        element.drop_tree()
    lines = _classed_lists(root)
    source = "html-class"
    if not lines:
        lines, source = _heading_lists(root), "html-heading"
    if not lines:
        return None
    title = root.findtext(".//h1") or root.findtext(".//title")
    return (clean(title) if title else None), "recipe", lines, source, None


def _classed_lists(root: Any) -> list[RawLine]:
    containers = root.xpath(
        "//*[contains(translate(@class,'INGREDT','ingredt'),'ingredient') or "
        "contains(translate(@id,'INGREDT','ingredt'),'ingredient')][.//li]"
    )
    # in document order an ancestor comes first, so the first container found is an outermost one
    # (a page of 10,000 classed sibling divs once took 79 s here, comparing every pair)
    lines: list[RawLine] = []
    for container in containers[:1]:
        group = None
        for element in container.iter():
            if element.tag in ("h2", "h3", "h4", "h5", "strong") and not element.xpath("ancestor::li"):
                heading = clean(element.text_content())
                group = heading if heading and not LIST_HEADING.match(heading) else group
            elif element.tag == "li" and not element.xpath(".//li"):
                text = clean(element.text_content())
                if text:
                    lines.append(RawLine(text, group=group))
    return lines


def _heading_lists(root: Any) -> list[RawLine]:
    """The lists under every Ingredients / Materials / Tools / You will need heading of the page."""
    found: list[RawLine] = []
    seen: set[Any] = set()
    for heading in root.iter("h1", "h2", "h3", "h4", "h5", "h6", "p", "strong", "b"):
        label = clean(heading.text_content())
        if not label or len(label) > 60 or not LIST_HEADING.match(label):
            continue
        kind = ComponentKind.ingredient
        if re.match(r"^\s*tools", label, re.IGNORECASE):
            kind = ComponentKind.tool
        elif re.match(r"^\s*(materials|supplies|you|what you)", label, re.IGNORECASE):
            kind = ComponentKind.supply
        group = None
        for sibling in heading.itersiblings():
            sibling_label = clean(sibling.text_content())
            if sibling.tag in ("h1", "h2") or (
                sibling.tag == heading.tag and LIST_HEADING.match(sibling_label)
            ):
                break
            if sibling.tag in ("h3", "h4", "h5", "h6", "p") and not sibling.xpath(".//li"):
                if LIST_HEADING.match(sibling_label):
                    break
                group = sibling_label if sibling_label and len(sibling_label) <= 60 else group
            for item in sibling.xpath("descendant-or-self::li"):
                text = clean(item.text_content())
                if text and item not in seen:  # a list under two matching headings counts once
                    seen.add(item)
                    found.append(RawLine(text, kind=kind, group=group))
    return found

"""Finding a method's components in a page, judged by its content: recipe-scrapers where it knows
the site (named by the page's own canonical URL), else the generic reader (generic.py: structured data
checked against the list the page shows), else recipe-scrapers' generic schema reader; an empty page
says why."""

from __future__ import annotations

import html as html_lib
import inspect
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlparse

from agents.extraction.generic import read_generic, why_empty
from agents.extraction.lines import MAX_LINES, Found, MethodKind, RawLine, clean, quantity_of
from agents.extraction.parse import parse_line
from agents.extraction.structured import UNKNOWN_SITE
from schemas.events import Component, ComponentKind

log = logging.getLogger(__name__)


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
    for finder in (_known_site, read_generic, _generic_schema):
        try:
            found = finder(page_html, site)
        except Exception as exc:  # a finder that chokes on a page must not hide the others
            log.debug("%s failed: %s", finder.__name__, exc)
            continue
        if found is not None and found[2]:
            title, kind, lines, source, method_yield = found
            lines = lines[:MAX_LINES]
            return ExtractedMethod(title, kind, components_from(lines, source), source, method_yield)
    return ExtractedMethod.empty(why_empty(page_html))


def components_from(lines: list[RawLine], source: str) -> list[Component]:
    components = []
    for index, line in enumerate(lines, start=1):
        parsed = parse_line(line.text)
        quantity = line.quantity or quantity_of(parsed.quantity, parsed.unit)
        components.append(
            Component(
                line_id=f"c{index}", text=line.text, quantity=quantity,
                name=line.text if _as_written(line) else (parsed.name or line.text),
                quantity_max=quantity_of(parsed.quantity_max, parsed.unit), kind=line.kind, provenance=source,
                preparation=parsed.preparation, optional=parsed.optional, alternatives=parsed.alternatives,
                group=line.group, confidence=parsed.confidence if not line.quantity else 1.0,
            )
        )  # fmt: skip
    return components


def _as_written(line: RawLine) -> bool:
    """Tools, and supplies whose markup gives the quantity, keep their name as the page writes it."""
    return line.quantity is not None or line.kind is ComponentKind.tool


# --- finders, most specific first ----------------------------------------------------------------


def _scraper_found(scraper: Any, source: str, page_html: str) -> Found | None:
    groups = scraper.ingredient_groups() if _may_group(scraper, page_html) else []
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


@lru_cache(maxsize=1)
def _grouping_classes() -> list[set[str]]:
    """For each (heading, item) selector pair recipe-scrapers' default grouping tries, the class names
    both need: a page without one of them in each pair is a single group."""
    from recipe_scrapers._grouping_utils import DEFAULT_GROUPINGS

    return [
        set(re.findall(r"\.([\w-]+)", heading)) | set(re.findall(r"\.([\w-]+)", item))
        for _, headings, items in DEFAULT_GROUPINGS
        for heading in headings
        for item in items
    ]


def _may_group(scraper: Any, page_html: str) -> bool:
    """Whether asking the scraper for its groups can give more than one. Its default grouping searches
    the whole tree with CSS selectors (a third of a known page's reading) and finds groups only where
    the page has the plugin classes they name: without them the answer is one group, the scraper's
    ingredients, and is not asked. A site's own grouping is always asked."""
    own = inspect.unwrap(type(scraper).ingredient_groups)
    if own.__qualname__ != "AbstractScraper.ingredient_groups":
        return True
    return any(all(name in page_html for name in names) for names in _grouping_classes())


def _known_site(page_html: str, site: str | None) -> Found | None:
    from recipe_scrapers import SCRAPERS, scrape_html

    host = urlparse(site or "").netloc.lower().removeprefix("www.")
    if not host or host not in SCRAPERS:
        return None
    return _scraper_found(
        scrape_html(page_html, org_url=site or "", supported_only=True), f"recipe-scrapers:{host}", page_html
    )


# where schema.org keeps a recipe's list (JSON-LD key, microdata itemprop, RDFa property): recipe-scrapers'
# schema.org reading finds ingredients only under one of these names
SCHEMA_LIST_KEYS = re.compile(r"recipeingredient|ingredients", re.IGNORECASE)


def _generic_schema(page_html: str, site: str | None) -> Found | None:
    """recipe-scrapers' own schema.org reading, for markup the generic reader did not take; only on a page
    that names a list where schema.org keeps one (its BeautifulSoup parse of a 5 MB page without one took
    4.5 s of the 6 s the page cost)."""
    if not SCHEMA_LIST_KEYS.search(page_html):
        return None
    from recipe_scrapers import scrape_html

    return _scraper_found(
        scrape_html(page_html, org_url=site or UNKNOWN_SITE, supported_only=False), "schema.org", page_html
    )


def _safe(getter: Any) -> str | None:
    try:
        value = getter()
    except Exception:
        return None
    return clean(value) if value else None

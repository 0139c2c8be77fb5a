"""A method's list in the page's own HTML, for pages without structured data: list items in elements
whose class or id mentions ingredients, or the lists under an Ingredients / Materials / Tools / You will
need heading (several languages); and the ingredient groups those lists show."""

from __future__ import annotations

import re
from typing import Any

import lxml.html

from agents.extraction.lines import Found, RawLine, clean
from schemas.events import ComponentKind

LIST_HEADING = re.compile(
    r"^\s*(ingredients?|materials?( needed)?|supplies|tools( needed)?|"
    r"you('ll| will)? need|what you('ll| will)? need|"
    r"zutaten|ingr[ée]dients|ingredienti|ingredientes|ingredi[ëe]nten|składniki|ainekset|ingredienser|υλικά)\b",
    re.IGNORECASE,
)


def groups_from_page(page_html: str, lines: list[RawLine]) -> list[RawLine]:
    """Structured data has no ingredient groups; take them from the page's own list when it has them."""
    try:
        found = html_lists(page_html, None)
    except Exception:
        return lines
    groups = {line.text: line.group for line in (found[2] if found else []) if line.group}
    if not groups:
        return lines
    return [RawLine(line.text, line.kind, groups.get(line.text), line.quantity) for line in lines]


def html_lists(page_html: str, site: str | None) -> Found | None:
    """Pages without structured data: list items in elements whose class or id mentions ingredients,
    else the list under an Ingredients / Materials / You will need heading (several languages)."""
    root = lxml.html.fromstring(page_html)
    for element in root.iter("script", "style", "noscript", "nav", "footer"):
        element.drop_tree()
    lines = classed_lists(root)
    source = "html-class"
    if not lines:
        lines, source = _heading_lists(root), "html-heading"
    if not lines:
        return None
    title = root.findtext(".//h1") or root.findtext(".//title")
    return (clean(title) if title else None), "recipe", lines, source, None


def classed_lists(root: Any) -> list[RawLine]:
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

"""The ingredient lists of the common recipe plugins, found by the class names each plugin documents
and prints in every page it renders (whatever the site): the lines as the page shows them and the
group headings between them ("For the sauce"). A site no library knows is very often a WordPress site
with one of these."""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from lxml.cssselect import CSSSelector

from agents.extraction.html_lists import LIST_HEADING
from agents.extraction.lines import RawLine, clean


@dataclass(frozen=True)
class Plugin:
    name: str
    container: str  # CSS: the plugin's ingredients block
    item: str  # CSS, within it: one ingredient line
    heading: str  # CSS, within it: a group heading

    @cached_property
    def selectors(self) -> tuple[CSSSelector, CSSSelector, CSSSelector]:
        return CSSSelector(self.container), CSSSelector(self.item), CSSSelector(self.heading)


PLUGINS = (
    Plugin(
        "wp-recipe-maker",
        ".wprm-recipe-ingredients-container",
        "li.wprm-recipe-ingredient",
        ".wprm-recipe-group-name",
    ),
    Plugin(
        "tasty-recipes",
        ".tasty-recipes-ingredients",
        "li",
        "h4, h3, p",
    ),
    Plugin("mediavine-create", ".mv-create-ingredients", "li", "h4, h3"),
    Plugin("zip-recipes", "#zlrecipe-ingredients-list", "li.ingredient", ".ingredient-label"),
    Plugin(
        "wp-ultimate-recipe",
        ".wpurp-recipe-ingredients",
        "li.wpurp-recipe-ingredient",
        ".wpurp-recipe-ingredient-group",
    ),
    Plugin("easyrecipe", ".ERSIngredients", "li.ingredient", ".ERSSectionHead, .ERSSeparator"),
    Plugin(
        "cooked",
        ".cooked-recipe-ingredients",
        ".cooked-single-ingredient.cooked-ingredient",
        ".cooked-single-ingredient.cooked-heading",
    ),
    Plugin(
        "recipe-card-blocks",
        ".recipe-card-ingredients",
        "li.ingredient-item:not(.group)",
        "li.ingredient-item.group, .ingredient-item-group-title",
    ),
    Plugin("delicious-recipes", ".dr-ingredients-list", "li", ".dr-ingredient-group-title, h4"),
    Plugin(
        "yumprint",
        ".yumprint-recipe-ingredients",
        "li.yumprint-recipe-ingredient",
        ".yumprint-recipe-ingredient-title",
    ),
    Plugin(
        "meal-planner-pro", ".mpprecipe-ingredients", ".mpprecipe-ingredient", ".mpprecipe-ingredient-title"
    ),
)  # fmt: skip


HIDDEN = CSSSelector(
    ".screen-reader-text, .sr-only, .wprm-checkbox-container, .wprm-recipe-ingredient-checkbox, "
    "input, button, script, style"
)


def visible_text(element: Any) -> str:
    """What a person reads of an item: without the screen-reader-only text and the checkbox a plugin
    prints in front of each line ("▢ 210 g blackberries")."""
    hidden = HIDDEN(element)
    if not hidden:
        return str(element.text_content())
    copy = deepcopy(element)
    for part in HIDDEN(copy):
        part.drop_tree()
    return str(copy.text_content())


def plugin_lines(root: Any) -> tuple[str, list[RawLine]] | None:
    """The first recipe plugin's ingredient block in the page (the page's first recipe card), as
    lines with their groups; None when the page has none of them."""
    for plugin in PLUGINS:
        containers, items, headings = plugin.selectors
        found = containers(root)
        if not found:
            continue
        container = found[0]
        item_set, heading_set = set(items(container)), set(headings(container))
        lines: list[RawLine] = []
        group: str | None = None
        for element in container.iter():
            if element in heading_set and not any(a in item_set for a in element.iterancestors()):
                heading = clean(element.text_content()).rstrip(":").strip()
                group = None if not heading or LIST_HEADING.fullmatch(heading) else heading
            elif element in item_set:
                text = clean(visible_text(element))
                if text:
                    lines.append(RawLine(text, group=group))
        if lines:
            return plugin.name, lines
    return None

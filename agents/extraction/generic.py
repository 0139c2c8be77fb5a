"""Reading a page from a site no library knows: the schema.org method in its structured data, checked
against the list the page shows (a recipe plugin's block, an ingredient-classed element, the list under
an Ingredients heading, or the list that reads most like one).

The structured list is the page's own statement and is taken as it is, with two repairs: a line that is
a group heading ("FOR THE SAUCE", "For the swirl:") becomes the group of the lines after it, and the
groups the page shows are given to the lines they match. When the shown list is the same list but
plainly better written (the structured one lost its amounts, cut its lines short or put the amount
after the name), the shown list is read instead. A page without structured data is read from the
shown list alone."""

from __future__ import annotations

import math
import re
import unicodedata

from rapidfuzz import fuzz, process

from agents.extraction.html_lists import LIST_HEADING, NUMBER, html_list, page_tree
from agents.extraction.lines import Found, RawLine, clean
from agents.extraction.plugins import plugin_lines
from agents.extraction.structured import marked_methods, structured_data

GROUP_LINE = re.compile(r"^(for|para|pour|f[üu]r|per|voor|til|för)\b.{0,40}$|^[^:]{1,60}:$", re.IGNORECASE)
WORD = re.compile(r"\w+")
GROUP_MATCH_AT_LEAST = 60  # rapidfuzz ratio of a structured line to the shown line it takes its group from


def read_generic(page_html: str, site: str | None) -> Found | None:
    root = page_tree(page_html)
    shown = plugin_lines(root) or html_list(root)
    if shown:
        shown = shown[0], headings_as_groups(shown[1], set())
    structured = structured_data(page_html, site)
    if structured is None:
        if shown is None:
            return None
        title = root.findtext(".//h1") or root.findtext(".//title")
        return (clean(title) if title else None), "recipe", shown[1], shown[0], None
    title, kind, lines, source, method_yield = structured
    if kind != "recipe":
        return structured
    shown_lines = shown[1] if shown else []
    lines = headings_as_groups(lines, {line.group for line in shown_lines if line.group})
    if shown and better_written(shown_lines, lines):
        return title, kind, shown_lines, shown[0], method_yield
    if not any(line.group for line in lines):
        lines = groups_from(shown_lines, lines)
    return title, kind, lines, source, method_yield


def headings_as_groups(lines: list[RawLine], shown_groups: set[str]) -> list[RawLine]:
    """Lines that are group headings in a structured list ("FOR THE MARINADE", "Para el sofrito:",
    "For the swirl") are taken out and become the group of the lines after them. A heading gives no
    amount; a last line is never a heading."""
    shown = {_key(group) for group in shown_groups}
    kept: list[RawLine] = []
    group: str | None = None
    found_any = False
    for index, line in enumerate(lines):
        text = line.text
        is_last = index == len(lines) - 1
        following = lines[index + 1].text if not is_last else ""
        if not is_last and not NUMBER.search(text) and _is_heading(text, following, shown):
            group, found_any = text.rstrip(":").strip() or None, True
            if group and LIST_HEADING.fullmatch(group):
                group = None
            continue
        kept.append(RawLine(line.text, line.kind, line.group or group, line.quantity))
    return kept if found_any and kept else lines


def _is_heading(text: str, following: str, shown: set[str]) -> bool:
    """A heading the page shows as one, a line in capitals over a line that is not ("DOUGH" over
    "2 cups flour", not "SALT" over "PEPPER"), or a short "For the ...:" line."""
    if _key(text) in shown:
        return True
    if len(text.split()) > 6:
        return False
    return (_shouting(text) and not _shouting(following)) or bool(GROUP_LINE.match(text))


def _shouting(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 3 and all(ch.isupper() for ch in letters)


def better_written(shown: list[RawLine], structured: list[RawLine]) -> bool:
    """The shown list is the structured one (each structured line's words are in a shown line of its
    own; the shown list may hold a few lines more) and plainly better written: at least half
    the lines give an amount the structured one lacks or put it first where the structured one puts it
    last, or a structured line was cut short."""
    if not shown:
        return False
    if len(structured) == 1 and len(shown) >= 3:  # the structured list ran every line into one
        return _letters("".join(line.text for line in shown)) in _letters(structured[0].text)
    if not len(structured) <= len(shown) <= len(structured) + max(2, len(structured) // 5):
        return False
    pairs = _aligned(shown, structured)
    if pairs is None:
        return False
    better = cut = 0
    for seen, stated in pairs:
        amount_seen, amount_stated = bool(NUMBER.search(seen)), bool(NUMBER.search(stated))
        first_seen, first_stated = bool(NUMBER.match(seen)), bool(NUMBER.match(stated))
        better += (amount_seen and not amount_stated) or (first_seen and not first_stated)
        cut += _cut_short(seen, stated)
    return cut > 0 or better >= max(1, math.ceil(len(shown) / 2))


def _aligned(shown: list[RawLine], structured: list[RawLine]) -> list[tuple[str, str]] | None:
    """Each structured line with a shown line of its own holding all its words (the first one free);
    None when one has no such line."""
    free = [(_words(line.text), line.text) for line in shown]
    pairs: list[tuple[str, str]] = []
    for stated in structured:
        words = _words(stated.text)
        at = next((i for i, (seen_words, _) in enumerate(free) if words <= seen_words), None)
        if at is None:
            return None
        pairs.append((free.pop(at)[1], stated.text))
    return pairs


def _cut_short(seen: str, stated: str) -> bool:
    """The structured line is the start of the shown one, ended mid-phrase ("4 medium-sized tart" for
    "4 medium-sized tart firm apples, peeled, ..."), not a line without its notes ("..., melted")."""
    at = seen.find(stated)
    if at < 0 or len(seen) <= 2 * len(stated) + 12:
        return False
    rest = seen[at + len(stated) :]
    return bool(re.match(r"\s*\w", rest))  # a word goes on, not a note in brackets or after a comma


def groups_from(shown: list[RawLine], lines: list[RawLine]) -> list[RawLine]:
    """The groups the page shows, given to the structured lines they match best (the structured list
    has none of its own). Each shown line is matched once, so a line written in two groups ("1 tsp
    salt" for the dough and for the sauce) takes each group in turn; a line matching none stays in
    the group of the line before it."""
    if not any(line.group for line in shown):
        return lines
    free = {index: _key(line.text) for index, line in enumerate(shown)}
    grouped = []
    group: str | None = None
    for line in lines:
        key = _key(line.text)
        match = process.extractOne(key, free, scorer=fuzz.ratio, score_cutoff=GROUP_MATCH_AT_LEAST)
        if match is not None:
            group = shown[match[2]].group
            del free[match[2]]
        grouped.append(RawLine(line.text, line.kind, group, line.quantity))
    return grouped


def _letters(text: str) -> str:
    return "".join(WORD.findall(_key(text)))


def _words(text: str) -> set[str]:
    return set(WORD.findall(_key(text)))


def _key(text: str) -> str:
    return " ".join(WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


NO_METHOD = "no recipe or how-to in the page: no schema.org markup and no ingredient or materials list"
SCRIPT_DATA = re.compile(r"data-page=|__NEXT_DATA__|__NUXT_DATA__|application/json", re.IGNORECASE)
SCRIPT_DATA_CHARS = 200_000  # how far after its start a page's script data is looked into


def why_empty(page_html: str) -> str:
    """Why a page gave no components, in words for the person: an index of recipes, a method that
    lists nothing, a list drawn by the page's scripts, or nothing like a method at all."""
    try:
        recipes, howtos, marked_empty, index = marked_methods(page_html)
    except Exception:  # the page's markup is unreadable: say what the person can see
        return NO_METHOD
    if index or recipes > 1:
        return "the page is an index of several recipes, not one method: open the recipe itself"
    if _script_data_lists(page_html):
        return "the page draws its list with a script from data of its own, which Kitting does not read"
    if marked_empty and (recipes or howtos):
        kind = "recipe" if recipes else "how-to"
        return f"the page describes a {kind} but lists no ingredients, supplies or tools"
    return NO_METHOD


def _script_data_lists(page_html: str) -> bool:
    """The page carries its data for a script (Inertia's data-page, Next's or Nuxt's state, a JSON
    script) and that data names ingredients."""
    lowered = page_html.lower()
    for match in SCRIPT_DATA.finditer(page_html):
        if lowered.find("ingredient", match.end(), match.end() + SCRIPT_DATA_CHARS) >= 0:
            return True
    return False

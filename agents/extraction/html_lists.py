"""A method's list as the page shows it, in its own HTML: in elements whose class, id or itemprop names
ingredients, under an Ingredients / Materials / Tools / You will need heading (many languages), or the
list that reads most like one; with the group headings between its lines."""

from __future__ import annotations

import logging
import re
from typing import Any

import lxml.html

from agents.extraction.lines import RawLine, clean
from schemas.events import ComponentKind

log = logging.getLogger(__name__)

LIST_HEADING = re.compile(
    r"^\s*(ingredients?|materials?( needed)?|supplies|tools( needed)?|"
    r"you('ll| will)? need|what you('ll| will)? need|"
    r"zutaten|ingr[ée]dients|ingredienti|ingredientes|ingredi[ëe]nten|składniki|ainekset|ingredienser|"
    r"ingrediente|ingrediencie|suroviny|sastojci|hozzávalók|malzemeler|ингредиенты|продукты|"
    r"υλικά|מצרכים|المكونات|材料|食材|재료|nguyên liệu|bahan|ส่วนผสม|hráefni)\b",
    re.IGNORECASE,
)


METHOD_HEADING = re.compile(
    r"^\s*(directions?|instructions?|method|preparation|steps|how to make( it)?|"
    r"zubereitung|anleitung|pr[ée]paration|[ée]tapes|preparaci[óo]n|elaboraci[óo]n|procedimento|"
    r"preparazione|modo de preparo|bereiding|werkwijze|fremgangsm[åa]de|tilberedning|"
    r"przygotowanie|valmistus|postup|elkészítés|yap\u0131l\u0131\u015f\u0131|приготовление|mod de preparare|"
    r"priprema|εκτέλεση|οδηγίες|אופן ההכנה|הוראות הכנה|طريقة التحضير|作り方|做法|만드는 법|조리법|"
    r"cách làm|cara membuat)\b",
    re.IGNORECASE,
)
ITEM_CLASS = "contains(translate(@class,'INGREDT','ingredt'),'ingredient')"
CONTAINER = (
    "//*[contains(translate(@class,'INGREDT','ingredt'),'ingredient') or "
    "contains(translate(@id,'INGREDT','ingredt'),'ingredient') or "
    "contains(translate(@itemprop,'INGREDT','ingredt'),'ingredient')]"
)
GROUP_TAGS = ("h2", "h3", "h4", "h5", "h6", "strong", "b")
LIST_WORDS_AT_MOST = 25  # an ingredient line is short; longer items are steps or prose
CONTAINERS_WEIGHED = 40
SIZABLE = 5  # lines from which a list counts in full
NUMBER = re.compile(r"\d|[½¼¾⅓⅔⅛⅜⅝⅞⅕⅖⅗⅘⅙⅚]")


def page_tree(page_html: str) -> Any:
    """The page's element tree without the parts that never hold a method's list."""
    root = lxml.html.fromstring(page_html)
    for element in root.iter("script", "style", "noscript", "nav", "footer", "template"):
        element.drop_tree()
    return root


def html_list(root: Any) -> tuple[str, list[RawLine]] | None:
    """The list in ingredient-classed elements, under an Ingredients heading, or that reads most like
    one: of those found, the one that reads most like a method's list, then the longest (a list split
    in two by a group heading is whole under its heading), then the first found."""
    finders = (("html-class", classed_lists), ("html-heading", heading_lists), ("html-list", likely_lists))
    found = [(source, lines) for source, finder in finders if (lines := _tried(finder, root))]
    if not found:
        return None
    return max(found, key=lambda item: (round(weight([line.text for line in item[1]]), 2), len(item[1])))


def _tried(finder: Any, root: Any) -> list[RawLine]:
    """A finder's lines; none when it chokes on the page, which must not hide what the others find."""
    try:
        lines: list[RawLine] = finder(root)
    except Exception as exc:
        log.debug("%s failed: %s", finder.__name__, exc)
        return []
    return lines


def likeness(lines: list[str]) -> float:
    """How much a list reads like a method's components: the share of its lines that give a number
    (an amount), none of them long like a step. 0 for a list of prose or links."""
    if not _short(lines):
        return 0.0
    return sum(bool(NUMBER.search(line)) for line in lines) / len(lines)


def _short(texts: list[str]) -> bool:
    """Lines as short as a list's: none long like a step, most much shorter."""
    words = [len(text.split()) for text in texts]
    if not words:
        return False
    return sum(words) / len(words) <= LIST_WORDS_AT_MOST / 2 and max(words) <= LIST_WORDS_AT_MOST


def classed_lists(root: Any) -> list[RawLine]:
    """The list in the element whose class, id or itemprop names ingredients and reads most like one:
    its list items, table rows, repeated ingredient-classed elements, or lines broken by <br>."""
    containers = root.xpath(CONTAINER)
    outermost: list[Any] = []
    inside: set[Any] = set()
    # in document order an ancestor comes first (a page of 10,000 classed sibling divs once took 79 s
    # here, comparing every pair): keep the outermost ones, a bounded number of them
    for container in containers:
        if container in inside:
            continue
        outermost.append(container)
        inside.update(container.iterdescendants())
        if len(outermost) >= CONTAINERS_WEIGHED:
            break
    candidates = [_container_lines(container) for container in outermost]
    # classed rows or items with no classed block around them (tr.recipe-ingredients__row, or
    # li[itemprop=recipeIngredient] in two lists under two group headings): one run, read in the
    # smallest block holding them all
    runs: dict[tuple[str, str, str], list[Any]] = {}
    for container in outermost:
        kind = (container.tag, container.get("class", ""), container.get("itemprop", ""))
        runs.setdefault(kind, []).append(container)
    candidates += [_grouped(_common_block(run), set(run)) for run in runs.values() if len(run) >= 2]
    best: list[RawLine] = []
    best_score = 0.0
    for lines in candidates:
        score = weight([line.text for line in lines])
        if score > best_score:
            best, best_score = lines, score
    return best


def weight(lines: list[str]) -> float:
    """A list's claim to be the method's: how much it reads like one, a list of one or two lines (an
    order total, a delivery note) counting less than a full one."""
    return likeness(lines) * min(len(lines), SIZABLE) / SIZABLE


def _common_block(elements: list[Any]) -> Any:
    """The innermost element holding all of them."""
    common = list(reversed(list(elements[0].iterancestors())))
    for element in elements[1:]:
        ancestors = list(reversed(list(element.iterancestors())))
        size = 0
        while size < min(len(common), len(ancestors)) and common[size] is ancestors[size]:
            size += 1
        common = common[:size]
    return common[-1] if common else elements[0]


def _container_lines(container: Any) -> list[RawLine]:
    leaves = [li for li in container.iter("li") if not li.xpath(".//li")]
    if leaves:
        return _grouped(container, set(leaves))
    rows = [tr for tr in container.iter("tr") if tr.xpath("./td")]
    if rows:
        return _grouped(container, set(rows))
    repeated = _repeated_items(container)
    if repeated:
        return _grouped(container, set(repeated))
    return _broken_lines(container)


def _repeated_items(container: Any) -> list[Any]:
    """Elements of one tag and class naming ingredients, repeated (div.ingredients__item): the
    outermost such kind, so an item's own parts (span.ingredient-quantity) are not lines of their own."""
    kinds: dict[tuple[str, str], list[Any]] = {}
    for element in container.xpath(f".//*[{ITEM_CLASS}]"):
        kinds.setdefault((element.tag, element.get("class", "")), []).append(element)
    most = max((len(items) for items in kinds.values()), default=0)
    repeated = [items for items in kinds.values() if len(items) >= max(2, most / 2)]  # not the group titles
    if not repeated:
        return []
    return min(repeated, key=lambda items: (len(list(items[0].iterancestors())), -len(items)))


def _broken_lines(container: Any) -> list[RawLine]:
    """A list written as lines in one block ("400 grams lamb mince<br>2 teaspoons cumin<br>..."), a
    bold line among them heading a group (a bold amount is part of its line)."""
    lines: list[RawLine] = []
    group: str | None = None
    text: list[str] = [container.text or ""]

    def flush() -> None:
        line = clean(" ".join(text))
        text.clear()
        if line and not LIST_HEADING.match(line):
            lines.append(RawLine(line, group=group))

    def walk(element: Any) -> None:
        nonlocal group
        for child in element:
            if not isinstance(child.tag, str):  # a comment: only the text after it is the page's
                pass
            elif child.tag in GROUP_TAGS:
                label = clean(child.text_content())
                if NUMBER.search(label):
                    text.append(label)
                else:
                    flush()
                    heading = label.rstrip(":").strip()
                    group = heading if heading and not LIST_HEADING.match(heading) else group
            elif child.tag == "br":
                flush()
            else:
                block = child.tag in ("p", "div", "li")
                if block:
                    flush()
                text.append(child.text or "")
                walk(child)
                if block:
                    flush()
            text.append(child.tail or "")

    walk(container)
    flush()
    return lines if len(lines) >= 2 else []


def _grouped(container: Any, items: set[Any]) -> list[RawLine]:
    """The items in page order, each under the last group heading before it (a heading inside an item
    is part of its line)."""
    lines: list[RawLine] = []
    group: str | None = None
    for element in container.iter():
        if element in items:
            text = _item_text(element)
            if text:
                lines.append(RawLine(text, group=group))
        elif element.tag in GROUP_TAGS and not any(a in items for a in element.iterancestors()):
            heading = clean(element.text_content()).rstrip(":").strip()
            if heading and len(heading) <= 60 and not LIST_HEADING.match(heading):
                group = heading
    return lines


def _item_text(item: Any) -> str:
    """An item's text; a table row's cells side by side ("500 ml" | "milk" is "500 ml milk")."""
    if item.tag == "tr":
        return clean(" ".join(cell.text_content() for cell in item.xpath("./td|./th")))
    return clean(item.text_content())


def heading_lists(root: Any) -> list[RawLine]:
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
        for sibling in heading.itersiblings("*"):  # elements, not comments
            sibling_label = clean(sibling.text_content())
            if sibling.tag in ("h1", "h2") or (
                sibling.tag == heading.tag and LIST_HEADING.match(sibling_label)
            ):
                break
            if sibling.tag in ("h3", "h4", "h5", "h6", "p", "strong", "b") and not sibling.xpath(".//li"):
                if LIST_HEADING.match(sibling_label) or METHOD_HEADING.match(sibling_label):
                    break
                group = sibling_label if sibling_label and len(sibling_label) <= 60 else group
            for item in sibling.xpath("descendant-or-self::li"):
                text = clean(item.text_content())
                if text and item not in seen:  # a list under two matching headings counts once
                    seen.add(item)
                    found.append(RawLine(text, kind=kind, group=group))
    return found


def likely_lists(root: Any) -> list[RawLine]:
    """A page with no ingredient heading or class: the list that reads most like one (most of its lines
    give an amount, none is long), with the lists beside it in the same block, their bold lines or
    headings between them as groups, up to a Method / Instructions heading."""
    best, best_score = None, 0.0
    for candidate in root.iter("ul", "ol"):
        if candidate.xpath("ancestor::ul|ancestor::ol|ancestor::header|ancestor::aside"):
            continue
        texts = [clean(li.text_content()) for li in candidate.iterchildren("li")]
        score = weight(texts)
        if len(texts) >= 2 and likeness(texts) >= 0.5 and score > best_score:
            best, best_score = candidate, score
    if best is None:
        return []
    lines: list[RawLine] = []
    group: str | None = None
    passed = False  # the best list is behind: what follows ends the run rather than restarting it
    for element in best.getparent().iterchildren("*"):  # elements, not comments
        label = clean(element.text_content())
        if element.tag in ("ul", "ol"):
            texts = [clean(li.text_content()) for li in element.iterchildren("li")]
            if element is best or _short(texts):
                lines.extend(RawLine(text, group=group) for text in texts if text)
                passed = passed or element is best
            elif passed:
                break
        elif METHOD_HEADING.match(label):
            if passed:
                break
            lines, group = [], None
        elif label and len(label) <= 60 and not NUMBER.search(label) and len(label.split()) <= 8:
            group = None if LIST_HEADING.match(label) else label.rstrip(":").strip()
        elif label:  # prose: before the list it starts the run anew, after it the run is over
            if passed:
                break
            lines, group = [], None
    return lines if likeness([line.text for line in lines]) >= 0.3 else []

"""A job written as plain text (a typed shopping list, a fax read by OCR, an e-mail body) into
components: one component per list line. What surrounds the list in a fax or an e-mail (the fax
machine's header, greetings, sign-offs, requests) is left out, since each line kept becomes something
Kitting asks shops to quote for."""

from __future__ import annotations

import re

from agents.extraction.extract import ExtractedMethod, components_from
from agents.extraction.lines import MAX_LINES, RawLine, clean
from schemas.events import Component, ComponentKind

BULLET = re.compile(r"^\s*(?:[-*•·\u2013\u2014+]|\[[ xX]?\]|☐|☑|\(?\d{1,2}[.)](?=\s)|\(\d{1,2}\))\s*")
HEADING = re.compile(
    r"^(?:(?P<tool>tools?(?: needed)?|equipment)|"
    r"(?P<supply>materials?(?: needed)?|supplies)|"
    r"(?P<ingredient>ingredients?|shopping(?: list)?|(?:what )?you(?:'ll| will)? need|to buy|list))"
    r"\s*:?$",
    re.IGNORECASE,
)
GROUP = re.compile(r"^(?P<group>for [^:]{1,60}):$", re.IGNORECASE)  # "For the sauce:"
LABELLED_TITLE = re.compile(r"^(?:subject|re|title|fwd?)\s*:\s*(?P<title>.+)$", re.IGNORECASE)
TITLE_WORDS = re.compile(r"\b(?:shopping|list|recipe|kit|order|project|job)\b", re.IGNORECASE)
HEADER_LABEL = re.compile(
    r"^(?:from|to|fax|tel|phone|date|sent|cc|attn|pages?|no\. of pages)\b\.?\s*[:#]", re.IGNORECASE
)
PAGE_MARK = re.compile(r"\b(?:page\s*\d+\s*(?:of|/)\s*\d+|p\.?\s*\d+\s*/\s*\d+)\b", re.IGNORECASE)
PHONE = re.compile(r"\+?\d[\d ()-]{8,}\d")
DATE_TIME = re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b|\b\d{1,2}:\d{2}\b")
GREETING = re.compile(r"^(?:hi|hello|hey|dear|good (?:morning|afternoon|evening))\b", re.IGNORECASE)
SIGN_OFF = re.compile(
    r"^(?:many thanks|thanks(?: again| a lot)?|thank you|cheers|regards|best(?: wishes| regards)?|"
    r"kind regards|warm regards|all the best|love|sincerely|yours(?: sincerely| faithfully| truly)?)"
    r"(?:[\s,.!]*|,\s*\S+(?: \S+){0,2})$",
    re.IGNORECASE,
)
PROSE = re.compile(
    r"^(?:please|could you|can you|would you|here is|here's|here are|this is|i need|we need|"
    r"thanks|thank you|sent from|see (?:the )?attach\w*|(?:please )?find (?:the )?(?:list )?attach\w*|"
    r"(?:i've|i have) attached|attached (?:is|are))\b",
    re.IGNORECASE,
)
MAX_WORDS = 15  # a list line is short; a longer line is a sentence around the list


def extract_text(text: str, source: str = "text") -> ExtractedMethod:
    """Every list line of the text as a component, or an empty method with the reason."""
    lines = [clean(line) for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return ExtractedMethod.empty("no components in the text: it is empty")
    title, body = _title(lines)
    raw = _list_lines(body)[:MAX_LINES]
    if not raw:
        return ExtractedMethod.empty(
            "no components in the text: no list lines, only headings, greetings or fax header lines"
        )
    return ExtractedMethod(title, "list", _components(raw, source), source)


def _components(lines: list[RawLine], source: str) -> list[Component]:
    """Every line parsed as an ingredient line, then given its kind: in a typed list a tool line reads
    like any other ("1 wooden spoon"), so its count and name are parsed too, unlike a tool named by
    HowTo markup, whose name `components_from` keeps as written."""
    parsed = components_from([RawLine(line.text, group=line.group) for line in lines], source)
    return [
        component.model_copy(update={"kind": line.kind})
        for component, line in zip(parsed, lines, strict=True)
    ]


def list_lines(text: str) -> list[RawLine]:
    """The lines of the text that would become components, unparsed: cheap enough for a channel to
    ask whether a message lists anything before reading its attachments."""
    lines = [line for line in (clean(line) for line in text.splitlines()) if line]
    return _list_lines(_title(lines)[1])[:MAX_LINES]


def _title(lines: list[str]) -> tuple[str | None, list[str]]:
    """The first line that is not a fax header is the title when it is labelled ("Subject: ...") or
    names the job ("Shopping list for lentil curry") and gives no quantity."""
    for index, line in enumerate(lines):
        if _is_header(line) or _is_greeting(line) or _letters(line) < 2:
            continue
        labelled = LABELLED_TITLE.match(line)
        if labelled:
            return _strip_labels(labelled.group("title")), lines[index + 1 :]
        if TITLE_WORDS.search(line) and not HEADING.match(line) and not re.match(r"^\W*\d", line):
            return line, lines[index + 1 :]
        break
    return None, lines


def _strip_labels(title: str) -> str:
    """A reply's subject ("Re: Fwd: shopping") is titled by what it is about ("shopping")."""
    while True:
        labelled = LABELLED_TITLE.match(title)
        if not labelled:
            return title
        title = labelled.group("title")


def _list_lines(lines: list[str]) -> list[RawLine]:
    """The lines that name something to buy; a heading sets the kind (and "For the sauce:" the group)
    of the lines below it; a sign-off ends the list, since the sender's name follows it."""
    kind, group = ComponentKind.ingredient, None
    found: list[RawLine] = []
    for line in lines:
        if SIGN_OFF.match(line):
            break
        item = BULLET.sub("", line, count=1).strip()
        heading = HEADING.match(item)
        if heading:
            kind, group = _heading_kind(heading), None
            continue
        group_heading = GROUP.match(item)
        if group_heading:
            group = group_heading.group("group").strip()
            continue
        if _is_item(item):
            found.append(RawLine(item, kind=kind, group=group))
    return found


def _heading_kind(heading: re.Match[str]) -> ComponentKind:
    if heading.group("tool"):
        return ComponentKind.tool
    if heading.group("supply"):
        return ComponentKind.supply
    return ComponentKind.ingredient


def _is_item(line: str) -> bool:
    """Not a fax header, greeting, request or sentence, not a heading of its own ("Could you get:"),
    and with at least two letters (OCR turns specks and rules into lines of marks)."""
    if _letters(line) < 2:
        return False
    if _is_header(line) or _is_greeting(line) or PROSE.match(line) or line.endswith(":"):
        return False
    return len(line.split()) <= MAX_WORDS


def _letters(line: str) -> int:
    return sum(ch.isalpha() for ch in line)


def _is_header(line: str) -> bool:
    """A fax machine's or a cover sheet's line: a "From:"/"Fax:" label, a page mark ("Page 1 of 2",
    "P.1/1"), or a phone number with a date or time."""
    if HEADER_LABEL.match(line) or PAGE_MARK.search(line):
        return True
    return bool(PHONE.search(line)) and bool(DATE_TIME.search(line))


def _is_greeting(line: str) -> bool:
    return bool(GREETING.match(line))

"""The demo upstream site `kitting up` serves: the bundled recipe and DIY pages (with Kitting's snippet
and the site's key, as a real method provider would add them) and its component-list endpoint."""

from __future__ import annotations

import json
import re
from html import escape
from importlib import resources
from typing import Any
from urllib.parse import urlparse

FILES = resources.files("agents.http").joinpath("demo_pages")
PATH = "demo-site/"
SNIPPET_TAG = '<script src="/snippet.js" data-site-key="{key}" async></script>'


def slug_of(url_or_name: str) -> str | None:
    """The page's name in an address or a name ("…/demo-site/lentil-curry" → "lentil-curry"), or None
    when it cannot be one of the site's pages."""
    slug = urlparse(url_or_name).path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".html")
    return slug if re.fullmatch(r"[a-z0-9][a-z0-9-]{0,80}", slug) else None


def page_html(url_or_name: str) -> str | None:
    """A page as it is bundled (no snippet), or None."""
    slug = slug_of(url_or_name)
    path = FILES / f"{slug}.html"
    return path.read_text(encoding="utf-8") if slug and path.is_file() else None


def component_list(url: str) -> bytes | None:
    """The site's own component list for a page (schemas/method_lists.py), or None."""
    slug = slug_of(url)
    path = FILES / "lists" / f"{slug}.json"
    return path.read_bytes() if slug and path.is_file() else None


def served_page(url_or_name: str, site_key: str) -> str | None:
    """A page as the site serves it: with Kitting's snippet and the site's key."""
    page = page_html(url_or_name)
    if page is None:
        return None
    tag = SNIPPET_TAG.format(key=site_key)
    shown = _shown_method(page)
    if shown and "</h1>" in page:  # a page whose method is in its markup alone shows it, as a site would
        page = page.replace("</h1>", f"</h1>{shown}", 1)
    page = page.replace("</head>", f"{SITE_HEAD}</head>", 1)
    return page.replace("</body>", f"{tag}\n</body>") if "</body>" in page else page + tag


SITE_HEAD = (  # the site's own look: readable on a phone as on a desktop
    '<meta name="viewport" content="width=device-width, initial-scale=1"><style>'
    "body{font:1.05rem/1.5 system-ui,sans-serif;max-width:40rem;margin:0 auto;padding:1rem;color:#222}"
    "h1{line-height:1.2}li{margin:.25rem 0}.yield{color:#555}</style>"
)
UNIT_WORDS = {"C62": "", "LTR": "litres", "MTR": "m", "KGM": "kg", "GRM": "g"}  # UN/CEFACT codes


def _shown_method(page: str) -> str | None:
    """The recipe or guide of a page that has it only in its JSON-LD, as HTML a person reads: yield,
    ingredients or supplies and tools, steps. None when the page shows its lists already."""
    if re.search(r"<(ul|ol)\b", page):
        return None
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    if found is None:
        return None
    data: dict[str, Any] = json.loads(found.group(1))
    parts = []
    if data.get("recipeYield"):
        parts.append(f'<p class="yield">Makes {escape(str(data["recipeYield"]))}</p>')
    lists = [("Ingredients", [str(line) for line in data.get("recipeIngredient") or []])]
    lists.append(("You will need", [_supply_line(item) for item in data.get("supply") or []]))
    lists.append(("Tools", [str(item.get("name", "")) for item in data.get("tool") or []]))
    for title, lines in lists:
        if lines:
            items = "".join(f"<li>{escape(line)}</li>" for line in lines)
            parts.append(f"<h2>{title}</h2><ul>{items}</ul>")
    steps = [str(step.get("text", "")) for step in data.get("recipeInstructions") or data.get("step") or []]
    if steps:
        parts.append("<h2>Method</h2><ol>" + "".join(f"<li>{escape(step)}</li>" for step in steps) + "</ol>")
    return "".join(parts) or None


def _supply_line(item: dict[str, Any]) -> str:
    """ "2 Tap washer, 1/2 inch", "5 litres Matt emulsion paint": the amount as the markup gives it."""
    amount = item.get("requiredQuantity")
    name = str(item.get("name", ""))
    if isinstance(amount, dict):
        unit = amount.get("unitText") or UNIT_WORDS.get(str(amount.get("unitCode")), "")
        return " ".join(part for part in (str(amount.get("value", "")), unit, name) if part)
    return f"{amount} {name}" if amount is not None else name


def pages(base_url: str) -> list[dict[str, str]]:
    """Every page with its title and its address under `base_url` (the service's own)."""
    found = []
    for path in sorted(FILES.iterdir(), key=lambda p: p.name):
        if path.name.endswith(".html"):
            title = re.search(r"<title>([^<]*)</title>", path.read_text(encoding="utf-8"))
            slug = path.name.removesuffix(".html")
            found.append(
                {"title": title.group(1).strip() if title else slug, "url": f"{base_url}{PATH}{slug}"}
            )
    return found


def own_page_html(url: str, base_url: str) -> str | None:
    """The HTML of one of the site's pages when `url` is its address on this service, so the worker
    need not fetch it (it fetches public addresses only)."""
    return page_html(url) if url.startswith(f"{base_url}{PATH}") else None


def index_page(base_url: str) -> str:
    """The demo site's home: its recipes and guides, each a link to its page."""
    links = "".join(
        f'<li><a href="{escape(page["url"])}">{escape(page["title"])}</a></li>' for page in pages(base_url)
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Recipes and guides (a demo site)</title><style>"
        "body{font:1.05rem/1.5 system-ui,sans-serif;max-width:40rem;margin:0 auto;padding:1rem}"
        "li{margin:.5rem 0}a{color:#1f4f8f}</style></head><body>"
        "<h1>Recipes and guides</h1><p>A demo of a site that carries Kitting's button: open a page, then "
        "press <strong>Get the components</strong>.</p>"
        f'<ul>{links}</ul><p><a href="/terminal/">Or go to Kitting\'s terminal</a></p></body></html>'
    )

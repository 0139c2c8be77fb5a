"""The demo upstream site `kitting up` serves: the bundled recipe and DIY pages (with Kitting's snippet
and the site's key, as a real method provider would add them) and its component-list endpoint."""

from __future__ import annotations

import re
from importlib import resources
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
    return page.replace("</body>", f"{tag}\n</body>") if "</body>" in page else page + tag


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

"""Method providers that registered a component-list endpoint: for their pages Kitting asks them for
the list instead of scraping (many sites block scraping; DIY guides rarely carry markup). Several
providers of one page are all asked and their lists shown side by side."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from urllib.parse import urlparse

import httpx
from pydantic import ValidationError

from agents.extraction.extract import ExtractedMethod, components_from
from agents.extraction.fetch import TIMEOUT, USER_AGENT
from agents.extraction.lines import RawLine
from schemas.events import Component, ProvidedList
from schemas.method_lists import ComponentList
from streams.settings import MethodProviderConfig, Settings

log = logging.getLogger(__name__)
DEMO_SITE_HOSTS = ["recipes.kitting.example", "diy.kitting.example"]
MAX_LIST_BYTES = 1_000_000


def demo_site_provider(settings: Settings) -> MethodProviderConfig:
    """The demo method provider that `kitting up` serves on its HTTP service."""
    base = settings.http_public_url or f"http://{settings.http_host}:{settings.http_port}"
    return MethodProviderConfig(
        provider_id="kitting-demo-site", name="Kitting demo site", hosts=DEMO_SITE_HOSTS,
        list_endpoint=f"{base.rstrip('/')}/demo-site/components",
    )  # fmt: skip


@dataclass(frozen=True)
class MethodProviderRegistry:
    providers: tuple[MethodProviderConfig, ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> MethodProviderRegistry:
        configured = settings.method_providers
        return cls(tuple(configured) if configured is not None else (demo_site_provider(settings),))

    def for_url(self, url: str) -> list[MethodProviderConfig]:
        host = (urlparse(url).hostname or "").lower().removeprefix("www.")
        return [p for p in self.providers if host in {h.lower().removeprefix("www.") for h in p.hosts}]


def _components(listed: ComponentList, provider_id: str) -> list[Component]:
    parsed = components_from(
        [RawLine(item.text, kind=item.kind, group=item.group) for item in listed.components], ""
    )
    return [
        component.model_copy(
            update={
                "name": item.name or component.name,
                "quantity": item.quantity or component.quantity,
                "optional": item.optional or component.optional,
                "provenance": f"method-provider:{provider_id}",
                "confidence": 1.0 if item.name and item.quantity else component.confidence,
            }
        )
        for item, component in zip(listed.components, parsed, strict=True)
    ]


async def ask_provider(
    client: httpx.AsyncClient, provider: MethodProviderConfig, page_url: str
) -> tuple[ProvidedList | None, str | None, str | None]:
    """(the provider's list, the method's yield, why not): registered endpoints are trusted addresses."""
    try:
        response = await client.get(provider.list_endpoint, params={"url": page_url})
        if response.status_code >= 400:
            return None, None, f"{provider.name}: HTTP {response.status_code}"
        if len(response.content) > MAX_LIST_BYTES:
            return None, None, f"{provider.name}: list larger than {MAX_LIST_BYTES} bytes"
        listed = ComponentList.model_validate_json(response.content)
    except httpx.HTTPError as exc:
        return None, None, f"{provider.name}: {type(exc).__name__}"
    except Exception as exc:  # a provider's bad answer must not sink the others
        log.warning("component list from %s failed: %s", provider.provider_id, exc)
        return None, None, f"{provider.name}: {type(exc).__name__}"
    except ValidationError as exc:
        return None, None, f"{provider.name}: invalid list ({exc.error_count()} problems)"
    components = _components(listed, provider.provider_id)
    return (
        ProvidedList(provider_id=provider.provider_id, provider_name=provider.name, components=components),
        (listed.method_yield),
        None,
    )


async def ask_providers(
    providers: list[MethodProviderConfig], page_url: str, client: httpx.AsyncClient | None = None
) -> tuple[list[ProvidedList], str | None, list[str]]:
    """Every provider's list (those that answered), the first yield stated, and the failures."""
    own = client is None
    client = client or httpx.AsyncClient(
        timeout=TIMEOUT, headers={"User-Agent": USER_AGENT}, follow_redirects=False
    )
    try:
        answers = await asyncio.gather(*(ask_provider(client, p, page_url) for p in providers))
    finally:
        if own:
            await client.aclose()
    lists = [answer for answer, _, _ in answers if answer is not None and answer.components]
    method_yield = next((y for _, y, _ in answers if y), None)
    return lists, method_yield, [why for _, _, why in answers if why]


def method_from_lists(lists: list[ProvidedList], method_yield: str | None) -> ExtractedMethod:
    """The first provider's list is the method's components; all of them travel side by side."""
    return ExtractedMethod.listed(
        lists[0].components, f"method-provider:{lists[0].provider_id}", method_yield
    )

"""Fetching a method page by URL: timeouts, a size cap, a clear user agent, few redirects, a cache,
and only public http(s) addresses (a browse event must not make Kitting call into its own network)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from agents.outbound.pinning import AddressRefused, Resolver, pin, system_resolve

USER_AGENT = "Kitting/0.1 (component extraction; +https://github.com/kitting)"
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_BYTES = 5_000_000
MAX_REDIRECTS = 5
CACHE_TTL_S = 3600.0
CACHE_SIZE = 32  # pages of up to MAX_BYTES each
TOTAL_TIMEOUT_S = 20.0


log = logging.getLogger(__name__)


class FetchFailed(Exception):
    """The page could not be had; the message says why (status, size, address, timeout)."""


@dataclass(frozen=True)
class FetchedPage:
    url: str
    html: str


_cache: dict[str, tuple[float, FetchedPage]] = {}


async def fetch_page(
    url: str,
    *,
    allow_private: bool = False,
    private_hosts: frozenset[str] = frozenset(),
    resolve: Resolver = system_resolve,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FetchedPage:
    """The page, or FetchFailed with the reason; never longer than TOTAL_TIMEOUT_S in all. Every address
    (redirects too) is resolved once, must be public (or its host one of the operator's
    `private_hosts`, KITTING_FETCH_PRIVATE_HOSTS), and is the one connected to."""
    cached = _cache.get(url)
    if cached and time.monotonic() - cached[0] < CACHE_TTL_S:
        return cached[1]
    try:
        async with asyncio.timeout(TOTAL_TIMEOUT_S):
            page = await _fetch(url, allow_private, private_hosts, resolve, transport)
    except TimeoutError:
        raise FetchFailed(f"the site sent no page within {TOTAL_TIMEOUT_S:.0f} s: try again later") from None
    for key in [k for k, (at, _) in _cache.items() if time.monotonic() - at >= CACHE_TTL_S]:
        del _cache[key]
    if len(_cache) >= CACHE_SIZE:
        _cache.pop(next(iter(_cache)))
    _cache[url] = (time.monotonic(), page)
    return page


async def _fetch(
    url: str,
    allow_private: bool,
    private_hosts: frozenset[str],
    resolve: Resolver,
    transport: httpx.AsyncBaseTransport | None,
) -> FetchedPage:
    current = url
    async with httpx.AsyncClient(
        timeout=TIMEOUT, headers={"User-Agent": USER_AGENT}, transport=transport
    ) as client:
        for _ in range(MAX_REDIRECTS + 1):
            try:
                private = allow_private or urlsplit(current).hostname in private_hosts
                target = await pin(current, allow_private=private, resolve=resolve)
            except AddressRefused as exc:
                raise FetchFailed(str(exc)) from None
            try:
                async with client.stream(
                    "GET", target.request_url, headers=target.headers, extensions=target.extensions
                ) as response:
                    if response.is_redirect:
                        location = response.headers.get("location")
                        if not location:
                            raise FetchFailed(f"HTTP {response.status_code} without a Location")
                        current = str(httpx.URL(current).join(location))
                        continue
                    if response.status_code >= 400:
                        raise FetchFailed(_refusal(response.status_code, target.host))
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body.extend(chunk)
                        if len(body) > MAX_BYTES:
                            raise FetchFailed(f"page larger than {MAX_BYTES} bytes")
                    page = FetchedPage(current, body.decode(response.encoding or "utf-8", errors="replace"))
                    break
            except httpx.TimeoutException:
                host = urlsplit(current).hostname
                raise FetchFailed(f"{host} did not answer in time: try again later") from None
            except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
                log.info("fetching %s failed: %s: %s", current, type(exc).__name__, exc)
                host = urlsplit(current).hostname
                raise FetchFailed(f"{host} could not be reached: check the address") from None
        else:
            raise FetchFailed(f"more than {MAX_REDIRECTS} redirects")
    return page


def _refusal(status: int, host: str) -> str:
    """A site's refusal in the person's words."""
    if status in (404, 410):
        return f"{host} has no page at this address (HTTP {status}): check the address"
    if status in (401, 403):
        return f"{host} shows this page to its signed-in visitors only (HTTP {status}): use its own button"
    return f"{host} would not send the page just now (HTTP {status}): try again later"

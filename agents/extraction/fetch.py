"""Fetching a method page by URL: timeouts, a size cap, a clear user agent, few redirects, a cache,
and only public http(s) addresses (a browse event must not make Kitting call into its own network)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlparse

import httpx

USER_AGENT = "Kitting/0.1 (component extraction; +https://github.com/kitting)"
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_BYTES = 5_000_000
MAX_REDIRECTS = 5
CACHE_TTL_S = 3600.0
CACHE_SIZE = 32  # pages of up to MAX_BYTES each
TOTAL_TIMEOUT_S = 20.0


class FetchFailed(Exception):
    """The page could not be had; the message says why (status, size, address, timeout)."""


@dataclass(frozen=True)
class FetchedPage:
    url: str
    html: str


_cache: dict[str, tuple[float, FetchedPage]] = {}


NON_PUBLIC_V6 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("2002::/16"))  # NAT64, 6to4


async def _check_public(url: str, allow_private: bool) -> None:
    try:
        parts = urlparse(url)
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise FetchFailed(f"not a valid address: {url!r} ({exc})") from None
    if parts.scheme not in ("http", "https") or not host:
        raise FetchFailed(f"not an http(s) address: {url!r}")
    if allow_private:
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise FetchFailed(f"cannot resolve {host}: {exc}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or any(address in net for net in NON_PUBLIC_V6 if address.version == 6):
            raise FetchFailed(f"{host} resolves to a non-public address ({address})")


async def fetch_page(url: str, *, allow_private: bool = False) -> FetchedPage:
    """The page, or FetchFailed with the reason; never longer than TOTAL_TIMEOUT_S in all."""
    cached = _cache.get(url)
    if cached and time.monotonic() - cached[0] < CACHE_TTL_S:
        return cached[1]
    try:
        async with asyncio.timeout(TOTAL_TIMEOUT_S):
            page = await _fetch(url, allow_private)
    except TimeoutError:
        raise FetchFailed(f"no complete answer from {url} within {TOTAL_TIMEOUT_S:.0f}s") from None
    for key in [k for k, (at, _) in _cache.items() if time.monotonic() - at >= CACHE_TTL_S]:
        del _cache[key]
    if len(_cache) >= CACHE_SIZE:
        _cache.pop(next(iter(_cache)))
    _cache[url] = (time.monotonic(), page)
    return page


async def _fetch(url: str, allow_private: bool) -> FetchedPage:
    current = url
    async with httpx.AsyncClient(timeout=TIMEOUT, headers={"User-Agent": USER_AGENT}) as client:
        for _ in range(MAX_REDIRECTS + 1):
            await _check_public(current, allow_private)
            try:
                async with client.stream("GET", current) as response:
                    if response.is_redirect:
                        location = response.headers.get("location")
                        if not location:
                            raise FetchFailed(f"HTTP {response.status_code} without a Location")
                        current = str(response.url.join(location))
                        continue
                    if response.status_code >= 400:
                        raise FetchFailed(f"HTTP {response.status_code} from {urlparse(current).hostname}")
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body.extend(chunk)
                        if len(body) > MAX_BYTES:
                            raise FetchFailed(f"page larger than {MAX_BYTES} bytes")
                    page = FetchedPage(current, body.decode(response.encoding or "utf-8", errors="replace"))
                    break
            except httpx.TimeoutException:
                raise FetchFailed(f"timed out fetching {current}") from None
            except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
                raise FetchFailed(f"{type(exc).__name__} fetching {current}: {exc}") from None
        else:
            raise FetchFailed(f"more than {MAX_REDIRECTS} redirects")
    return page

"""Fetching a method page by URL: timeouts, a size cap, a clear user agent, few redirects, a cache,
and only public http(s) addresses (a browse event must not make Kitting call into its own network)."""

from __future__ import annotations

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
CACHE_SIZE = 256


class FetchFailed(Exception):
    """The page could not be had; the message says why (status, size, address, timeout)."""


@dataclass(frozen=True)
class FetchedPage:
    url: str
    html: str


_cache: dict[str, tuple[float, FetchedPage]] = {}


def _check_public(url: str, allow_private: bool) -> None:
    parts = urlparse(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchFailed(f"not an http(s) address: {url!r}")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise FetchFailed(f"cannot resolve {parts.hostname}: {exc.strerror}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise FetchFailed(f"{parts.hostname} resolves to a non-public address ({address})")


async def fetch_page(url: str, *, allow_private: bool = False) -> FetchedPage:
    cached = _cache.get(url)
    if cached and time.monotonic() - cached[0] < CACHE_TTL_S:
        return cached[1]
    current = url
    async with httpx.AsyncClient(timeout=TIMEOUT, headers={"User-Agent": USER_AGENT}) as client:
        for _ in range(MAX_REDIRECTS + 1):
            _check_public(current, allow_private)
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
            except httpx.HTTPError as exc:
                raise FetchFailed(f"{type(exc).__name__} fetching {current}: {exc}") from None
        else:
            raise FetchFailed(f"more than {MAX_REDIRECTS} redirects")
    if len(_cache) >= CACHE_SIZE:
        _cache.pop(next(iter(_cache)))
    _cache[url] = (time.monotonic(), page)
    return page

"""Limits on what one client can make the HTTP service hold: the bytes of a request body (counted as they
arrive, before anything reads them whole), the live terminal streams, and how fast baskets (and so page
fetches) are started, per client and per site asked for.

A client is its address as the service sees it. X-Forwarded-For counts only from the proxies named in
KITTING_TRUSTED_PROXIES; without them every request behind a proxy comes from the proxy's address, so
set the proxy to limit per client too."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agents.http.rate_limit import TokenBuckets
from streams.publishing import MAX_EVENT_BYTES

DEFAULT_BODY_BYTES = 1_000_000  # a JSON request
PAGE_BODY_BYTES = 2 * MAX_EVENT_BYTES  # a page's HTML as JSON (escaping may double it)
BODY_BYTES_BY_PATH = (  # the first prefix that fits
    ("/v1/channels/", 21_000_000),  # a fax or an e-mail (20 MB) and its multipart wrapping
    ("/v1/collect/browse/batch", 16_000_000),  # up to 100 pages from a site's servers
    ("/v1/collect/", PAGE_BODY_BYTES),
    ("/v1/baskets", PAGE_BODY_BYTES),
    ("/v1/events/", PAGE_BODY_BYTES),
)
STREAMS_PER_CLIENT = 8
STREAMS_IN_ALL = 100
BASKETS_PER_CLIENT = (0.5, 20)  # a new basket every 2 seconds, 20 at once
FETCHES_PER_SITE = (1.0, 30)  # pages of one site asked for: one a second, 30 at once


def body_limit_for(path: str) -> int:
    return next(
        (limit for prefix, limit in BODY_BYTES_BY_PATH if path.startswith(prefix)), DEFAULT_BODY_BYTES
    )


class BodyLimit:
    """413 for a body over the route's limit: at once when its Content-Length says so, else as soon as
    the bytes received pass it (a chunked upload is never read whole first)."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int] = body_limit_for) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _refuse(send, limit)
            return
        received = 0
        started = refused = False

        async def counted() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # answer now; the route sees a client that went away
                    refused = True
                    if not started:
                        await _refuse(send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 went out already: what the route says after it is dropped
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counted, watched)


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps(
        {"detail": f"the request body is larger than the {limit:,} bytes this route takes: send less"}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@dataclass
class StreamSlots:
    """Live streams open now, per client and in all."""

    per_client: int = STREAMS_PER_CLIENT
    in_all: int = STREAMS_IN_ALL
    _open: Counter[str] = field(default_factory=Counter)

    def take(self, client: str) -> None:
        """A slot for `client`, or 429 with the reason."""
        if sum(self._open.values()) >= self.in_all:
            raise HTTPException(
                429, "too many people are following baskets right now: try again in a minute",
                headers={"Retry-After": "30"},
            )  # fmt: skip
        if self._open[client] >= self.per_client:
            raise HTTPException(
                429, f"at most {self.per_client} baskets can be followed live at once from one place: "
                "close another tab", headers={"Retry-After": "30"},
            )  # fmt: skip
        self._open[client] += 1

    def give_back(self, client: str) -> None:
        self._open[client] -= 1
        if self._open[client] <= 0:
            del self._open[client]


@dataclass
class StartLimits:
    """How fast one client may start baskets, and how fast pages of one site may be asked for."""

    buckets: TokenBuckets = field(default_factory=TokenBuckets)

    def check(self, request: Request, url: str | None) -> None:
        """Take one start for the client (and one fetch for the page's site); 429 with the wait."""
        wait = self.buckets.take(f"client:{client_of(request)}", *BASKETS_PER_CLIENT)
        if wait:
            raise _too_many("too many baskets started from here", wait)
        host = _host_of(url) if url else ""
        if host and (wait := self.buckets.take(f"site:{host}", *FETCHES_PER_SITE)):
            raise _too_many(f"too many pages of {host} asked for just now", wait)


def _host_of(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:  # not a usable address: its fetch fails later, with the reason
        return ""


def _too_many(what: str, wait: float) -> HTTPException:
    seconds = max(1, round(wait))
    return HTTPException(429, f"{what}: try again in {seconds} s", headers={"Retry-After": str(seconds)})

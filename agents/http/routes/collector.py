"""The browse-event collector: upstream sites post the pages people read, from the snippet in the
browser (`agents/http/static/snippet.js`) or from their servers in batches, each with the site's API key.

Every request is answered here, errors included, with the CORS header the snippet needs to read the
reason; nothing is published unless the whole request is accepted (a batch whose publishing fails
half-way is the one exception: the answer names what was published). Keys come from `SiteKeys` (a
cache), limits from `TokenBuckets` (memory), so a request does not touch the database.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import math
from dataclasses import dataclass
from importlib import resources
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agents.baskets.start import basket_event, new_basket_id
from agents.http.claims import claim_code
from agents.http.rate_limit import TokenBuckets
from agents.http.services import Services, ServicesDep
from agents.http.sites import (
    SITE_KEY_HEADER,
    SiteKeys,
    SitesUnavailable,
    SiteView,
    normalize_origin,
    origin_of,
)
from schemas.events import Channel, Component, MethodBrowsed
from streams.publishing import MAX_EVENT_BYTES, EventTooLarge, Outgoing, PublishFailed, publish

SOURCE = "urn:kitting:collector"
KEY_HEADER = SITE_KEY_HEADER
BROWSE_PATH = "/v1/collect/browse"
BATCH_PATH = "/v1/collect/browse/batch"
SNIPPET_PATH = "/snippet.js"
TERMINAL_PATH = "/terminal/"
MAX_BATCH = 100
MAX_BODY_BYTES = 2 * MAX_EVENT_BYTES  # JSON escaping may double the html; the event is checked after
MAX_BATCH_BODY_BYTES = 16_000_000
MAX_KEY_CHARS = 200
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="kitting-collector"'}
ALLOWED_HEADERS = "content-type, x-kitting-site-key, authorization"

M = TypeVar("M", bound=BaseModel)


class BrowseBody(BaseModel):
    """One page a person is reading, as the snippet or a site's server posts it."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2000, description="The page's http(s) address")
    title: str | None = Field(default=None, max_length=1000, description="The page's title")
    html: str | None = Field(
        default=None,
        max_length=MAX_EVENT_BYTES,
        description="The page's HTML; without it (and without components) Kitting fetches the page",
    )
    components: list[Component] | None = Field(
        default=None, max_length=1000, description="The site's own component list, when it has one"
    )
    method_yield: str | None = Field(default=None, max_length=200, description="The yield the method states")

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("url must be an absolute http:// or https:// address")
        return value


class BrowseBatch(BaseModel):
    """Up to MAX_BATCH pages in one request, for a site's servers."""

    model_config = ConfigDict(extra="forbid")

    events: list[BrowseBody] = Field(min_length=1, max_length=MAX_BATCH)


class BrowseAccepted(BaseModel):
    basket_id: str
    event_id: str
    terminal_url: str = Field(
        description="Where the person follows the basket (a path on Kitting); it carries a claim the "
        "terminal trades once for the basket's token, so the upstream page's scripts never hold the token"
    )


class BatchAccepted(BaseModel):
    basket_ids: list[str]
    events: list[BrowseAccepted]


class Refused(Exception):
    """An answer other than 202: status, the reason (as `detail`) and extra headers."""

    def __init__(self, status: int, reason: str, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(reason)
        self.status, self.reason, self.headers, self.extra = status, reason, headers or {}, extra

    def response(self, cors: dict[str, str]) -> JSONResponse:
        return JSONResponse(
            {"detail": self.reason, **self.extra}, self.status, headers={**cors, **self.headers}
        )


@dataclass(frozen=True)
class _Event:
    answer: BrowseAccepted
    outgoing: Outgoing


def cors_headers(request: Request) -> dict[str, str]:
    """The request's own origin is allowed to read the answer (no credentials are involved)."""
    origin = request.headers.get("origin")
    if not origin:
        return {"Vary": "Origin"}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Expose-Headers": "Retry-After",
        "Vary": "Origin",
    }


def site_key_of(request: Request) -> str | None:
    key = request.headers.get("x-kitting-site-key")
    if key is None:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        key = value.strip() if scheme.lower() == "bearer" else None
    return key.strip() or None if key is not None else None


def validation_reason(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"])
        problems.append(f"{where}: {error['msg']}" if where else str(error["msg"]))
    return "; ".join(problems)[:2000]


def parse(model: type[M], raw: bytes) -> M:
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise Refused(422, validation_reason(exc)) from None


async def read_body(request: Request, limit: int) -> bytes:
    too_large = f"the body is over {limit} bytes"
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise Refused(413, too_large)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise Refused(413, too_large)
    return bytes(body)


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its `$defs` inlined, to embed in the OpenAPI document."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(copy.deepcopy(defs[ref.removeprefix("#/$defs/")]))
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    inlined: dict[str, Any] = walk(schema)
    return inlined


def _body_doc(model: type[BaseModel]) -> dict[str, Any]:
    schema = _inline_refs(model.model_json_schema())
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _error_doc(*statuses: int) -> dict[int | str, dict[str, Any]]:
    reasons = {
        401: f"No key, an unknown key or a disabled site (send the key in {KEY_HEADER})",
        403: "The page, or the request's Origin, is not among the site's origins",
        413: "An event, or the body, is too large (or a batch is larger than the site's burst)",
        422: "The body is not valid; `detail` says why",
        429: "Over the site's rate; wait Retry-After seconds",
        503: "The event bus (or the sites' database) did not answer; retry",
    }
    return {status: {"description": reasons[status]} for status in statuses}


router = APIRouter(tags=["collector"])


async def site_of(request: Request, keys: SiteKeys) -> SiteView:
    """The site whose key the request carries, enabled and allowed from the request's origin."""
    key = site_key_of(request)
    if key is None:
        raise Refused(
            401,
            f"no site key: send the site's API key in the {KEY_HEADER} header "
            "(or Authorization: Bearer <key>)",
            CHALLENGE,
        )
    try:
        site = await keys.alookup(key) if len(key) <= MAX_KEY_CHARS else None
    except SitesUnavailable as exc:
        raise Refused(503, f"{exc}; retry") from None
    if site is None:
        raise Refused(401, f"the key in {KEY_HEADER} is not a site key Kitting knows", CHALLENGE)
    if not site.enabled:
        raise Refused(
            401, f"site {site.site_id!r} is disabled: its key in {KEY_HEADER} is refused", CHALLENGE
        )
    origin = request.headers.get("origin")
    if origin is not None and site.origins and not _allowed(site, origin):
        raise Refused(403, f"requests from origin {origin} are not allowed for site {site.site_id!r}")
    return site


def check_page(site: SiteView, body: BrowseBody, index: int | None = None) -> None:
    if not site.origins:
        return
    page_origin = origin_of(body.url)
    if page_origin is None or not site.allows_origin(page_origin):
        where = "" if index is None else f"events.{index}: "
        raise Refused(
            403,
            f"{where}the page {body.url[:200]} is not on site {site.site_id!r}'s origins "
            f"({', '.join(site.origins)})",
        )


def charge(buckets: TokenBuckets, site: SiteView, events: int) -> None:
    wait = buckets.take(site.site_id, site.rate_per_s, site.burst, cost=events)
    if wait == math.inf:
        raise Refused(
            413, f"a batch of {events} events is more than site {site.site_id!r}'s burst of "
            f"{site.burst}: send at most {site.burst} per request",
        )  # fmt: skip
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise Refused(
            429,
            f"site {site.site_id!r} is over its limit of {site.rate_per_s:g} events/s "
            f"(burst {site.burst}); retry after {seconds} s",
            {"Retry-After": str(seconds)},
        )


def event_of(services: Services, site: SiteView, body: BrowseBody) -> _Event:
    """The page as the event that starts its basket, with the terminal link the answer carries."""
    basket_id = new_basket_id()
    job = MethodBrowsed(
        basket_id=basket_id, url=body.url, html=body.html, components=body.components,
        method_yield=body.method_yield, site=site.site_id, channel=Channel.upstream, origin=site.site_id,
    )  # fmt: skip
    try:
        event = basket_event(job, source=SOURCE)
    except EventTooLarge as exc:
        raise Refused(413, str(exc)) from None
    claim = claim_code(services.vault_secret, basket_id)  # not the token: the page's scripts see the link
    link = f"{TERMINAL_PATH}?{urlencode({'basket': basket_id, 'claim': claim})}"
    return _Event(BrowseAccepted(basket_id=basket_id, event_id=event.event_id, terminal_url=link), event)


@router.post(
    BROWSE_PATH, status_code=202, response_model=BrowseAccepted, openapi_extra=_body_doc(BrowseBody),
    responses=_error_doc(401, 403, 413, 422, 429, 503),
)  # fmt: skip
async def browse(request: Request, services: ServicesDep) -> Response:
    """One page a person is reading; the answer links to the basket's terminal page."""
    cors = cors_headers(request)
    try:
        site = await site_of(request, services.site_keys)
        body = parse(BrowseBody, await read_body(request, MAX_BODY_BYTES))
        check_page(site, body)
        charge(services.buckets, site, 1)
        event = event_of(services, site, body)
        try:
            await publish(services.publisher, event.outgoing)
        except PublishFailed as exc:
            raise Refused(503, str(exc)) from None
        except EventTooLarge as exc:
            raise Refused(413, str(exc)) from None
    except Refused as refused:
        return refused.response(cors)
    return Response(event.answer.model_dump_json(), 202, headers=cors, media_type="application/json")


@router.post(
    BATCH_PATH, status_code=202, response_model=BatchAccepted, openapi_extra=_body_doc(BrowseBatch),
    responses=_error_doc(401, 403, 413, 422, 429, 503),
)  # fmt: skip
async def browse_batch(request: Request, services: ServicesDep) -> Response:
    """Up to 100 pages at once, for a site's servers; each event counts against the site's rate."""
    cors = cors_headers(request)
    try:
        site = await site_of(request, services.site_keys)
        batch = parse(BrowseBatch, await read_body(request, MAX_BATCH_BODY_BYTES))
        for index, body in enumerate(batch.events):
            check_page(site, body, index)
        charge(services.buckets, site, len(batch.events))
        events = []
        for index, body in enumerate(batch.events):
            try:
                events.append(event_of(services, site, body))
            except Refused as refused:
                raise Refused(refused.status, f"events.{index}: {refused.reason}") from None
        outcomes = await asyncio.gather(
            *(publish(services.publisher, e.outgoing) for e in events), return_exceptions=True
        )
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        if failures:
            for failure in failures:
                if not isinstance(failure, PublishFailed | EventTooLarge):
                    raise failure
            raise Refused(
                503,
                f"{len(failures)} of {len(events)} events were not published ({failures[0]}); "
                "retry those whose basket_ids entry is null",
                basket_ids=[
                    None if isinstance(o, BaseException) else e.answer.basket_id
                    for e, o in zip(events, outcomes, strict=True)
                ],
            )
    except Refused as refused:
        return refused.response(cors)
    answers = [e.answer for e in events]
    answer = BatchAccepted(basket_ids=[a.basket_id for a in answers], events=answers)
    return Response(answer.model_dump_json(), 202, headers=cors, media_type="application/json")


async def preflight(request: Request) -> Response:
    """Any origin may ask; the key and the site's origins are checked on the POST."""
    headers = {
        **cors_headers(request),
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": ALLOWED_HEADERS,
        "Access-Control-Max-Age": "600",
    }
    return Response(status_code=204, headers=headers)


router.add_api_route(BROWSE_PATH, preflight, methods=["OPTIONS"], include_in_schema=False)
router.add_api_route(BATCH_PATH, preflight, methods=["OPTIONS"], include_in_schema=False)


@router.get(SNIPPET_PATH, include_in_schema=False)
async def snippet() -> Response:
    """The script a method provider adds to its pages (static/snippet.js)."""
    return Response(
        snippet_js(),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )


def _allowed(site: SiteView, origin: str) -> bool:
    try:
        return site.allows_origin(normalize_origin(origin))
    except ValueError:  # "null" (a sandboxed frame, a file) or garbage
        return False


@functools.cache
def snippet_js() -> bytes:
    return resources.files("agents.http").joinpath("static/snippet.js").read_bytes()

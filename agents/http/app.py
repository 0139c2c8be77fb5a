"""The HTTP collector: upstream sites and channels post browse events; the terminal reads status."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from sqlalchemy import select

from agents.baskets.store import Basket
from agents.channels.spool import Spool
from agents.http import demo_site
from agents.http.publishing import publish_for_http
from agents.http.routes.channels import channels_router
from agents.http.routes.collector import collector_router
from agents.http.routes.terminal import STATIC as TERMINAL_STATIC
from agents.http.routes.terminal import terminal_router
from agents.http.sites import demo_site_key, ensure_demo_site
from agents.ordering.tables import Order
from agents.privacy.keys import vault_key
from agents.privacy.vault import Contact, Vault
from agents.quoting.tables import QuoteRound, ReceivedOffer
from agents.registry.providers import (
    DuplicateProvider,
    ProviderView,
    UnknownProvider,
    add_provider,
    get_provider,
    list_providers,
    set_enabled,
)
from schemas.envelope import new_envelope
from schemas.events import Channel, Component, MethodBrowsed, QuotePreferences
from schemas.providers import Provider, ProviderKind
from streams.codec import UndecodableEvent, decode, encode
from streams.persistence import Database
from streams.publishing import MAX_EVENT_BYTES, KafkaPublisher, Publisher, PublishFailed
from streams.settings import Settings
from streams.topics import Topic

SOURCE = "urn:kitting:gateway"
CHANNELS_SOURCE = "urn:kitting:channels"
SPOOL_EVENTS = uuid.UUID("d2a5f9d4-3c1b-4f62-9a0e-2b7f4e8c6a15")
log = logging.getLogger(__name__)


class BrowseRequest(BaseModel):
    url: str = Field(min_length=1, max_length=2000)
    html: str | None = Field(default=None, max_length=MAX_EVENT_BYTES)
    components: list[Component] | None = None
    quote: QuotePreferences | None = None


class Problem(BaseModel):
    """Every error answer: `detail` says what is wrong and how to fix it (a list for 422s on fields)."""

    detail: str | list[dict[str, Any]]


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": description}
    for status, description in (
        (400, "The body cannot be read (not JSON, or not the declared form)"),
        (401, "A key or token is missing or wrong"),
        (403, "Not allowed from here, or the basket's token does not fit"),
        (404, "Nothing there (yet)"),
        (409, "Not in a state that allows it (e.g. quotes were asked already)"),
        (413, "Too large"),
        (503, "The event bus or a dependency is unavailable: retry"),
    )
}


def create_app(
    settings: Settings, bootstrap_servers: str | None = None, publisher: Publisher | None = None
) -> FastAPI:
    """The HTTP service. It publishes through `publisher` (tests pass a fake), else through a Kafka
    producer on `bootstrap_servers` started with the app."""
    database = Database(settings.database_url)
    secret = vault_key(settings)
    vault = Vault(secret)
    demo_key = demo_site_key(secret)
    kafka = KafkaPublisher(bootstrap_servers) if publisher is None and bootstrap_servers else None
    bus: Publisher | None = publisher or kafka
    if bus is None:
        raise ValueError("create_app needs a publisher or the broker's bootstrap servers")

    async def publish_job(job: MethodBrowsed) -> None:
        """A job from another channel (fax, e-mail, text) onto method-browsed."""
        await send(encode(new_envelope(job, source=CHANNELS_SOURCE, subject=job.basket_id)), job.basket_id)

    async def spool_job(job: MethodBrowsed) -> None:
        assert bus is not None  # the spool leaves the file in place on any error, to retry it
        event_id = str(uuid.uuid5(SPOOL_EVENTS, job.basket_id))  # a file sent again is the same event
        envelope = new_envelope(job, source=CHANNELS_SOURCE, subject=job.basket_id, event_id=event_id)
        await bus.publish(Topic.METHOD_BROWSED, job.basket_id, encode(envelope))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if settings.demo_site:  # the demo upstream site's pages carry this key in their snippet tag
            with database.session() as session:
                ensure_demo_site(session, demo_key, [])
        if kafka is not None:
            await kafka.start()
        stop = asyncio.Event()
        spool = None
        if kafka is not None:  # a real run: read the fax server's spool folder too
            folder = settings.fax_spool_path
            spool = asyncio.create_task(Spool(folder, spool_job).run(settings.fax_spool_interval_s, stop))
            log.info("reading faxed jobs from %s", folder)
        try:
            yield
        finally:
            stop.set()
            if spool is not None:
                await spool
            if kafka is not None:
                await kafka.stop()
            database.engine.dispose()

    async def send(value: bytes, basket_id: str) -> None:
        assert bus is not None
        await publish_for_http(bus, Topic.METHOD_BROWSED, basket_id, value)

    app = FastAPI(
        title="Kitting",
        version="0.1.0",
        description="Kitting's HTTP API: the user terminal, the upstream collector, the other job channels "
        "(fax, e-mail, text), the provider registry and basket status.",
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
    )
    app.include_router(terminal_router(database, bus, vault))
    app.include_router(collector_router(database, bus, basket_token=vault.basket_token))
    app.mount("/terminal/static", StaticFiles(directory=str(TERMINAL_STATIC)), name="terminal-static")

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post(
        "/v1/events/method-browsed",
        status_code=202,
        responses={422: {"model": Problem, "description": "Not a valid method-browsed CloudEvent"}},
        openapi_extra={
            "requestBody": {
                "required": True,
                "description": "A CloudEvent (structured JSON) of type dev.kitting.method.browsed.v1; see "
                "schemas/json/ and docs/asyncapi.json",
                "content": {"application/cloudevents+json": {"schema": {"type": "object"}}},
            }
        },
    )
    async def post_cloudevent(request: Request) -> dict[str, str]:
        """A CloudEvent of type dev.kitting.method.browsed.v1, exactly as on the topic."""
        raw = await request.body()
        if len(raw) > MAX_EVENT_BYTES:
            raise HTTPException(413, f"event is {len(raw)} bytes; at most {MAX_EVENT_BYTES} are accepted")
        try:
            envelope = decode(raw, Topic.METHOD_BROWSED)
        except UndecodableEvent as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from None
        await send(raw, envelope.subject)
        return {"id": envelope.id, "basket_id": envelope.subject}

    @app.post("/v1/baskets", status_code=202)
    async def browse(body: BrowseRequest) -> dict[str, str]:
        """Start a basket from a page's HTML or a component list (or its address alone: the worker then
        fetches the page, public addresses only)."""
        basket_id = str(uuid.uuid4())
        data = MethodBrowsed(basket_id=basket_id, **body.model_dump(), channel=Channel.web, origin="api")
        envelope = new_envelope(data, source=SOURCE, subject=basket_id)
        await send(encode(envelope), basket_id)
        return {"id": envelope.id, "basket_id": basket_id}

    @app.get("/demo-site/components", include_in_schema=False)
    async def demo_site_components(url: str) -> Response:
        """The demo method provider's component-list endpoint (schemas/method_lists.py)."""
        listed = demo_site.component_list(url)
        if listed is None:
            raise HTTPException(404, f"the demo site has no component list for {url}")
        return Response(listed, media_type="application/json")

    @app.get("/demo-site/{page}", response_class=HTMLResponse, include_in_schema=False)
    async def demo_site_page(page: str) -> HTMLResponse:
        """The demo method provider's pages (recipes and DIY guides), carrying the snippet."""
        served = demo_site.served_page(page, demo_key)
        if served is None:
            raise HTTPException(404, f"no demo page {page!r}")
        return HTMLResponse(served)

    def registry_admin(request: Request) -> None:
        """Changing the registry, and personal data, take the admin token, or a loopback client when
        none is set."""
        token = settings.admin_token
        if token:
            if request.headers.get("authorization") != f"Bearer {token}":
                raise HTTPException(401, "give the admin token: Authorization: Bearer <KITTING_ADMIN_TOKEN>")
        elif request.client is None or request.client.host not in ("127.0.0.1", "::1"):
            raise HTTPException(403, "set KITTING_ADMIN_TOKEN to use this endpoint from another host")

    @app.get("/v1/providers")
    async def providers(kind: ProviderKind | None = None) -> list[ProviderView]:
        with database.session() as session:
            return list_providers(session, kind)

    @app.post("/v1/providers", status_code=201, dependencies=[Depends(registry_admin)])
    async def register_provider(body: Provider, replace: bool = False) -> ProviderView:
        try:
            with database.session() as session:
                return add_provider(session, body, replace=replace)
        except DuplicateProvider as exc:
            raise HTTPException(409, str(exc)) from None
        except UnknownProvider as exc:
            raise HTTPException(422, str(exc)) from None

    @app.get("/v1/providers/{provider_id}")
    async def provider(provider_id: str) -> ProviderView:
        try:
            with database.session() as session:
                return get_provider(session, provider_id)
        except UnknownProvider as exc:
            raise HTTPException(404, str(exc)) from None

    @app.post("/v1/providers/{provider_id}/disable", dependencies=[Depends(registry_admin)])
    async def disable_provider(provider_id: str) -> ProviderView:
        return _switch(provider_id, False)

    @app.post("/v1/providers/{provider_id}/enable", dependencies=[Depends(registry_admin)])
    async def enable_provider(provider_id: str) -> ProviderView:
        return _switch(provider_id, True)

    def _switch(provider_id: str, enabled: bool) -> ProviderView:
        try:
            with database.session() as session:
                return set_enabled(session, provider_id, enabled)
        except UnknownProvider as exc:
            raise HTTPException(404, str(exc)) from None

    @app.get("/v1/baskets/{basket_id}/offers")
    async def offers(basket_id: str) -> dict[str, Any]:
        """The offers as they arrived (late ones marked) and, once a round is decided, the selection."""
        with database.session() as session:
            rounds = session.scalars(
                select(QuoteRound).where(QuoteRound.basket_id == basket_id).order_by(QuoteRound.opened_at)
            ).all()
            received = session.scalars(
                select(ReceivedOffer)
                .where(ReceivedOffer.basket_id == basket_id)
                .order_by(ReceivedOffer.received_at, ReceivedOffer.provider_id)
            ).all()
            if not rounds and not received:
                raise HTTPException(404, f"no quote round for basket {basket_id} (yet)")
            return {
                "basket_id": basket_id,
                "rounds": [
                    {
                        "request_id": r.request_id, "status": r.status, "addressed": json.loads(r.addressed),
                        "deadline": r.deadline.isoformat(), "closed_by": r.closed_by,
                        "selection": json.loads(r.decision)["selected"] if r.decision else None,
                    }
                    for r in rounds
                ],
                "offers": [
                    {
                        "request_id": o.request_id, "provider_id": o.provider_id, "late": o.late,
                        "received_at": o.received_at.isoformat(), "answer_ms": o.answer_ms,
                        "offer": json.loads(o.offer_json),
                    }
                    for o in received
                ],
            }  # fmt: skip

    @app.post("/v1/customers", status_code=201, dependencies=[Depends(registry_admin)])
    async def add_customer(body: Contact) -> dict[str, str]:
        """Keep a person's contact data in the vault (encrypted); baskets then name only the ref."""
        with database.session() as session:
            return {"customer_ref": vault.store(session, body)}

    @app.get("/v1/baskets/{basket_id}/orders", dependencies=[Depends(registry_admin)])
    async def basket_orders(basket_id: str) -> list[dict[str, Any]]:
        """The basket's orders with their order, delivery and payment states; a pickup shows the code
        to give at the counter. Basket ids travel as event keys to every party, so this takes the
        admin token (or loopback) until the terminal has sessions of its own."""
        with database.session() as session:
            rows = session.scalars(
                select(Order).where(Order.basket_id == basket_id).order_by(Order.created_at)
            ).all()
            if not rows:
                raise HTTPException(404, f"no orders for basket {basket_id} (yet)")
            return [
                {
                    "order_id": o.order_id, "provider_id": o.provider_id, "status": o.status,
                    "reason": o.reason,
                    "delivery_method": o.delivery_method, "delivery": o.delivery_state,
                    "payment_method": o.payment_method, "payment": o.settlement_state,
                    "total": {"amount": format(o.total_amount, "f"), "currency": o.currency},
                    "replaces": o.replaces,
                    "pickup_code": vault.pickup_code(o.order_id) if o.delivery_method == "pickup" else None,
                }
                for o in rows
            ]  # fmt: skip

    @app.get("/v1/baskets/{basket_id}")
    async def basket(basket_id: str) -> dict[str, Any]:
        with database.session() as session:
            row = session.get(Basket, basket_id)
            if row is None:
                raise HTTPException(status_code=404, detail=f"no basket {basket_id} (yet)")
            return {
                "basket_id": row.basket_id,
                "url": row.url,
                "status": row.status,
                "reason": row.reason,
                "updated_at": row.updated_at.isoformat(),
            }

    app.include_router(channels_router(publish_job, registry_admin, vault.basket_token))
    return app


class _NoBus:
    async def publish(self, topic: Topic, key: str, value: bytes) -> None:
        raise PublishFailed("this app only documents the API")


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of the HTTP API (docs/openapi.json), from the app itself."""
    settings = Settings(vault_key=base64.b64encode(bytes(32)).decode(), database_url="sqlite://")
    document: dict[str, Any] = create_app(settings, publisher=_NoBus()).openapi()
    return document

"""The HTTP collector: upstream sites and channels post browse events; the terminal reads status."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any
from urllib.parse import urlparse

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from agents.baskets import Basket
from agents.coordinator.tables import QuoteRound, ReceivedOffer
from agents.ordering.tables import Order
from agents.privacy.keys import vault_key
from agents.privacy.vault import Contact, Vault
from agents.providers.registry import (
    DuplicateProvider,
    Provider,
    ProviderKind,
    ProviderView,
    UnknownProvider,
    add_provider,
    get_provider,
    list_providers,
    set_enabled,
)
from schemas.envelope import new_envelope
from schemas.events import Component, MethodBrowsed, QuotePreferences
from streams.codec import UndecodableEvent, decode, encode, encode_key
from streams.persistence import Database
from streams.settings import Settings
from streams.topics import Topic

SOURCE = "urn:kitting:gateway"
MAX_EVENT_BYTES = 900_000  # below Kafka's default 1 MiB message limit, envelope included
SEND_TIMEOUT_S = 10.0


class BrowseRequest(BaseModel):
    url: str = Field(min_length=1, max_length=2000)
    html: str | None = Field(default=None, max_length=MAX_EVENT_BYTES)
    components: list[Component] | None = None
    quote: QuotePreferences | None = None


DEMO_SITE = resources.files("streams.data").joinpath("site")


def _slug(url_or_name: str) -> str:
    slug = urlparse(url_or_name).path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".html")
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,80}", slug):
        raise HTTPException(404, f"no demo page for {url_or_name!r}")
    return slug


def create_app(settings: Settings, bootstrap_servers: str) -> FastAPI:
    database = Database(settings.database_url)
    vault = Vault(vault_key(settings))
    producers: list[AIOKafkaProducer] = []

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers, acks="all", request_timeout_ms=10_000
        )
        try:
            await producer.start()
        except BaseException:
            await producer.stop()
            raise
        producers.append(producer)
        try:
            yield
        finally:
            producers.clear()
            await producer.stop()
            database.engine.dispose()

    async def send(value: bytes, basket_id: str) -> None:
        if len(value) > MAX_EVENT_BYTES:
            raise HTTPException(413, f"event is {len(value)} bytes; at most {MAX_EVENT_BYTES} are accepted")
        try:
            await asyncio.wait_for(
                producers[0].send_and_wait(Topic.METHOD_BROWSED.topic_name, value, key=encode_key(basket_id)),
                SEND_TIMEOUT_S,
            )
        except (KafkaError, TimeoutError) as exc:
            raise HTTPException(
                503, f"the event bus did not take the event ({type(exc).__name__}); retry"
            ) from exc

    app = FastAPI(title="Kitting", version="0.1.0", lifespan=lifespan)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/events/method-browsed", status_code=202)
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
        """Start a basket from a page's HTML or a component list."""
        if body.html is None and not body.components:
            raise HTTPException(422, "give the page's html or a component list")
        basket_id = str(uuid.uuid4())
        data = MethodBrowsed(basket_id=basket_id, **body.model_dump())
        envelope = new_envelope(data, source=SOURCE, subject=basket_id)
        await send(encode(envelope), basket_id)
        return {"id": envelope.id, "basket_id": basket_id}

    @app.get("/demo-site/components")
    async def demo_site_components(url: str) -> Response:
        """The demo method provider's component-list endpoint (schemas/method_lists.py)."""
        listed = DEMO_SITE / "lists" / f"{_slug(url)}.json"
        if not listed.is_file():
            raise HTTPException(404, f"the demo site has no component list for {url}")
        return Response(listed.read_bytes(), media_type="application/json")

    @app.get("/demo-site/{page}", response_class=HTMLResponse)
    async def demo_site_page(page: str) -> HTMLResponse:
        """The demo method provider's pages (recipes and DIY guides)."""
        path = DEMO_SITE / f"{_slug(page)}.html"
        if not path.is_file():
            raise HTTPException(404, f"no demo page {page!r}")
        return HTMLResponse(path.read_text(encoding="utf-8"))

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

    return app

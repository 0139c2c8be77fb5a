"""The HTTP service: the user terminal, the upstream collector, the other job channels (fax, e-mail,
text), the provider registry and basket status. Each area is a router in agents/http/routes/; what
they work with (`Services`) is handed to them by dependency injection, so tests swap fakes in."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.middleware.trustedhost import TrustedHostMiddleware

from agents.channels.spool import Spool
from agents.http.guards import SameSiteWrites, allowed_hosts
from agents.http.limits import BodyLimit
from agents.http.problems import ERROR_RESPONSES
from agents.http.routes import baskets, channels, collector, demo_site, providers, terminal
from agents.http.services import Services
from agents.http.sites import SiteKeys, ensure_demo_site
from schemas.events import MethodBrowsed
from streams.publishing import KafkaPublisher, Publisher, PublishFailed
from streams.settings import Settings
from streams.topics import Topic

log = logging.getLogger(__name__)

ROUTERS: tuple[APIRouter, ...] = (
    terminal.router,
    collector.router,
    baskets.router,
    demo_site.router,
    providers.router,
    channels.router,
)


def demo_origins(settings: Settings) -> list[str]:
    """Where the demo site's pages are served: this service, by each name it answers to, and its public
    URL. The demo key is in every demo page, so it must not post pages of any other site."""
    origins = [f"http://{host}:{settings.http_port}" for host in allowed_hosts(settings) if "*" not in host]
    if settings.http_public_url:
        parts = urlsplit(settings.http_public_url)
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return origins


def create_app(
    settings: Settings, bootstrap_servers: str | None = None, publisher: Publisher | None = None
) -> FastAPI:
    """The HTTP service. It publishes through `publisher` (tests pass a fake), else through a Kafka
    producer on `bootstrap_servers` started with the app (which then also reads the spool folder)."""
    kafka = KafkaPublisher(bootstrap_servers) if publisher is None and bootstrap_servers else None
    bus = publisher or kafka
    if bus is None:
        raise ValueError("create_app needs a publisher or the broker's bootstrap servers")
    services = Services.of(settings, bus)
    app = FastAPIOffline(  # FastAPI with its /docs and /redoc pages served from the package, no CDN
        title="Kitting",
        version="0.1.0",
        description="Kitting's HTTP API: the user terminal, the upstream collector, the other job channels "
        "(fax, e-mail, text), the provider registry and basket status.",
        lifespan=_lifespan(services, kafka),
        responses=ERROR_RESPONSES,
    )
    app.state.services = services
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/terminal/static", StaticFiles(directory=str(terminal.STATIC)), name="terminal-static")
    hosts = allowed_hosts(settings)
    app.add_middleware(BodyLimit)
    app.add_middleware(SameSiteWrites, hosts=hosts, public_url=settings.http_public_url)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=hosts)  # outermost: checked first
    return app


def _lifespan(
    services: Services, kafka: KafkaPublisher | None
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start: the demo site's key, the Kafka producer, and (in a real run) the spool folder's reader.
    Stop: all of them, and the database's connections."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        settings, database = services.settings, services.database
        if settings.demo_site:  # the demo upstream site's pages carry this key in their snippet tag
            with database.session() as session:  # its key is public: it speaks for Kitting's own pages only
                ensure_demo_site(session, services.demo_key, demo_origins(settings))
        if kafka is not None:
            await kafka.start()
        stop = asyncio.Event()
        spool = None
        if kafka is not None:  # a real run: read the fax server's spool folder too
            folder = settings.fax_spool_path

            async def start_spooled(job: MethodBrowsed) -> None:
                await channels.start_spooled(services, job)

            spool = asyncio.create_task(Spool(folder, start_spooled).run(settings.fax_spool_interval_s, stop))
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

    return lifespan


class _NoBus:
    async def publish(self, topic: Topic, key: str, value: bytes) -> None:
        raise PublishFailed("this app only documents the API")


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of the HTTP API (docs/openapi.json), from the app itself."""
    settings = Settings(vault_key=base64.b64encode(bytes(32)).decode(), database_url="sqlite://")
    document: dict[str, Any] = create_app(settings, publisher=_NoBus()).openapi()
    return document


def collector_app(settings: Settings, bootstrap_servers: str, refresh_s: float = 5.0) -> FastAPI:
    """A FastAPI app with the collector alone and a Kafka publisher (the benchmark runs it)."""
    publisher = KafkaPublisher(bootstrap_servers)
    services = Services.of(settings, publisher)
    database = services.database
    services.site_keys = SiteKeys(database, refresh_s=refresh_s)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await publisher.start()
        try:
            yield
        finally:
            await publisher.stop()
            database.engine.dispose()

    app = FastAPI(title="Kitting collector", version="0.1.0", lifespan=lifespan)
    app.add_middleware(BodyLimit)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(settings))
    app.state.services = services
    app.include_router(collector.router)
    app.add_api_route("/health", baskets.health, methods=["GET"])
    return app

"""The one composition root: settings -> database -> the worker's Faust app with every role, or the HTTP
service. Plain imports only; nothing below this module knows which roles exist. Tests build their own
pieces, or register the same roles on a fake host (tests/fakes.py)."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import MetaData
from sqlalchemy.exc import IntegrityError

# every module that declares tables is imported here, so the metadata below is the whole schema
from agents.baskets import store as _baskets  # noqa: F401
from agents.extraction import agent as extraction
from agents.http import claims as _claims  # noqa: F401
from agents.http import sites as _sites  # noqa: F401
from agents.http.app import create_app
from agents.ordering import agent as ordering
from agents.ordering.handlers import Ordering
from agents.privacy import audit as _audit  # noqa: F401
from agents.privacy import vault as _vault  # noqa: F401
from agents.privacy.keys import vault_key
from agents.providers import agent as providers
from agents.providers.sdk import ProviderAdapter
from agents.quoting import agent as quoting
from agents.quoting.decisions import reselect
from agents.reference.entries import ACCOUNTING, COURIER, reference_providers
from agents.reference.faults import parse_faults
from agents.reference.hosted import ShopQuoter, reference_adapters, reference_quoters
from agents.registry.parties import Parties
from agents.registry.providers import ensure_registered
from streams.app import KittingApp, RoleHost
from streams.persistence import Base, Database
from streams.sandbox import Sandbox
from streams.settings import Settings


def register_roles(app: RoleHost) -> None:
    """Every role on one host: extraction, quoting, ordering, the providers' side (the webhook bridge and,
    unless switched off, the hosted reference providers)."""
    secret = vault_key(app.settings)
    app.pipeline.parties = Parties(app.database, secret)  # a party's events carry its signature
    extraction.register(app)
    quoting.register(app)
    ordering.register(app, reselect=reselect)
    hosted = (
        hosted_reference_providers(app.settings, app.database) if app.settings.reference_providers else []
    )
    providers.register(app, secret, hosted)


REFERENCE_COURIER = COURIER.provider_id  # the hosted reference parties a drill may silence
REFERENCE_ACCOUNTING = ACCOUNTING.provider_id


def ordering_saga(settings: Settings) -> Ordering:
    """The ordering saga's handlers, for an operator's command (`kitting ops retry`)."""
    return ordering.saga(settings, reselect)


def build_app(
    settings: Settings,
    bootstrap_servers: str,
    database: Database | None = None,
    sandbox: Sandbox | None = None,
) -> KittingApp:
    """The worker: a Faust app with every role registered (`sandbox`: where pages are read; default a
    process pool with limits)."""
    app = KittingApp(
        settings, bootstrap_servers, database or Database(settings.database_url, pre_ping=False), sandbox
    )
    register_roles(app)
    return app


def create_http_app(settings: Settings, bootstrap_servers: str) -> FastAPI:
    """The HTTP service: terminal, collector, channels, registry and basket status."""
    return create_app(settings, bootstrap_servers)


def schema() -> MetaData:
    """Every table of Kitting: the runtime's, the roles', the libraries', the edges' and the hosted
    reference providers' (what the migrations must build)."""
    return Base.metadata


def hosted_reference_providers(settings: Settings, database: Database) -> list[tuple[str, ProviderAdapter]]:
    """The reference providers this worker hosts, registered first (missing entries added, rotated keys
    refreshed); their keys derive from the vault key."""
    secret = vault_key(settings)
    register_reference_providers(database, secret)
    return reference_adapters(secret, database, parse_faults(settings.reference_faults))


def register_reference_providers(database: Database, secret: bytes) -> None:
    """Add the missing reference providers to the registry and refresh their public keys; two workers
    starting at once may race."""
    try:
        with database.session() as session:
            ensure_registered(session, reference_providers(secret))
    except IntegrityError:
        with database.session() as session:
            ensure_registered(session, reference_providers(secret))


def reference_shops() -> list[ShopQuoter]:
    """The reference shops for a dry run (`kitting quote`): each quotes from its catalog, in process."""
    return reference_quoters()

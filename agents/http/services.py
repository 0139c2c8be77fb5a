"""What the HTTP routes work with, handed to them by FastAPI's dependency injection: one `Services` per
app (kept in `app.state`), and the guards a route declares (`require_admin`). Tests build their own
`Services` with fakes in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from agents.http.guards import admin_token, token_fits
from agents.http.limits import StartLimits, StreamSlots
from agents.http.rate_limit import TokenBuckets
from agents.http.sites import SiteKeys, demo_site_key
from agents.privacy.keys import vault_key
from agents.privacy.vault import Vault, vault_of
from streams.persistence import Database
from streams.publishing import Publisher
from streams.settings import Settings


@dataclass
class Services:
    settings: Settings
    database: Database
    publisher: Publisher
    vault: Vault
    site_keys: SiteKeys  # the upstream sites' API keys, cached
    buckets: TokenBuckets  # the sites' rate limits
    demo_key: str  # the demo upstream site's API key
    vault_secret: bytes  # the vault key, which claims and other HTTP-side codes derive from
    streams: StreamSlots = field(default_factory=StreamSlots)  # live terminal streams, per client
    starts: StartLimits = field(default_factory=StartLimits)  # baskets started, per client and site
    _admin_token: str | None = None

    @property
    def admin_token(self) -> str:
        """The operator's token, read (or made) when first needed."""
        if self._admin_token is None:
            self._admin_token = admin_token(self.settings)
        return self._admin_token

    @classmethod
    def of(cls, settings: Settings, publisher: Publisher) -> Services:
        database = Database(settings.database_url)
        secret = vault_key(settings)
        return cls(
            settings,
            database,
            publisher,
            vault_of(settings),
            SiteKeys(database),
            TokenBuckets(),
            demo_site_key(secret),
            secret,
        )


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


ServicesDep = Annotated[Services, Depends(services)]


def require_admin(request: Request, services: ServicesDep) -> None:
    """Changing the registry, personal data and the job channels take the operator's token, from any
    host: KITTING_ADMIN_TOKEN, or the one `kitting up` keeps in var/admin.token."""
    if not token_fits(request.headers.get("authorization"), services.admin_token):
        raise HTTPException(
            401,
            "give the operator's token: Authorization: Bearer <token> (KITTING_ADMIN_TOKEN, or the one "
            "kept in var/admin.token)",
        )


ADMIN = [Depends(require_admin)]

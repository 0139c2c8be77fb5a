"""The provider registry over HTTP. Anyone may see who takes part (ids, names, kinds, what and where
they serve, health); their addresses and keys, and every change, take the operator's token. A webhook
provider's secret is answered to the operator when it registers and when its secret is rotated."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException

from agents.http.guards import token_fits
from agents.http.services import ADMIN, Services, ServicesDep
from agents.privacy.keys import vault_key
from agents.registry.providers import (
    DuplicateProvider,
    ProviderView,
    UnknownProvider,
    add_provider,
    get_provider,
    list_providers,
    rotate_secret,
    set_enabled,
    webhook_of,
)
from agents.registry.secrets import webhook_secret
from schemas.providers import Provider, ProviderKind

router = APIRouter()
HIDDEN = {"address", "public_key", "signing_key"}  # from anyone without the operator's token


class RegisteredProvider(ProviderView):
    webhook_secret: str | None = None  # what the webhook checks Kitting's calls with (see the SDK)


def _shown(view: ProviderView, operator: bool) -> dict[str, Any]:
    return view.model_dump(mode="json", exclude=None if operator else HIDDEN)


def _secret_of(services: Services, provider_id: str) -> str | None:
    with services.database.session() as session:
        hook = webhook_of(session, provider_id)
    if hook is None or hook.owner_id != provider_id:
        return None
    return webhook_secret(vault_key(services.settings), provider_id, hook.secret_generation)


@router.get("/v1/providers")
async def providers(
    services: ServicesDep,
    kind: ProviderKind | None = None,
    authorization: Annotated[str | None, Header(max_length=200)] = None,
) -> list[dict[str, Any]]:
    """Who takes part; addresses and keys only with the operator's token."""
    operator = token_fits(authorization, services.admin_token)
    with services.database.session() as session:
        return [_shown(view, operator) for view in list_providers(session, kind)]


@router.post("/v1/providers", status_code=201, dependencies=ADMIN)
async def register_provider(
    body: Provider, services: ServicesDep, replace: bool = False
) -> RegisteredProvider:
    """Register a provider; a webhook provider's answer carries its secret."""
    try:
        with services.database.session() as session:
            view = add_provider(session, body, replace=replace)
    except DuplicateProvider as exc:
        raise HTTPException(409, str(exc)) from None
    except UnknownProvider as exc:
        raise HTTPException(422, str(exc)) from None
    return RegisteredProvider(**view.model_dump(), webhook_secret=_secret_of(services, view.provider_id))


@router.post("/v1/providers/{provider_id}/rotate-secret", dependencies=ADMIN)
async def rotate_provider_secret(provider_id: str, services: ServicesDep) -> RegisteredProvider:
    """A new webhook secret for the provider; the old one stops working at once."""
    try:
        with services.database.session() as session:
            rotate_secret(session, provider_id)
            view = get_provider(session, provider_id)
    except UnknownProvider as exc:
        raise HTTPException(404, str(exc)) from None
    secret = _secret_of(services, provider_id)
    if secret is None:
        raise HTTPException(409, f"{provider_id} is not reached by a webhook of its own: it has no secret")
    return RegisteredProvider(**view.model_dump(), webhook_secret=secret)


@router.get("/v1/providers/{provider_id}")
async def provider(
    provider_id: str,
    services: ServicesDep,
    authorization: Annotated[str | None, Header(max_length=200)] = None,
) -> dict[str, Any]:
    """One provider; its address and keys only with the operator's token."""
    operator = token_fits(authorization, services.admin_token)
    try:
        with services.database.session() as session:
            return _shown(get_provider(session, provider_id), operator)
    except UnknownProvider as exc:
        raise HTTPException(404, str(exc)) from None


@router.post("/v1/providers/{provider_id}/disable", dependencies=ADMIN)
async def disable_provider(provider_id: str, services: ServicesDep) -> ProviderView:
    return _switch(services, provider_id, False)


@router.post("/v1/providers/{provider_id}/enable", dependencies=ADMIN)
async def enable_provider(provider_id: str, services: ServicesDep) -> ProviderView:
    return _switch(services, provider_id, True)


def _switch(services: ServicesDep, provider_id: str, enabled: bool) -> ProviderView:
    try:
        with services.database.session() as session:
            return set_enabled(session, provider_id, enabled)
    except UnknownProvider as exc:
        raise HTTPException(404, str(exc)) from None

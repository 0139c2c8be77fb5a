"""The provider registry over HTTP: anyone may read it; changing it takes the admin token."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from agents.http.services import ADMIN, ServicesDep
from agents.registry.providers import (
    DuplicateProvider,
    ProviderView,
    UnknownProvider,
    add_provider,
    get_provider,
    list_providers,
    set_enabled,
)
from schemas.providers import Provider, ProviderKind

router = APIRouter()


@router.get("/v1/providers")
async def providers(services: ServicesDep, kind: ProviderKind | None = None) -> list[ProviderView]:
    with services.database.session() as session:
        return list_providers(session, kind)


@router.post("/v1/providers", status_code=201, dependencies=ADMIN)
async def register_provider(body: Provider, services: ServicesDep, replace: bool = False) -> ProviderView:
    try:
        with services.database.session() as session:
            return add_provider(session, body, replace=replace)
    except DuplicateProvider as exc:
        raise HTTPException(409, str(exc)) from None
    except UnknownProvider as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/v1/providers/{provider_id}")
async def provider(provider_id: str, services: ServicesDep) -> ProviderView:
    try:
        with services.database.session() as session:
            return get_provider(session, provider_id)
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

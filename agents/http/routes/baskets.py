"""Baskets over the API: start one (from a page, a list, or a CloudEvent as it would go on the topic),
and read where it stands: its status, its offers and selection, its orders; keep a person's contact
data in the vault."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from agents.baskets.start import new_basket_id, start_basket, start_received_basket
from agents.http import read_model
from agents.http.problems import Problem
from agents.http.publishing import bus_answers
from agents.http.services import ADMIN, ServicesDep
from agents.privacy.vault import Contact
from schemas.events import Channel, Component, MethodBrowsed, QuotePreferences
from streams.codec import UndecodableEvent
from streams.publishing import MAX_EVENT_BYTES

SOURCE = "urn:kitting:gateway"

router = APIRouter()


class BrowseRequest(BaseModel):
    url: str = Field(min_length=1, max_length=2000)
    html: str | None = Field(default=None, max_length=MAX_EVENT_BYTES)
    components: list[Component] | None = None
    quote: QuotePreferences | None = None


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.post(
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
async def post_cloudevent(request: Request, services: ServicesDep) -> dict[str, str]:
    """A CloudEvent of type dev.kitting.method.browsed.v1, exactly as on the topic."""
    raw = await request.body()
    with bus_answers():
        try:
            event = await start_received_basket(services.publisher, raw)
        except UndecodableEvent as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from None
    return {"id": event.event_id, "basket_id": event.key}


@router.post("/v1/baskets", status_code=202)
async def browse(body: BrowseRequest, services: ServicesDep) -> dict[str, str]:
    """Start a basket from a page's HTML or a component list (or its address alone: the worker then
    fetches the page, public addresses only)."""
    job = MethodBrowsed(basket_id=new_basket_id(), **body.model_dump(), channel=Channel.web, origin="api")
    with bus_answers():
        event = await start_basket(services.publisher, job, source=SOURCE)
    return {"id": event.event_id, "basket_id": event.key}


@router.get("/v1/baskets/{basket_id}/offers")
async def offers(basket_id: str, services: ServicesDep) -> dict[str, Any]:
    """The offers as they arrived (late ones marked) and, once a round is decided, the selection."""
    with services.database.session() as session:
        view = read_model.offers_view(session, basket_id)
    if view is None:
        raise HTTPException(404, f"no quote round for basket {basket_id} (yet)")
    return view


@router.post("/v1/customers", status_code=201, dependencies=ADMIN)
async def add_customer(body: Contact, services: ServicesDep) -> dict[str, str]:
    """Keep a person's contact data in the vault (encrypted); baskets then name only the ref."""
    with services.database.session() as session:
        return {"customer_ref": services.vault.store(session, body)}


@router.get("/v1/baskets/{basket_id}/orders", dependencies=ADMIN)
async def basket_orders(basket_id: str, services: ServicesDep) -> list[dict[str, Any]]:
    """The basket's orders with their items, goods, delivery fee and total, and their order, delivery
    and payment states; a pickup shows the code
    to give at the counter. Basket ids travel as event keys to every party, so this takes the
    operator's token until the terminal has sessions of its own."""
    with services.database.session() as session:
        orders = read_model.orders_view(session, basket_id, services.vault)
    if not orders:
        raise HTTPException(404, f"no orders for basket {basket_id} (yet)")
    return orders


@router.get("/v1/baskets/{basket_id}")
async def basket(basket_id: str, services: ServicesDep) -> dict[str, Any]:
    with services.database.session() as session:
        view = read_model.basket_view(session, basket_id)
    if view is None:
        raise HTTPException(status_code=404, detail=f"no basket {basket_id} (yet)")
    return view

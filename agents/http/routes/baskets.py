"""Baskets over the API: start one (from a page, a list, or a CloudEvent as it would go on the topic),
and read where it stands: its status, its offers and selection, its orders; keep a person's contact
data in the vault.

Who may do what: anyone may start a basket that only reads a page; quoting and ordering for a person
takes that person's customer token (`X-Kitting-Customer-Token`, handed out with their customer
reference), never the reference alone. The server chooses basket and event ids. A basket is read with
its token (`?token=`, answered when it is started) or the operator's."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from pydantic import BaseModel, Field

from agents.baskets.start import new_basket_id, start_basket
from agents.http import read_model
from agents.http.guards import token_fits
from agents.http.page_address import PageAddress
from agents.http.problems import Problem
from agents.http.publishing import bus_answers
from agents.http.routes.collector import TERMINAL_PATH
from agents.http.services import Services, ServicesDep
from agents.http.sites import SITE_KEY_HEADER
from agents.privacy.vault import NewContact
from schemas.events import Channel, Component, MethodBrowsed, QuotePreferences
from streams.codec import UndecodableEvent, decode
from streams.publishing import MAX_EVENT_BYTES, check_size
from streams.topics import Topic

SOURCE = "urn:kitting:gateway"

router = APIRouter()


class BrowseRequest(BaseModel):
    url: PageAddress
    html: str | None = Field(default=None, max_length=MAX_EVENT_BYTES)
    components: list[Component] | None = None
    quote: QuotePreferences | None = None


class BasketStarted(BaseModel):
    id: str = Field(description="The id of the event that started the basket")
    basket_id: str
    token: str = Field(description="Reads this basket: `GET /v1/baskets/{basket_id}?token=…`")
    terminal_url: str = Field(
        description="The terminal page following this basket, for the person (a path on Kitting, with "
        "the token: hand it to the person the basket is for alone)"
    )


class Coverage(BaseModel):
    asked: int = Field(description="Lines asked of the shops")
    covered: int = Field(description="Lines the selection buys, substitutes included")
    substitutes: int = Field(description="Lines bought as a substitute")
    uncovered: int = Field(description="Lines no shop offered")


class Proposal(BaseModel):
    request_id: str
    status: str = Field(description="The quote round: open, or closed once decided")
    proposed: bool = Field(description="Shown to the person before anything is ordered")
    confirmed: bool = Field(description="The person confirmed it (or it needed no confirmation)")
    selection: dict[str, Any] | None = Field(
        description="The shops chosen, each line with its packs, cost and any substitute, the total"
    )
    amounts: dict[str, Any] | None = Field(description="The goods and delivery fees the total is made of")


class BasketView(BaseModel):
    basket_id: str
    url: str | None
    status: str
    reason: str | None = Field(description="Why the basket stands where it does, in words for the person")
    updated_at: str | None
    missing: list[dict[str, Any]] = Field(default_factory=list, description="What the finished kit lacks")
    title: str | None = None
    components: list[Component] | None = Field(
        default=None, description="What the method needs, once the page is read"
    )
    proposal: Proposal | None = Field(default=None, description="The latest quote round's selection")
    coverage: Coverage | None = Field(default=None, description="How much of the kit that selection covers")
    orders: list[dict[str, Any]] = Field(
        default_factory=list, description="Each order with its lines, amounts and states (as /orders)"
    )


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
async def post_cloudevent(
    request: Request,
    services: ServicesDep,
    customer_token: Annotated[str | None, Header(alias="X-Kitting-Customer-Token", max_length=64)] = None,
) -> BasketStarted:
    """A CloudEvent of type dev.kitting.method.browsed.v1 as on the topic. Its job is taken, under a
    basket id and an event id the server chooses (a client's own ids are not trusted); quoting for a
    person takes their customer token."""
    raw = await request.body()
    with bus_answers():  # too large: 413
        check_size(raw)
    try:
        received = decode(raw, Topic.METHOD_BROWSED)
    except UndecodableEvent as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    job = received.data
    if not isinstance(job, MethodBrowsed):
        raise HTTPException(422, "not a method-browsed event: send type dev.kitting.method.browsed.v1")
    # the server's own ids and attribution: a client cannot claim to be a site or a channel
    taken = {"basket_id": new_basket_id(), "site": None, "channel": Channel.web, "origin": "api"}
    return await _start(request, services, job.model_copy(update=taken), customer_token)


@router.post("/v1/baskets", status_code=202)
async def browse(
    body: BrowseRequest,
    request: Request,
    services: ServicesDep,
    customer_token: Annotated[str | None, Header(alias="X-Kitting-Customer-Token", max_length=64)] = None,
) -> BasketStarted:
    """Start a basket from a page's HTML or a component list (or its address alone: the worker then
    fetches the page, public addresses only). Quoting and ordering for a person (`quote`) takes their
    customer token. Answers the basket's id, the token to read it with and its terminal page."""
    job = MethodBrowsed(basket_id=new_basket_id(), **body.model_dump(), channel=Channel.web, origin="api")
    return await _start(request, services, job, customer_token)


async def _start(
    request: Request, services: Services, job: MethodBrowsed, customer_token: str | None
) -> BasketStarted:
    if job.quote is not None and not services.vault.customer_token_fits(
        job.quote.customer_ref, customer_token
    ):
        raise HTTPException(
            401,
            "quoting and ordering for a person takes their customer token (X-Kitting-Customer-Token), "
            "given with their customer reference when their details were stored",
        )
    fetched = job.html is None and not job.components and not job.text  # the worker fetches the page
    services.starts.check(request, job.url if fetched else None)
    if job.quote is not None:  # on the bus, the reference opens for this basket and Kitting alone
        concealed = services.vault.conceal(job.quote.customer_ref, job.basket_id)
        job = job.model_copy(update={"quote": job.quote.model_copy(update={"customer_ref": concealed})})
    with bus_answers():
        event = await start_basket(services.publisher, job, source=SOURCE)
    token = services.vault.basket_token(event.key)
    link = f"{TERMINAL_PATH}?{urlencode({'basket': event.key, 'token': token})}"
    return BasketStarted(id=event.event_id, basket_id=event.key, token=token, terminal_url=link)


def readable_basket(
    basket_id: str,
    services: ServicesDep,
    token: Annotated[str | None, Query(max_length=64)] = None,
    authorization: Annotated[str | None, Header(max_length=200)] = None,
) -> str:
    """The basket id, when the request may read it: with the basket's token or the operator's (its id
    travels to every party, so it is no secret)."""
    if token is not None and services.vault.basket_token_fits(basket_id, token):
        return basket_id
    if token_fits(authorization, services.admin_token):
        return basket_id
    raise HTTPException(403, "read a basket with its token (?token=, answered when it was started)")


ReadableBasket = Annotated[str, Depends(readable_basket)]


@router.get("/v1/baskets/{basket_id}/offers")
async def offers(basket_id: ReadableBasket, services: ServicesDep) -> dict[str, Any]:
    """The offers as they arrived (late ones marked) and, once a round is decided, the selection."""
    with services.database.session() as session:
        view = read_model.offers_view(session, basket_id)
    if view is None:
        raise HTTPException(404, f"no quote round for basket {basket_id} (yet)")
    return view


async def operator_or_site(
    request: Request,
    services: ServicesDep,
    authorization: Annotated[str | None, Header(max_length=200)] = None,
) -> None:
    """The operator, or an upstream site's server for its signed-in user (its site key in
    X-Kitting-Site-Key); a browser on another site is refused before this (no cross-site writes)."""
    if token_fits(authorization, services.admin_token):
        return
    key = request.headers.get(SITE_KEY_HEADER)
    site = await services.site_keys.alookup(key) if key and len(key) <= 200 else None
    if site is None or not site.enabled:
        raise HTTPException(
            401, f"give the operator's token (Authorization: Bearer …) or a site's key ({SITE_KEY_HEADER})"
        )


@router.post("/v1/customers", status_code=201, dependencies=[Depends(operator_or_site)])
async def add_customer(body: NewContact, services: ServicesDep) -> dict[str, str]:
    """Keep a person's contact data in the vault (encrypted): answers their customer reference, which
    baskets name, and their customer token, which quoting and ordering for them takes. The operator, or
    a site's server for its signed-in user, keeps the token for that person alone."""
    with services.database.session() as session:
        ref = services.vault.store(session, body)
    return {"customer_ref": ref, "customer_token": services.vault.customer_token(ref)}


@router.get("/v1/baskets/{basket_id}/orders")
async def basket_orders(basket_id: ReadableBasket, services: ServicesDep) -> list[dict[str, Any]]:
    """The basket's orders with their items, goods, delivery fee and total, and their order, delivery
    and payment states; a pickup shows the code to give at the counter."""
    with services.database.session() as session:
        orders = read_model.orders_view(session, basket_id, services.vault)
    if not orders:
        raise HTTPException(404, f"no orders for basket {basket_id} (yet)")
    return orders


@router.get("/v1/baskets/{basket_id}")
async def basket(basket_id: ReadableBasket, services: ServicesDep) -> BasketView:
    """Where a basket stands: its status and why, its components, the latest proposal with its coverage
    and money, its orders with their lines, and what is missing from its kit."""
    with services.database.session() as session:
        view = read_model.basket_view(session, basket_id, services.vault)
    if view is None:
        raise HTTPException(status_code=404, detail=f"no basket {basket_id} (yet)")
    return BasketView.model_validate(view)

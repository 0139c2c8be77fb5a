"""The user terminal's HTTP side: open a job-method page, follow the basket live (server-sent events),
ask for quotes with the person's own choices, then confirm the proposal (accepting substitutes line by
line) or choose shops by hand; try a failed basket again with other choices. Every basket call takes
the basket's token (handed to whoever opened it): basket ids travel to every party, the token only to
the person's browser."""

from __future__ import annotations

import asyncio
import functools
import html
import json
from collections.abc import AsyncIterator
from importlib import resources
from typing import Annotated, Any, TypeAlias

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.orm import Session

from agents.baskets.start import new_basket_id, start_basket
from agents.baskets.store import Basket, remember_preferences
from agents.http import demo_site, read_model
from agents.http.claims import ClaimRefused, redeem
from agents.http.limits import client_of
from agents.http.page_address import PageAddress
from agents.http.publishing import bus_answers
from agents.http.retries import retry_basket_id, retry_origin
from agents.http.services import Services, ServicesDep
from agents.privacy.contact_checks import Email, Phone
from agents.privacy.vault import Contact, UnknownCustomer, VaultKeyMismatch
from agents.quoting.routing import CATEGORY_OF_KIND
from agents.registry.providers import list_providers
from schemas.events import (
    Channel,
    Component,
    ComponentKind,
    ConfirmSelection,
    MethodBrowsed,
    PriorityProfile,
    QuoteOffered,
    QuotePreferences,
)
from schemas.providers import ProviderKind
from schemas.vocabulary import PAYMENT_RULES, DeliveryMethod, PaymentMethod, payment_problem
from streams.persistence import UnitOfWork
from streams.publishing import Outgoing, publish

SOURCE = "urn:kitting:terminal"
KIND_NAMES = {kind.value for kind in ComponentKind}
STATIC = resources.files("agents.http").joinpath("static", "terminal")  # its script and style sheet
TEMPLATE = resources.files("agents.http").joinpath("templates", "terminal.html")  # its page
STREAM_POLL_S = 0.5
STREAM_HEARTBEAT_S = 15.0
STREAM_MAX_S = 5 * 60.0
FINAL = ("completed", "completed-partially", "failed")


class OpenPage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: PageAddress


class Opened(BaseModel):
    basket_id: str
    token: str


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    street_address: str = Field(min_length=1, max_length=500)
    phone: Phone = Field(min_length=1, max_length=50)
    email: Email = Field(default=None, max_length=320)


class AskQuotes(BaseModel):
    """The person's choices: what they already have, servings, priorities, fulfilment and payment."""

    model_config = ConfigDict(extra="forbid")

    have: list[str] = Field(default_factory=list, max_length=500, description="line_ids already at hand")
    servings: int | None = Field(default=None, ge=1, le=1000)
    profile: PriorityProfile = Field(default_factory=PriorityProfile)
    delivery: DeliveryMethod = DeliveryMethod.courier
    payment: PaymentMethod = PaymentMethod.electronic
    region: str = Field(default="default", min_length=1, max_length=100)
    contact: ContactIn | None = Field(
        default=None,
        description="Contact for the delivery; may be left out on a basket that tries a failed one "
        "again, whose contact details (kept in the vault) are then used",
    )
    confirm: bool = Field(default=True, description="Show the proposal before anything is ordered")


LineId: TypeAlias = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Choose(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request_id: str = Field(min_length=1, max_length=200)
    providers: list[str] | None = Field(default=None, min_length=1, max_length=50)
    delivery: DeliveryMethod | None = None
    payment: PaymentMethod | None = None
    accept_substitutes: list[LineId] = Field(
        default_factory=list,
        max_length=500,
        description="The lines of the proposal whose substitute the person accepts; the other substitutes "
        "are not ordered",
    )


class CommandAccepted(BaseModel):
    basket_id: str
    event_id: str


router = APIRouter(tags=["terminal"])


def check_token(services: Services, basket_id: str, token: str) -> None:
    if not services.vault.basket_token_fits(basket_id, token):
        raise HTTPException(403, "this basket's token does not fit: open the page again from the terminal")


def snapshot(services: Services, basket_id: str) -> dict[str, Any]:
    with services.database.session() as session:
        return read_model.basket_snapshot(session, basket_id, services.vault)


@router.get("/", include_in_schema=False)
async def front_door() -> RedirectResponse:
    """Kitting's address alone leads to the terminal, where a person starts (anyone may)."""
    return RedirectResponse("/terminal/", status_code=307)


@router.get("/terminal/", response_class=HTMLResponse, include_in_schema=False)
async def terminal_page() -> HTMLResponse:
    return HTMLResponse(terminal_html())


@functools.cache
def terminal_html() -> str:
    """The terminal's page, with the payment choices the payment rules allow (schemas/vocabulary.py)."""
    page = TEMPLATE.read_text(encoding="utf-8")
    choices = "".join(
        f'            <div class="choice">\n'
        f'              <input type="radio" name="payment" id="payment-{method}" value="{method}"'
        f"{' checked' if index == 0 else ''}>\n"
        f'              <label for="payment-{method}">{html.escape(rule.choice)}</label>\n'
        f"            </div>\n"
        for index, (method, rule) in enumerate(PAYMENT_RULES.items())
    )
    rules = {
        method.value: {
            "short": rule.short,
            "fulfilments": sorted(rule.fulfilments),
            "unavailable": rule.unavailable,
        }
        for method, rule in PAYMENT_RULES.items()
    }
    data = json.dumps(rules).replace("<", "\\u003c")
    return page.replace("<!-- payment choices -->\n", choices).replace("<!-- payment rules -->", data)


@router.get("/v1/terminal/demo-pages")
async def list_demo_pages(request: Request) -> list[dict[str, str]]:
    """The demo site's recipe and DIY pages, to open from the terminal."""
    return demo_site.pages(str(request.base_url))


@router.get("/v1/terminal/regions")
async def regions(
    services: ServicesDep,
    kinds: Annotated[
        str | None,
        Query(
            max_length=100,
            pattern=r"^[a-z,]*$",
            description="The kit's component kinds, comma-separated (ingredient, supply, tool): only the "
            "regions where a shop sells some of them",
        ),
    ] = None,
) -> list[str]:
    """The delivery regions some enabled shop serves ("default" first)."""
    wanted = {CATEGORY_OF_KIND[ComponentKind(k)] for k in (kinds or "").split(",") if k in KIND_NAMES}
    with services.database.session() as session:
        served = _regions_selling(session, wanted)
    return sorted(served, key=lambda region: (region != "default", region))


class Shop(BaseModel):
    provider_id: str
    name: str


@router.get("/v1/terminal/shops")
async def shops(services: ServicesDep) -> list[Shop]:
    """The enabled shops by name, so a person names them as they know them ("Corner Grocer"). Anyone
    may read it: a shop's name is as public as its shopfront; nothing else of the registry is shown."""
    with services.database.session() as session:
        found = [p for p in list_providers(session, ProviderKind.component) if p.enabled]
    return sorted((Shop(provider_id=p.provider_id, name=p.name) for p in found), key=lambda shop: shop.name)


@router.post("/v1/terminal/open", status_code=202)
async def open_page(body: OpenPage, request: Request, services: ServicesDep) -> Opened:
    """Start a basket from a page's address: Kitting reads the page and extracts its components."""
    html = demo_site.own_page_html(body.url, str(request.base_url))
    services.starts.check(request, body.url if html is None else None)  # None: no page to fetch
    basket_id = new_basket_id()
    job = MethodBrowsed(basket_id=basket_id, url=body.url, html=html, channel=Channel.web, origin="terminal")
    with bus_answers():
        await start_basket(services.publisher, job, source=SOURCE)
    return Opened(basket_id=basket_id, token=services.vault.basket_token(basket_id))


class Claim(BaseModel):
    model_config = ConfigDict(extra="forbid")

    basket_id: str = Field(min_length=1, max_length=200)
    claim: str = Field(min_length=1, max_length=64)


@router.post("/v1/terminal/claim")
async def claim(body: Claim, services: ServicesDep) -> Opened:
    """Trade the claim of an upstream page's link for the basket's token, once."""
    with services.database.session() as session:
        try:
            redeem(session, services.vault_secret, body.basket_id, body.claim)
        except ClaimRefused as exc:
            raise HTTPException(409, str(exc)) from None
    return Opened(basket_id=body.basket_id, token=services.vault.basket_token(body.basket_id))


@router.get("/v1/terminal/baskets/{basket_id}")
async def basket_state(
    basket_id: str, token: Annotated[str, Query(max_length=64)], services: ServicesDep
) -> dict[str, Any]:
    """Everything the terminal shows about one basket (the stream sends the same, live)."""
    check_token(services, basket_id, token)
    return await asyncio.to_thread(snapshot, services, basket_id)


@router.get("/v1/terminal/baskets/{basket_id}/stream", response_class=StreamingResponse)
async def basket_stream(
    basket_id: str, token: Annotated[str, Query(max_length=64)], request: Request, services: ServicesDep
) -> StreamingResponse:
    """Server-sent events: `snapshot` whenever something changed; ends once the basket has ended, or
    after STREAM_MAX_S (the browser then opens it again). A few per client, a hundred in all."""
    check_token(services, basket_id, token)
    client = client_of(request)
    services.streams.take(client)

    async def events() -> AsyncIterator[str]:
        try:
            async for event in _events():
                yield event
        finally:
            services.streams.give_back(client)

    async def _events() -> AsyncIterator[str]:
        last, quiet, waited = "", 0.0, 0.0
        while waited < STREAM_MAX_S and not await request.is_disconnected():
            state = await asyncio.to_thread(snapshot, services, basket_id)
            text = json.dumps(state, separators=(",", ":"))
            if text != last:
                last, quiet = text, 0.0
                yield f"event: snapshot\ndata: {text}\n\n"
                if state["basket"]["status"] in FINAL and _settled(state):
                    return
            elif quiet >= STREAM_HEARTBEAT_S:
                quiet = 0.0
                yield ": still here\n\n"
            await asyncio.sleep(STREAM_POLL_S)
            quiet += STREAM_POLL_S
            waited += STREAM_POLL_S

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


@router.post("/v1/terminal/baskets/{basket_id}/quote", status_code=202)
async def ask_quotes(
    basket_id: str, token: Annotated[str, Query(max_length=64)], body: AskQuotes, services: ServicesDep
) -> CommandAccepted:
    """Ask the shops for quotes for the components the person still needs."""
    check_token(services, basket_id, token)
    problem = payment_problem(body.delivery, body.payment)
    if problem:
        raise HTTPException(422, problem)
    with services.database.session() as session:
        basket = session.get(Basket, basket_id, with_for_update=True)  # one request for quotes at a time
        if basket is None or basket.extraction is None:
            raise HTTPException(409, "the page is still being read: wait for its components")
        if basket.status != "extracted" or basket.preferences is not None:
            raise HTTPException(409, f"this basket is {basket.status}: quotes were asked already")
        extracted = json.loads(basket.extraction)
        components = [Component.model_validate(c) for c in extracted["components"]]
        unknown = sorted(set(body.have) - {c.line_id for c in components})
        if unknown:
            raise HTTPException(422, f"no component {', '.join(unknown)} in this basket")
        if len(body.have) == len(components):
            raise HTTPException(422, "nothing left to buy: every component is ticked as at hand")
        wanted = {CATEGORY_OF_KIND[c.kind] for c in components if c.line_id not in body.have}
        # some shop sells some of the kit there (else the router would find nobody to ask, and the basket
        # would fail after the person gave their details); shops the person leaves out are their choice
        if body.region not in _regions_selling(session, wanted):
            raise RequestValidationError(
                [{"type": "value_error", "loc": ("body", "region"), "input": body.region,
                  "msg": f"no shop delivers these components to {body.region}: choose another region"}]
            )  # fmt: skip
        ref = _customer_ref(services, session, basket, body)
        prefs = QuotePreferences(
            customer_ref=services.vault.conceal(ref, basket_id), region=body.region,
            delivery=body.delivery, payment=body.payment,
            have=[c.name for c in components if c.line_id in body.have], servings=body.servings,
            profile=body.profile, priority="cheapest", confirm=body.confirm,
        )  # fmt: skip
        job = MethodBrowsed(
            basket_id=basket_id, url=basket.url, components=components, quote=prefs,
            method_yield=extracted.get("method_yield"),
            channel=Channel(basket.channel) if basket.channel else None, origin=basket.origin,
        )  # fmt: skip
        # the choices stay with the basket from now on, also when no shop can be asked: a failed basket
        # is tried again from them. Published in this transaction: a refused publish keeps nothing.
        remember_preferences(UnitOfWork(session, SOURCE), basket_id, prefs)
        with bus_answers():
            event = await start_basket(
                services.publisher,
                job,
                source=SOURCE,
                event_id=services.vault.command_id("quote", basket_id),
            )
    return CommandAccepted(basket_id=basket_id, event_id=event.event_id)


@router.post("/v1/terminal/baskets/{basket_id}/selection", status_code=202)
async def choose(
    basket_id: str, token: Annotated[str, Query(max_length=64)], body: Choose, services: ServicesDep
) -> CommandAccepted:
    """Order the proposal as it stands, or from the shops chosen by hand."""
    check_token(services, basket_id, token)
    with services.database.session() as session:
        try:
            decision = read_model.decision_of(session, basket_id, body.request_id)
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from None
        if decision is None:
            raise HTTPException(409, "the shops are still answering: wait for the proposal")
        if decision.get("confirmed") or not decision["selected"].get("proposed"):
            raise HTTPException(409, "this selection is ordered already")
        prefs = QuotePreferences.model_validate(decision["preferences"])
        names = {p.provider_id: p.name for p in list_providers(session, ProviderKind.component)}
    delivery, payment = body.delivery or prefs.delivery, body.payment or prefs.payment
    problem = payment_problem(delivery, payment)
    if problem:
        raise HTTPException(422, problem)
    problem = _shops_problem(body.providers, decision["offers"], delivery, payment, names)
    problem = problem or _substitutes_problem(body.accept_substitutes, decision["selected"])
    if problem:
        raise HTTPException(422, problem)
    command = ConfirmSelection(basket_id=basket_id, **body.model_dump())
    with bus_answers():
        event = Outgoing.of(
            command, source=SOURCE, event_id=services.vault.command_id("confirm", body.request_id)
        )
        await publish(services.publisher, event)
    return CommandAccepted(basket_id=basket_id, event_id=event.event_id)


@router.post("/v1/terminal/baskets/{basket_id}/retry", status_code=202)
async def try_again(
    basket_id: str, token: Annotated[str, Query(max_length=64)], services: ServicesDep
) -> Opened:
    """Try a failed basket again with other choices: a new basket with the same components (the same
    page, title and channel), answered with its id and token. Its snapshot carries the failed basket's
    choices to start from, and its quote request may leave the contact out to use the one given there.
    Asking again is the same new basket."""
    check_token(services, basket_id, token)
    with services.database.session() as session:
        basket = session.get(Basket, basket_id)
        if basket is None:
            raise HTTPException(404, "no such basket: open the page again")
        if basket.status != "failed":
            raise HTTPException(
                409, f"this basket is {basket.status}: only a failed basket can be tried again"
            )
        extracted = json.loads(basket.extraction) if basket.extraction else {}
        components = [Component.model_validate(c) for c in extracted.get("components") or []]
        if not components:
            raise HTTPException(409, "this basket has no components to try again with: open the page again")
        url, channel = basket.url, basket.channel
    retry_id = retry_basket_id(basket_id)
    job = MethodBrowsed(
        basket_id=retry_id, url=url, components=components, method_yield=extracted.get("method_yield"),
        channel=Channel(channel) if channel else Channel.web, origin=retry_origin(basket_id),
    )  # fmt: skip
    with bus_answers():
        await start_basket(
            services.publisher, job, source=SOURCE, event_id=services.vault.command_id("retry", basket_id)
        )
    return Opened(basket_id=retry_id, token=services.vault.basket_token(retry_id))


def _regions_selling(session: Session, categories: set[str]) -> set[str]:
    """The regions where an enabled shop sells something of these categories (any category when none)."""
    shops = [p for p in list_providers(session, ProviderKind.component) if p.enabled]
    return {r for p in shops if not categories or set(p.categories) & categories for r in p.regions}


def _customer_ref(services: Services, session: Session, basket: Basket, body: AskQuotes) -> str:
    """The vault reference of the person's contact: the details given now, stored; or, on a basket that
    tries a failed one again, the ones given there (with the region chosen now)."""
    if body.contact is not None:
        return services.vault.store(session, Contact(**body.contact.model_dump(), region=body.region))
    ref = read_model.previous_customer_ref(session, services.vault, basket)
    if ref is None:
        raise HTTPException(422, "give your name, street address and phone number for the delivery")
    try:
        contact = services.vault.contact(session, ref)
    except (UnknownCustomer, VaultKeyMismatch):
        raise HTTPException(
            422, "the contact details you gave last time are no longer kept: give them again"
        ) from None
    if contact.region != body.region:
        services.vault.store(session, contact.model_copy(update={"region": body.region}), customer_ref=ref)
    return ref


def _shops_problem(
    chosen: list[str] | None,
    offers: list[dict[str, Any]],
    delivery: DeliveryMethod,
    payment: PaymentMethod,
    names: dict[str, str],
) -> str | None:
    """Why the shops chosen by hand cannot be ordered from as chosen, or None; shops by their names."""
    by_provider = {offer["provider_id"]: QuoteOffered.model_validate(offer) for offer in offers}
    unknown = sorted(set(chosen or []) - set(by_provider))
    if unknown:
        return f"no offer from {', '.join(unknown)}: choose among the shops that answered"
    paid = PAYMENT_RULES[payment].short if payment in PAYMENT_RULES else payment.value
    unfit = [
        provider_id
        for provider_id in chosen or []
        if payment not in by_provider[provider_id].payment_methods
        or all(option.method != delivery for option in by_provider[provider_id].delivery_options)
    ]
    if unfit:
        return (
            f"{', '.join(names.get(shop, shop) for shop in unfit)} cannot take the order as chosen "
            f"({delivery.value}, {paid}): choose among the shops that can, or another way of delivery and "
            "payment"
        )
    return None


def _substitutes_problem(accepted: list[str], proposal: dict[str, Any]) -> str | None:
    """Why the substitutes accepted are not ones the proposal shows, or None."""
    substitutes = {line["line_id"] for line in proposal.get("lines") or [] if line.get("substitute")}
    unknown = sorted(set(accepted) - substitutes)
    if unknown:
        return (
            f"no substitute for line {', '.join(unknown)} in this proposal: accept only the substitutes it "
            "shows"
        )
    return None


def _settled(state: dict[str, Any]) -> bool:
    """Nothing more will change: every order has come to rest too."""
    return all(o["status"] not in ("placed", "confirmed") for o in state["orders"])

"""The one read model of a basket, for every route that shows one: the basket itself, its quote rounds
and offers, its orders (with their items) and every state transition, and the terminal's whole
snapshot of them. Read from SQL in the caller's session; no contact data (pickup codes only, for the
person). Money is added up here, in decimals, never in the browser."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from agents.baskets.store import Basket
from agents.http.retries import retried_from
from agents.ordering.tables import Order, TimelineEntry
from agents.privacy.vault import NotIssued, Vault, VaultEntry
from agents.quoting.decisions import eta_minutes, profile_of
from agents.quoting.tables import QuoteRound, ReceivedOffer
from agents.registry.providers import ProviderRow
from schemas.events import OfferLine, QuoteOffered, QuotePreferences

Next = Literal[
    "wait-extraction",
    "choose-components",
    "wait-offers",
    "confirm-proposal",
    "wait-orders",
    "done",
    "failed",
]


# --- the queries --------------------------------------------------------------------------------------


def rounds_of(session: Session, basket_id: str) -> Sequence[QuoteRound]:
    return session.scalars(
        select(QuoteRound).where(QuoteRound.basket_id == basket_id).order_by(QuoteRound.opened_at)
    ).all()


def offers_of(session: Session, basket_id: str) -> Sequence[ReceivedOffer]:
    return session.scalars(
        select(ReceivedOffer)
        .where(ReceivedOffer.basket_id == basket_id)
        .order_by(ReceivedOffer.received_at, ReceivedOffer.provider_id)
    ).all()


def orders_of(session: Session, basket_id: str) -> Sequence[Order]:
    return session.scalars(select(Order).where(Order.basket_id == basket_id).order_by(Order.created_at)).all()


def timeline_of(session: Session, basket_id: str) -> Sequence[TimelineEntry]:
    return session.scalars(
        select(TimelineEntry).where(TimelineEntry.basket_id == basket_id).order_by(TimelineEntry.id)
    ).all()


def decision_of(session: Session, basket_id: str, request_id: str) -> dict[str, Any] | None:
    """A quote round's recorded decision (needs, offers, preferences, selection), or None while the
    round is undecided. Raises LookupError when the basket has no such round."""
    round_ = session.get(QuoteRound, request_id)
    if round_ is None or round_.basket_id != basket_id:
        raise LookupError(f"no quote round {request_id} for this basket")
    decision: dict[str, Any] | None = json.loads(round_.decision) if round_.decision else None
    return decision


def previous_customer_ref(session: Session, vault: Vault, basket: Basket) -> str | None:
    """The customer reference of the basket this one tries again (its contact stays in the vault), or
    None when it is no retry or the retried basket never got the person's choices."""
    previous = _retried_basket(session, basket)
    if previous is None or previous.preferences is None:
        return None
    concealed = QuotePreferences.model_validate_json(previous.preferences).customer_ref
    try:
        return vault.reveal(concealed, previous.basket_id)
    except NotIssued:
        return None


# --- what the API's basket routes show ------------------------------------------------------------


API_BASKET = ("basket_id", "url", "status", "reason", "updated_at", "missing")
API_PROPOSAL = ("request_id", "status", "proposed", "confirmed", "selection", "amounts")
API_ROUND = ("request_id", "status", "addressed", "deadline", "closed_by")
MAX_RETRY_CHAIN = 20  # how far back a retry's title is looked for


def _only(view: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: view[key] for key in keys}


def basket_view(session: Session, basket_id: str, vault: Vault) -> dict[str, Any] | None:
    """A basket as an API client builds on it: its status and why, its method's title and components,
    the latest quote round's proposal (its selection, coverage and money) and its orders with their
    lines; None when there is no such basket (yet)."""
    row = session.get(Basket, basket_id)
    if row is None:
        return None
    view = _only(_basket_view(row, basket_id), API_BASKET)
    method = _method_view(session, row)
    rounds = [_round_view(r) for r in rounds_of(session, basket_id)]
    latest = rounds[-1] if rounds else None
    view.update(
        title=method["title"] if method else None,
        components=method["components"] if method else None,
        proposal=None if latest is None else _only(latest, API_PROPOSAL),
        coverage=latest["coverage"] if latest else None,
        orders=orders_view(session, basket_id, vault),
    )
    return view


def offers_view(session: Session, basket_id: str) -> dict[str, Any] | None:
    """The offers as they arrived (late ones marked) and each round's selection once decided; None when
    the basket has no round and no offer (yet)."""
    rounds, received = rounds_of(session, basket_id), offers_of(session, basket_id)
    if not rounds and not received:
        return None
    return {
        "basket_id": basket_id,
        "rounds": [  # each with its first selection (a proposal, when the person confirms first)
            {**_only(view, API_ROUND), "selection": view["decided"]} for view in map(_round_view, rounds)
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


def orders_view(session: Session, basket_id: str, vault: Vault) -> list[dict[str, Any]]:
    """Each order with its items, amounts and order, delivery and payment states; a pickup shows its
    code."""
    names = _line_names(session.get(Basket, basket_id), rounds_of(session, basket_id))
    views = (_order_view(order, {}, vault, names) for order in orders_of(session, basket_id))
    return [{key: value for key, value in view.items() if key != "provider_name"} for view in views]


# --- the terminal's snapshot ------------------------------------------------------------------------


def basket_snapshot(session: Session, basket_id: str, vault: Vault) -> dict[str, Any]:
    """Everything the terminal shows about one basket: the method and its components, the person's
    choices (and, for a basket that tries a failed one again, the choices made there), each quote round
    with its offers and (proposed or final) selection, the orders with their items and every state
    transition, and what the person is to do next."""
    basket = session.get(Basket, basket_id)
    rounds = rounds_of(session, basket_id)
    offers = offers_of(session, basket_id)
    orders = orders_of(session, basket_id)
    timeline = timeline_of(session, basket_id)
    ids = {o.provider_id for o in offers} | {o.provider_id for o in orders}
    ids |= {o.carrier_id for o in orders if o.carrier_id}  # the courier, named in the timeline
    for round_ in rounds:
        ids.update(json.loads(round_.addressed))
    names = _provider_names(session, ids)
    line_names = _line_names(basket, rounds)
    prefs = (
        QuotePreferences.model_validate_json(basket.preferences) if basket and basket.preferences else None
    )
    round_views = [{k: v for k, v in _round_view(r).items() if k != "decided"} for r in rounds]
    method = _method_view(session, basket)
    return {
        "basket": _basket_view(basket, basket_id),
        "method": method,
        "preferences": prefs.model_dump(mode="json", exclude={"customer_ref"}) if prefs else None,
        "previous_choices": _previous_choices(session, vault, basket, method),
        "rounds": round_views,
        "offers": [_offer_view(o, names, prefs) for o in offers],
        "orders": [_order_view(o, names, vault, line_names) for o in orders],
        "timeline": [_timeline_view(t, orders) for t in timeline],
        "providers": names,
        "next": _next_step(basket, prefs, round_views),
    }


def _provider_names(session: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = session.execute(
        select(ProviderRow.provider_id, ProviderRow.name).where(ProviderRow.provider_id.in_(ids))
    ).all()
    found = {provider_id: name for provider_id, name in rows}
    return {provider_id: found.get(provider_id, provider_id) for provider_id in sorted(ids)}


def _line_names(basket: Basket | None, rounds: Iterable[QuoteRound]) -> dict[str, str]:
    """line_id: what the person calls it: the component's name, or the need's for merged lines."""
    names: dict[str, str] = {}
    if basket is not None and basket.extraction is not None:
        for component in json.loads(basket.extraction).get("components") or []:
            names[component["line_id"]] = component.get("name") or component.get("text") or ""
    for round_ in rounds:
        names.update({need["line_id"]: need["name"] for need in json.loads(round_.needs)})
    return names


def _line_name(line_id: str, names: dict[str, str]) -> str:
    return names.get(line_id) or " + ".join(names.get(part, part) for part in line_id.split("+"))


def _timeline_view(entry: TimelineEntry, orders: Any) -> dict[str, Any]:
    provider = next((o.provider_id for o in orders if o.order_id == entry.order_id), None)
    return {
        "order_id": entry.order_id, "provider_id": provider, "aspect": entry.aspect,
        "from": entry.from_state, "to": entry.to_state, "reason": entry.reason, "at": entry.at.isoformat(),
    }  # fmt: skip


def _basket_view(basket: Basket | None, basket_id: str) -> dict[str, Any]:
    if basket is None:
        return {"basket_id": basket_id, "url": None, "status": "pending", "reason": None, "channel": None,
                "origin": None, "updated_at": None, "missing": [], "retry_of": None}  # fmt: skip
    return {
        "basket_id": basket.basket_id, "url": basket.url, "status": basket.status, "reason": basket.reason,
        "channel": basket.channel, "origin": basket.origin, "updated_at": basket.updated_at.isoformat(),
        "missing": json.loads(basket.missing) if basket.missing else [],
        "retry_of": retried_from(basket.basket_id, basket.origin),
    }  # fmt: skip


def _method_view(session: Session, basket: Basket | None) -> dict[str, Any] | None:
    if basket is None or basket.extraction is None:
        return None
    extracted = json.loads(basket.extraction)
    keep = ("title", "method_kind", "method_yield", "source", "reason", "components")
    view = {key: extracted.get(key) for key in keep}
    if not view["title"]:  # a retry re-sends the list alone: the title is the first basket's
        view["title"] = _first_title(session, basket)
    return view


def _retried_basket(session: Session, basket: Basket) -> Basket | None:
    previous_id = retried_from(basket.basket_id, basket.origin)
    return session.get(Basket, previous_id) if previous_id else None


def _first_title(session: Session, basket: Basket) -> str | None:
    """The title of the page a chain of retries started from."""
    current: Basket | None = basket
    for _ in range(MAX_RETRY_CHAIN):
        current = _retried_basket(session, current) if current is not None else None
        if current is None or current.extraction is None:
            return None
        title: str | None = json.loads(current.extraction).get("title")
        if title:
            return title
    return None


def _previous_choices(
    session: Session, vault: Vault, basket: Basket | None, method: dict[str, Any] | None
) -> dict[str, Any] | None:
    """For a basket that tries a failed one again: the choices made there, to fill the form with (the
    contact details stay in the vault; `contact_kept` says whether they can be used again)."""
    previous = _retried_basket(session, basket) if basket is not None else None
    if previous is None or previous.preferences is None:
        return None
    prefs = QuotePreferences.model_validate_json(previous.preferences)
    asked = _asked_preferences(session, previous.basket_id) or prefs  # before shops were chosen by hand
    had = set(prefs.have)
    components = (method or {}).get("components") or []
    return {
        "basket_id": previous.basket_id,
        "have": [c["line_id"] for c in components if c.get("name") in had],
        "servings": prefs.servings,
        "profile": profile_of(asked).model_dump(mode="json"),
        "delivery": prefs.delivery.value,
        "payment": prefs.payment.value,
        "region": prefs.region,
        "contact_kept": _kept(session, vault, prefs.customer_ref, previous.basket_id),
    }


def _kept(session: Session, vault: Vault, concealed: str, basket_id: str) -> bool:
    try:
        return session.get(VaultEntry, vault.reveal(concealed, basket_id)) is not None
    except NotIssued:
        return False


def _asked_preferences(session: Session, basket_id: str) -> QuotePreferences | None:
    """The preferences a basket's first decided round was proposed with."""
    for round_ in rounds_of(session, basket_id):
        if round_.decision:
            decision = json.loads(round_.decision)
            asked = decision.get("proposed_preferences") or decision.get("preferences")
            return QuotePreferences.model_validate(asked) if asked else None
    return None


def _round_view(round_: QuoteRound) -> dict[str, Any]:
    """A round with the lines it asked for, its selection as it stands (the confirmed one once the person
    confirmed) with how many lines it covers and what its money is made of, and the selection it was
    first decided with (`decided`)."""
    decision = json.loads(round_.decision) if round_.decision else None
    decided = decision["selected"] if decision else None
    selection = (decision or {}).get("confirmed_selection") or decided
    needs = json.loads(round_.needs)
    return {
        "request_id": round_.request_id, "status": round_.status, "addressed": json.loads(round_.addressed),
        "deadline": round_.deadline.isoformat(), "closed_by": round_.closed_by,
        "proposed": bool(decided and decided.get("proposed")),
        "confirmed": bool(decision and decision.get("confirmed")),
        "lines": [{"line_id": need["line_id"], "name": need["name"]} for need in needs],
        "selection": selection,
        "coverage": _coverage(selection, len(needs)),
        "amounts": _amounts(selection),
        "decided": decided,
    }  # fmt: skip


def _coverage(selection: dict[str, Any] | None, asked: int) -> dict[str, int] | None:
    """How many of the lines asked for a selection covers, and how many of those by a substitute."""
    if selection is None:
        return None
    lines = selection.get("lines") or []
    return {
        "asked": asked,
        "covered": len({line["line_id"] for line in lines}),
        "substitutes": len({line["line_id"] for line in lines if line.get("substitute")}),
        "uncovered": len(selection.get("uncovered") or []),
    }


def _amounts(selection: dict[str, Any] | None) -> dict[str, Any] | None:
    """What a selection's total is made of: the goods and the delivery fees (the total is the
    selection's own, which includes the fees)."""
    total = (selection or {}).get("total")
    if selection is None or total is None:
        return None
    goods = sum((Decimal(line["cost"]["amount"]) for line in selection.get("lines") or []), Decimal(0))
    deliveries = selection.get("deliveries") or {}
    fees = sum(
        (
            Decimal(deliveries[p]["fee"]["amount"])
            for p in selection.get("providers") or []
            if p in deliveries
        ),
        Decimal(0),
    )
    currency = total["currency"]
    return {"goods": _money(goods, currency), "delivery": _money(fees, currency), "total": total}


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": format(amount, "f"), "currency": currency}


def _offer_view(row: ReceivedOffer, names: dict[str, str], prefs: QuotePreferences | None) -> dict[str, Any]:
    offer = QuoteOffered.model_validate_json(row.offer_json)
    asked = len(offer.lines) + len(offer.missing)
    wanted = [o for o in offer.delivery_options if prefs is None or o.method == prefs.delivery]
    return {
        "request_id": row.request_id, "provider_id": row.provider_id,
        "provider_name": names.get(row.provider_id, row.provider_id), "late": row.late,
        "received_at": row.received_at.isoformat(),
        "coverage": "part" if offer.missing else "all", "lines_offered": len(offer.lines),
        "lines_asked": asked, "missing": offer.missing,
        "price": offer.subtotal.model_dump(mode="json"),
        "eta_minutes": min((eta_minutes(o) for o in wanted or offer.delivery_options), default=None),
        "delivery_methods": sorted({o.method.value for o in offer.delivery_options}),
        "payment_methods": [m.value for m in offer.payment_methods],
    }  # fmt: skip


def _order_view(
    order: Order, names: dict[str, str], vault: Vault, line_names: dict[str, str]
) -> dict[str, Any]:
    return {
        "order_id": order.order_id, "provider_id": order.provider_id,
        "provider_name": names.get(order.provider_id, order.provider_id), "status": order.status,
        "delivery_method": order.delivery_method, "delivery": order.delivery_state,
        "payment_method": order.payment_method, "payment": order.settlement_state,
        "items": [_item_view(line, line_names) for line in order_lines(order)],
        "goods": _money(order.goods_amount, order.currency),
        "delivery_fee": _money(order.delivery_fee, order.currency),
        "total": _money(order.total_amount, order.currency),
        "pickup_code": vault.pickup_code(order.order_id) if order.delivery_method == "pickup" else None,
        "reason": order.reason, "replaces": order.replaces,
    }  # fmt: skip


def order_lines(order: Order) -> list[OfferLine]:
    """The lines an order holds now (a shop that refused some of them leaves the rest)."""
    return [OfferLine.model_validate(line) for line in json.loads(order.lines or "[]")]


def _item_view(line: OfferLine, names: dict[str, str]) -> dict[str, Any]:
    return {
        "line_id": line.line_id, "name": _line_name(line.line_id, names), "product": line.product,
        "sku": line.sku, "packs": line.packs, "pack": line.pack.model_dump(mode="json"),
        "unit_price": line.unit_price.model_dump(mode="json"), "cost": line.total.model_dump(mode="json"),
        "substitute": line.substitute,
    }  # fmt: skip


def _next_step(basket: Basket | None, prefs: QuotePreferences | None, rounds: list[dict[str, Any]]) -> Next:
    if basket is None:
        return "wait-extraction"
    if basket.status in ("completed", "completed-partially"):
        return "done"
    if basket.status == "failed":
        return "failed"
    if prefs is None:
        return "choose-components" if basket.extraction else "wait-extraction"
    if any(r["proposed"] and not r["confirmed"] for r in rounds):
        return "confirm-proposal"
    if basket.status == "ordering" or any(r["confirmed"] for r in rounds):
        return "wait-orders"
    if rounds and all(r["selection"] and not r["proposed"] for r in rounds):
        return "wait-orders"  # decided without asking (a quote sent with `confirm` false)
    return "wait-offers"

"""A quote round as the coordinator aggregates it in its windowed table: who was asked, until when, and
the offers received so far (the live view; decisions are made from SQL). Plain functions over a JSON-able
dict (the table's value); no Faust."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from schemas.events import QuoteOffered, QuoteRequested

RoundValue = dict[str, Any]
ClosedBy = Literal["all-answered", "deadline"]


def with_request(value: RoundValue | None, request: QuoteRequested, partition: int) -> RoundValue:
    """The round with one of its requests seen (every request names all providers of the round)."""
    value = dict(value or {})
    value.update(
        request_id=request.request_id,
        basket_id=request.basket_id,
        addressed=sorted(request.addressed),
        deadline=request.deadline.isoformat(),
        partition=partition,
    )
    value.setdefault("offers", {})
    return value


def with_offer(value: RoundValue | None, offer: QuoteOffered, partition: int, at: datetime) -> RoundValue:
    """The round with an offer added; the first offer of a provider counts (a repeat changes nothing)."""
    value = dict(value or {})
    value.setdefault("request_id", offer.request_id)
    value.setdefault("basket_id", offer.basket_id)
    value.setdefault("partition", partition)
    offers = dict(value.get("offers", {}))
    if offer.provider_id not in offers:
        offers[offer.provider_id] = {"offer": offer.model_dump(mode="json"), "received_at": at.isoformat()}
    value["offers"] = offers
    return value

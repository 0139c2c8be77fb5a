"""A quote round as the coordinator aggregates it in its windowed table: who was asked, until when, and
the offers received so far. Plain functions over a JSON-able dict (the table's value); no Faust."""

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


def due(value: RoundValue, now: datetime) -> ClosedBy | None:
    """Why the round can be decided now, or None while it waits (or before its requests are seen)."""
    if "addressed" not in value:
        return None  # offers arrived before the requests that opened the round
    if set(value["addressed"]) <= set(value["offers"]):
        return "all-answered"
    if datetime.fromisoformat(value["deadline"]) <= now:
        return "deadline"
    return None


def offers_of(value: RoundValue) -> list[QuoteOffered]:
    return [QuoteOffered.model_validate(entry["offer"]) for _, entry in sorted(value["offers"].items())]


def answer_ms(value: RoundValue, opened_at: datetime) -> dict[str, int]:
    """Per provider that answered, how long after the round opened."""
    return {
        provider: max(
            0, int((datetime.fromisoformat(entry["received_at"]) - opened_at).total_seconds() * 1000)
        )
        for provider, entry in value["offers"].items()
    }

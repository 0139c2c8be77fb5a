"""Choosing among offers. Plain functions: no broker, no database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from schemas.events import DeliveryOption, QuoteOffered, QuoteRequested
from schemas.values import Money


@dataclass(frozen=True)
class Choice:
    offer: QuoteOffered
    delivery: DeliveryOption
    total: Money


def offer_problem(offer: QuoteOffered, request: QuoteRequested, now: datetime) -> str | None:
    """Why an offer cannot be taken as it stands, or None. Totals are recomputed, never trusted."""
    if offer.provider_id not in request.addressed:
        return "from a provider that was not asked"
    if offer.valid_until <= now:
        return "expired"
    currencies = {offer.subtotal.currency} | {line.total.currency for line in offer.lines}
    if len(currencies) != 1:
        return "mixes currencies"
    for line in offer.lines:
        if line.total != line.unit_price.times(line.packs):
            return f"line {line.line_id} total is not packs x unit price"
    if (
        sum((line.total.amount for line in offer.lines), start=offer.subtotal.amount * 0)
        != offer.subtotal.amount
    ):
        return "subtotal is not the sum of its lines"
    offered = {line.line_id for line in offer.lines}
    if not all(line.line_id in offered for line in request.lines):
        return "does not cover every component"
    if request.payment not in offer.payment_methods:
        return f"does not take {request.payment.value}"
    return None


def cheapest_covering(request: QuoteRequested, offers: list[QuoteOffered], now: datetime) -> Choice | None:
    """The valid offer that supplies every line, in the asked delivery and payment, at the lowest total
    (in the request's currency: the first valid offer's; offers in other currencies are not compared)."""
    choices: list[Choice] = []
    for offer in offers:
        if offer_problem(offer, request, now) is not None:
            continue
        delivery = next((o for o in offer.delivery_options if o.method == request.delivery), None)
        if delivery is None or delivery.fee.currency != offer.subtotal.currency:
            continue
        choices.append(Choice(offer, delivery, offer.subtotal + delivery.fee))
    if not choices:
        return None
    currency = choices[0].total.currency
    comparable = [c for c in choices if c.total.currency == currency]
    return min(comparable, key=lambda c: (c.total.amount, c.offer.provider_id))

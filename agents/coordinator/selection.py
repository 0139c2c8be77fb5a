"""Choosing among offers. Plain functions: no broker, no database."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.events import DeliveryOption, QuoteOffered, QuoteRequested
from schemas.values import Money


@dataclass(frozen=True)
class Choice:
    offer: QuoteOffered
    delivery: DeliveryOption
    total: Money


def covers(offer: QuoteOffered, request: QuoteRequested) -> bool:
    offered = {line.line_id for line in offer.lines}
    return all(line.line_id in offered for line in request.lines)


def cheapest_covering(request: QuoteRequested, offers: list[QuoteOffered]) -> Choice | None:
    """The offer that supplies every line, in the asked delivery and payment, at the lowest total."""
    choices: list[Choice] = []
    for offer in offers:
        if not covers(offer, request) or request.payment not in offer.payment_methods:
            continue
        delivery = next((o for o in offer.delivery_options if o.method == request.delivery), None)
        if delivery is None or delivery.fee.currency != offer.subtotal.currency:
            continue
        choices.append(Choice(offer, delivery, offer.subtotal + delivery.fee))
    if not choices:
        return None
    return min(choices, key=lambda c: (c.total.amount, c.offer.provider_id))

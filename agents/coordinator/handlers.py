"""Coordinator: gathers the offers of a quote round, closes it when every addressed provider has
answered or its deadline passed, and places the order with the chosen provider."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import CursorResult, select, update

from agents.baskets import set_status
from agents.coordinator.selection import cheapest_covering
from agents.coordinator.tables import QuoteRound, ReceivedOffer
from agents.ordering.tables import Order
from schemas.envelope import Envelope
from schemas.events import BasketStatus, OrderPlaced, QuoteOffered, QuoteRequested
from streams.persistence import UnitOfWork, utcnow


def on_quote_requested(envelope: Envelope[Any], uow: UnitOfWork) -> None:
    request: QuoteRequested = envelope.data
    if uow.session.get(QuoteRound, request.request_id) is None:
        uow.session.add(
            QuoteRound(
                request_id=request.request_id,
                basket_id=request.basket_id,
                request_json=request.model_dump_json(),
                addressed=json.dumps(sorted(request.addressed)),
                deadline=request.deadline,
            )
        )
        uow.session.flush()
    close_if_answered(uow, request.request_id)


def on_quote_offered(envelope: Envelope[Any], uow: UnitOfWork) -> None:
    offer: QuoteOffered = envelope.data
    if uow.session.get(ReceivedOffer, (offer.request_id, offer.provider_id)) is None:
        uow.session.add(
            ReceivedOffer(
                request_id=offer.request_id,
                provider_id=offer.provider_id,
                basket_id=offer.basket_id,
                offer_json=offer.model_dump_json(),
            )
        )
        uow.session.flush()
    close_if_answered(uow, offer.request_id)


def close_if_answered(uow: UnitOfWork, request_id: str) -> None:
    round_ = uow.session.get(QuoteRound, request_id)
    if round_ is None or round_.status != "open":
        return  # offers may arrive before the request they answer; the request closes the round then
    answered = set(
        uow.session.scalars(select(ReceivedOffer.provider_id).where(ReceivedOffer.request_id == request_id))
    )
    if set(json.loads(round_.addressed)) <= answered:
        close_round(uow, request_id)


def close_due_rounds(uow: UnitOfWork) -> None:
    """Periodic: close every open round whose deadline has passed."""
    due = uow.session.scalars(
        select(QuoteRound.request_id).where(QuoteRound.status == "open", QuoteRound.deadline <= utcnow())
    ).all()
    for request_id in due:
        close_round(uow, request_id)


def close_round(uow: UnitOfWork, request_id: str) -> None:
    """Close the round once (a conditional update wins exactly once across workers) and order."""
    result: CursorResult[Any] = uow.session.execute(  # type: ignore[assignment]
        update(QuoteRound)
        .where(QuoteRound.request_id == request_id, QuoteRound.status == "open")
        .values(status="closed", closed_at=utcnow())
    )
    if result.rowcount != 1:
        return
    round_ = uow.session.get(QuoteRound, request_id)
    assert round_ is not None
    request = QuoteRequested.model_validate_json(round_.request_json)
    offers = [
        QuoteOffered.model_validate_json(row)
        for row in uow.session.scalars(
            select(ReceivedOffer.offer_json).where(ReceivedOffer.request_id == request_id)
        )
    ]
    choice = cheapest_covering(request, offers, utcnow())
    if choice is None:
        reason = (
            f"no offer covers every component ({len(offers)} of {len(request.addressed)} providers answered)"
        )
        set_status(uow, request.basket_id, BasketStatus.failed, reason)
        return
    order = OrderPlaced(
        basket_id=request.basket_id,
        order_id=str(uuid.uuid4()),
        request_id=request_id,
        provider_id=choice.offer.provider_id,
        lines=choice.offer.lines,
        delivery=choice.delivery,
        payment=request.payment,
        total=choice.total,
        customer_ref=request.customer_ref,
    )
    uow.session.add(
        Order(
            order_id=order.order_id,
            basket_id=order.basket_id,
            request_id=request_id,
            provider_id=order.provider_id,
            total_amount=order.total.amount,
            currency=order.total.currency,
            delivery_method=order.delivery.method.value,
            payment_method=order.payment.value,
            customer_ref=order.customer_ref,
            region=request.region,
        )
    )
    uow.emit(order)
    set_status(uow, request.basket_id, BasketStatus.ordering)

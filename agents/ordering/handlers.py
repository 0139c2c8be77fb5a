"""Ordering: follows each order through confirmation, delivery and settlement, and completes or
fails the basket."""

from __future__ import annotations

import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from agents.baskets import preferences_of, set_status
from agents.ordering.tables import Order, order_to_update
from schemas.envelope import Envelope
from schemas.events import (
    BasketStatus,
    DeliveryArranged,
    OfferLine,
    OrderConfirmed,
    OrderPlaced,
    ProvidersSelected,
    SelectedLine,
    SettlementCompleted,
)
from schemas.values import Money
from streams.handling import HandlerRejected
from streams.persistence import UnitOfWork


def order_line(line: SelectedLine) -> OfferLine:
    return OfferLine(
        line_id=line.line_id, sku=line.sku, product=line.product, pack=line.pack, packs=line.packs,
        unit_price=line.unit_price, total=line.cost, substitute=line.substitute,
    )  # fmt: skip


def on_providers_selected(envelope: Envelope[Any], uow: UnitOfWork) -> None:
    """Place one order per chosen provider, with its own lines only."""
    selected: ProvidersSelected = envelope.data
    if not selected.lines:
        return  # the coordinator already failed the basket and said why
    prefs = preferences_of(uow, selected.basket_id)
    if prefs is None:
        raise HandlerRejected(f"basket {selected.basket_id} has no quote preferences: it was never routed")
    lines_of: dict[str, list[SelectedLine]] = defaultdict(list)
    for line in selected.lines:
        lines_of[line.provider_id].append(line)
    for provider_id in sorted(lines_of):
        delivery = selected.deliveries[provider_id]
        goods = sum((line.cost.amount for line in lines_of[provider_id]), Decimal(0))
        total = Money(amount=goods + delivery.fee.amount, currency=delivery.fee.currency)
        order = OrderPlaced(
            basket_id=selected.basket_id, order_id=str(uuid.uuid4()), request_id=selected.request_id,
            provider_id=provider_id, lines=[order_line(line) for line in lines_of[provider_id]],
            delivery=delivery, payment=prefs.payment, total=total, customer_ref=prefs.customer_ref,
        )  # fmt: skip
        uow.session.add(
            Order(
                order_id=order.order_id, basket_id=order.basket_id, request_id=order.request_id,
                provider_id=provider_id, total_amount=total.amount, currency=total.currency,
                delivery_method=delivery.method.value, payment_method=prefs.payment.value,
                customer_ref=prefs.customer_ref, region=prefs.region,
            )
        )  # fmt: skip
        uow.emit(order)
    reason = None
    if selected.uncovered:
        reason = "not supplied by anyone: " + ", ".join(
            f"{line} ({selected.reasons.get(line, 'no offer')})" for line in selected.uncovered
        )
    set_status(uow, selected.basket_id, BasketStatus.ordering, reason)


def on_order_status(envelope: Envelope[Any], uow: UnitOfWork) -> None:
    order = order_to_update(uow.session, envelope.data.order_id)
    if isinstance(envelope.data, OrderConfirmed):
        order.status = "confirmed"
        complete_if_done(uow, order.basket_id)
    else:
        order.status = "rejected"
        set_status(
            uow,
            order.basket_id,
            BasketStatus.failed,
            f"{order.provider_id} rejected the order: {envelope.data.reason}",
        )


def on_delivery_status(envelope: Envelope[Any], uow: UnitOfWork) -> None:
    order = order_to_update(uow.session, envelope.data.order_id)
    if isinstance(envelope.data, DeliveryArranged):
        order.delivery_state = "arranged"
        complete_if_done(uow, order.basket_id)
    else:
        order.delivery_state = "failed"
        set_status(uow, order.basket_id, BasketStatus.failed, f"delivery failed: {envelope.data.reason}")


def on_settlement_status(envelope: Envelope[Any], uow: UnitOfWork) -> None:
    order = order_to_update(uow.session, envelope.data.order_id)
    if isinstance(envelope.data, SettlementCompleted):
        order.settlement_state = "completed"
        complete_if_done(uow, order.basket_id)
    else:
        order.settlement_state = "failed"
        set_status(uow, order.basket_id, BasketStatus.failed, f"settlement failed: {envelope.data.reason}")


def complete_if_done(uow: UnitOfWork, basket_id: str) -> None:
    uow.session.flush()
    orders = uow.session.scalars(select(Order).where(Order.basket_id == basket_id)).all()
    if orders and all(
        o.status == "confirmed" and o.delivery_state == "arranged" and o.settlement_state == "completed"
        for o in orders
    ):
        set_status(uow, basket_id, BasketStatus.completed)

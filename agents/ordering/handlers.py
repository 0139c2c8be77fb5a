"""Ordering: follows each order through confirmation, delivery and settlement, and completes or
fails the basket."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from agents.baskets import set_status
from agents.ordering.tables import Order, order_to_update
from schemas.envelope import Envelope
from schemas.events import (
    BasketStatus,
    DeliveryArranged,
    OrderConfirmed,
    SettlementCompleted,
)
from streams.persistence import UnitOfWork


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

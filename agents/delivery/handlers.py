"""Delivery: once a provider confirms an order, ask the right carrier (courier, the shop, or pickup)."""

from __future__ import annotations

import uuid
from typing import Any

from agents.baskets import set_status
from agents.ordering.tables import order_to_update
from agents.providers.registry import ProviderKind, providers_for
from schemas.envelope import Envelope
from schemas.events import BasketStatus, DeliveryMethod, DeliveryRequested, OrderConfirmed
from streams.persistence import UnitOfWork


class Delivery:
    def on_order_status(self, envelope: Envelope[Any], uow: UnitOfWork) -> None:
        if not isinstance(envelope.data, OrderConfirmed):
            return
        order = order_to_update(uow.session, envelope.data.order_id)
        if order.delivery_state != "none":
            return
        method = DeliveryMethod(order.delivery_method)
        if method is DeliveryMethod.courier:
            couriers = providers_for(uow.session, ProviderKind.delivery, order.region)
            if not couriers:
                order.delivery_state = "failed"
                set_status(
                    uow, order.basket_id, BasketStatus.failed, f"no courier serves region {order.region!r}"
                )
                return
            carrier_id = couriers[0].provider_id
        else:
            carrier_id = order.provider_id  # the shop delivers itself or hands over at its counter
        order.delivery_state = "requested"
        uow.emit(
            DeliveryRequested(
                basket_id=order.basket_id,
                delivery_id=str(uuid.uuid4()),
                order_id=order.order_id,
                provider_id=order.provider_id,
                carrier_id=carrier_id,
                method=method,
                parcels=order.parcels,
                region=order.region,
                recipient_ref=order.customer_ref,
            )
        )

"""Ordering agents: read providers-selected, order-status, delivery-status and settlement-status."""

from agents.ordering.handlers import (
    on_delivery_status,
    on_order_status,
    on_providers_selected,
    on_settlement_status,
)
from streams.app import KittingApp
from streams.topics import Topic


def register(app: KittingApp) -> None:
    app.consume(Topic.PROVIDERS_SELECTED, "ordering.selections", on_providers_selected)
    app.consume(Topic.ORDER_STATUS, "ordering.orders", on_order_status)
    app.consume(Topic.DELIVERY_STATUS, "ordering.deliveries", on_delivery_status)
    app.consume(Topic.SETTLEMENT_STATUS, "ordering.settlements", on_settlement_status)

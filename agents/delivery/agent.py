"""Delivery agent: reads order-status."""

from agents.delivery.handlers import Delivery
from agents.providers.registry import ProviderRegistry
from streams.app import KittingApp
from streams.topics import Topic


def register(app: KittingApp) -> None:
    app.consume(Topic.ORDER_STATUS, "delivery", Delivery(ProviderRegistry()).on_order_status)

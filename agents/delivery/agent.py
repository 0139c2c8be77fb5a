"""Delivery agent: reads order-status."""

from agents.delivery.handlers import Delivery
from streams.app import KittingApp
from streams.topics import Topic


def register(app: KittingApp) -> None:
    app.consume(Topic.ORDER_STATUS, "delivery", Delivery().on_order_status)

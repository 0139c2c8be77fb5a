"""Settlement agent: reads order-status."""

from agents.settlement.handlers import on_order_status
from streams.app import KittingApp
from streams.topics import Topic


def register(app: KittingApp) -> None:
    app.consume(Topic.ORDER_STATUS, "settlement", on_order_status)

"""The ordering saga's agents: providers-selected, order-status, delivery-status and settlement-status,
and a timer that acts on every state a party left waiting past its deadline (deadlines.py)."""

import logging
from collections.abc import Callable
from datetime import datetime

from agents.ordering.deadlines import Deadlines
from agents.ordering.handlers import Ordering, Reselect
from agents.privacy.vault import vault_of
from streams.app import RoleHost
from streams.settings import Settings
from streams.topics import Topic

TIMEOUT_SCAN_S = 1.0
log = logging.getLogger(__name__)


def saga(
    settings: Settings, reselect: Reselect, settled_since: Callable[[], datetime] | None = None
) -> Ordering:
    """The saga's handlers as this deployment configures them (also what an operator's command uses)."""
    return Ordering(vault_of(settings), Deadlines.of(settings), reselect, settled_since)


def register(app: RoleHost, reselect: Reselect) -> None:
    """`reselect`: quoting's next best offers for a failed order (agents/quoting/decisions.py)."""
    ordering = saga(app.settings, reselect, app.settled_since)
    app.consume(Topic.PROVIDERS_SELECTED, "ordering.selections", ordering.on_providers_selected)
    app.consume(Topic.ORDER_STATUS, "ordering.orders", ordering.on_order_status)
    app.consume(Topic.DELIVERY_STATUS, "ordering.deliveries", ordering.on_delivery_status)
    app.consume(Topic.SETTLEMENT_STATUS, "ordering.settlements", ordering.on_settlement_status)
    app.every(TIMEOUT_SCAN_S, "ordering.deadlines", app.in_unit_of_work(ordering.on_deadlines))

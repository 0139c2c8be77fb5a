"""The one topic registry. No other module spells a topic name.

Every topic is keyed by the basket id (the event's `subject`), so all events of one basket stay in
order on one partition.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from schemas import events as ev

DAY_MS = 24 * 60 * 60 * 1000
DEFAULT_PARTITIONS = 6  # the most workers that share a topic's work


@dataclass(frozen=True)
class TopicSpec:
    name: str
    description: str
    events: tuple[type[ev.EventData], ...]
    partitions: int = DEFAULT_PARTITIONS
    retention_ms: int = 7 * DAY_MS
    key: str = "basket id (the CloudEvent subject), UTF-8"
    changelog: bool = False  # a Faust table's changelog: compacted, not an event stream of the contract
    from_parties: bool = False  # written by providers: each event must carry its party's signature


class Topic(Enum):
    """Each member's value is its TopicSpec; `Topic.X.name_` is the Kafka topic name."""

    METHOD_BROWSED = TopicSpec("method-browsed", "A person browsed a job method page.", (ev.MethodBrowsed,))
    COMPONENTS_EXTRACTED = TopicSpec(
        "components-extracted",
        "The components a method needs, extracted from its page or its site's list.",
        (ev.ComponentsExtracted,),
    )
    QUOTE_REQUESTED = TopicSpec(
        "quote-requested", "One provider is asked to quote a basket's lines.", (ev.QuoteRequested,)
    )
    QUOTE_OFFERED = TopicSpec(
        "quote-offered", "A provider's offer, in its own packs.", (ev.QuoteOffered,), from_parties=True
    )
    PROVIDERS_SELECTED = TopicSpec(
        "providers-selected",
        "The coordinator's choice of providers for a quote round, every need in the providers' packs.",
        (ev.ProvidersSelected,),
    )
    CONFIRM_SELECTION = TopicSpec(
        "confirm-selection",
        "The person confirms a proposed selection, or chooses its providers by hand (a command).",
        (ev.ConfirmSelection,),
    )
    ORDER_PLACED = TopicSpec("order-placed", "An order sent to one chosen provider.", (ev.OrderPlaced,))
    ORDER_CANCELLED = TopicSpec(
        "order-cancelled", "Kitting withdraws an order from its provider.", (ev.OrderCancelled,)
    )
    DELIVERY_REQUESTED = TopicSpec(
        "delivery-requested",
        "Delivery asked of a courier, of the shop itself, or a pickup at the shop.",
        (ev.DeliveryRequested,),
    )
    SETTLEMENT_REQUESTED = TopicSpec(
        "settlement-requested",
        "Payment of one order asked of the accounting agent.",
        (ev.SettlementRequested,),
    )
    ORDER_STATUS = TopicSpec(
        "order-status",
        "Providers confirm or reject orders.",
        (ev.OrderConfirmed, ev.OrderRejected),
        from_parties=True,
    )
    DELIVERY_STATUS = TopicSpec(
        "delivery-status",
        "Progress of a delivery: arranged, collected at the shop, delivered or handed over, failed.",
        (ev.DeliveryArranged, ev.ParcelCollected, ev.ParcelDelivered, ev.DeliveryFailed),
        from_parties=True,
    )
    SETTLEMENT_STATUS = TopicSpec(
        "settlement-status",
        "Outcome of a settlement request.",
        (ev.SettlementCompleted, ev.SettlementFailed),
        from_parties=True,
    )
    ORDER_STATE = TopicSpec(
        "order-state",
        "Every transition of an order's state machine (order, delivery, payment); feeds the terminal.",
        (ev.OrderStateChanged,),
    )
    BASKET_STATUS = TopicSpec(
        "basket-status", "Where each basket stands; feeds the user terminal.", (ev.BasketStatusChanged,)
    )
    COORDINATOR_ROUNDS = TopicSpec(
        "coordinator-rounds-changelog",
        "Changelog of the coordinator's windowed table of quote rounds and their offers (Faust state).",
        (),
        key="quote round id (request_id), JSON",
        retention_ms=DAY_MS,
        changelog=True,
    )
    DEAD_LETTER = TopicSpec(
        "dead-letter",
        "Records that could not be decoded, validated or handled: original bytes, headers name the cause.",
        (),
        retention_ms=30 * DAY_MS,
    )

    @property
    def spec(self) -> TopicSpec:
        value: TopicSpec = self.value
        return value

    @property
    def topic_name(self) -> str:
        return self.spec.name


CONTRACT_TOPICS: tuple[Topic, ...] = (
    Topic.METHOD_BROWSED,
    Topic.COMPONENTS_EXTRACTED,
    Topic.QUOTE_REQUESTED,
    Topic.QUOTE_OFFERED,
    Topic.ORDER_PLACED,
    Topic.DELIVERY_REQUESTED,
    Topic.SETTLEMENT_REQUESTED,
)

TOPIC_OF_EVENT: dict[type[ev.EventData], Topic] = {
    model: topic for topic in Topic for model in topic.spec.events
}


def topic_for(data: ev.EventData) -> Topic:
    return TOPIC_OF_EVENT[type(data)]


def by_name(name: str) -> Topic:
    for topic in Topic:
        if topic.topic_name == name:
            return topic
    raise LookupError(f"unknown topic {name!r}; `kitting topics` lists them")


def topic_partitions(topic: Topic, override: int | None) -> int:
    """The partitions `topic` has: the override (KITTING_TOPIC_PARTITIONS) if set, else the registry's.
    Topics are created with it and tables declared with it, so a table lines up with its changelog."""
    return override if override else topic.spec.partitions

"""The provider adapter SDK: a provider in its own process takes part with a few decorated functions.

    adapter = ProviderAdapter("my-shop", bootstrap_servers="127.0.0.1:9092")

    @adapter.on_quote
    def quote(request: QuoteRequested) -> QuoteOffered | None: ...

    @adapter.on_order
    def order(order: OrderPlaced) -> OrderConfirmed | OrderRejected: ...

    asyncio.run(adapter.run())

A handler returns one answer, a list of answers (e.g. a courier's arranged, collected, delivered), or
None. The adapter consumes only the topics it has handlers for (quote-requested, order-placed,
order-cancelled, delivery-requested, settlement-requested) with its own consumer group, passes on only
the events addressed to it, and publishes each answer as a CloudEvent keyed by the basket id.
Delivery is at least once: an answer may be sent twice after a crash (Kitting ignores a repeated offer
from the same provider for the same round, and a repeated status); repeats seen by this process are
skipped.
`answers_to` is the framework-free core, usable in tests without a broker.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from schemas.envelope import Envelope
from schemas.events import (
    DeliveryRequested,
    EventData,
    OrderCancelled,
    OrderConfirmed,
    OrderPlaced,
    OrderRejected,
    QuoteOffered,
    QuoteRequested,
    SettlementRequested,
)
from streams.codec import UndecodableEvent, decode, encode, encode_key
from streams.signing import party_envelope, party_source
from streams.topics import Topic, topic_for

log = logging.getLogger(__name__)

Answers = EventData | list[EventData] | None
QuoteHandler = Callable[[QuoteRequested], QuoteOffered | None]
OrderHandler = Callable[[OrderPlaced], OrderConfirmed | OrderRejected | None]
CancelHandler = Callable[[OrderCancelled], Answers]
DeliveryHandler = Callable[[DeliveryRequested], Answers]
SettlementHandler = Callable[[SettlementRequested], Answers]
F = TypeVar("F")
REMEMBERED_EVENTS = 10_000


class ProviderAdapter:
    def __init__(
        self,
        provider_id: str,
        bootstrap_servers: str = "",
        group_id: str | None = None,
        default_accounting: bool = False,
        signing_key: str | None = None,
    ) -> None:
        """`signing_key`: the private half (base64) of the Ed25519 key whose public half the provider
        registered as its `signing_key`; Kitting refuses a party's events that it did not sign."""
        self.provider_id = provider_id
        self.signing_key = signing_key
        self.default_accounting = default_accounting  # also settles requests that name no agent
        self.bootstrap_servers = bootstrap_servers
        self.group_id = group_id or f"provider-{provider_id}"
        self.source = party_source(provider_id)
        self._quote: QuoteHandler | None = None
        self._order: OrderHandler | None = None
        self._delivery: DeliveryHandler | None = None
        self._cancel: CancelHandler | None = None
        self._settlement: SettlementHandler | None = None
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()

    # --- registering handlers ---
    def on_quote(self, handler: QuoteHandler) -> QuoteHandler:
        self._quote = handler
        return handler

    def on_order(self, handler: OrderHandler) -> OrderHandler:
        self._order = handler
        return handler

    def on_delivery(self, handler: DeliveryHandler) -> DeliveryHandler:
        """For a delivery service, or a provider that delivers itself or hands over at its shop."""
        self._delivery = handler
        return handler

    def on_cancel(self, handler: CancelHandler) -> CancelHandler:
        """Kitting withdrew an order of this provider (stop preparing it)."""
        self._cancel = handler
        return handler

    def on_settlement(self, handler: SettlementHandler) -> SettlementHandler:
        """For an accounting agent."""
        self._settlement = handler
        return handler

    @property
    def topics(self) -> list[Topic]:
        wanted: list[tuple[object, Topic]] = [
            (self._quote, Topic.QUOTE_REQUESTED),
            (self._order, Topic.ORDER_PLACED),
            (self._cancel, Topic.ORDER_CANCELLED),
            (self._delivery, Topic.DELIVERY_REQUESTED),
            (self._settlement, Topic.SETTLEMENT_REQUESTED),
        ]
        return [topic for handler, topic in wanted if handler is not None]

    # --- the core: one record in, the answers out ---
    def is_mine(self, data: EventData) -> bool:
        if isinstance(data, DeliveryRequested):
            return data.carrier_id == self.provider_id
        if isinstance(data, SettlementRequested):
            return data.agent_id == self.provider_id or (data.agent_id is None and self.default_accounting)
        if isinstance(data, OrderCancelled) and data.carrier_id == self.provider_id:
            return True
        return getattr(data, "provider_id", None) == self.provider_id

    def answer(self, envelope: Envelope[Any]) -> list[EventData]:
        """The provider's answers to one event; none when it is not addressed to it or says nothing."""
        data = envelope.data
        if not self.is_mine(data):
            return []
        handlers: list[tuple[type[EventData], Callable[[Any], Answers] | None]] = [
            (QuoteRequested, self._quote),
            (OrderPlaced, self._order),
            (OrderCancelled, self._cancel),
            (DeliveryRequested, self._delivery),
            (SettlementRequested, self._settlement),
        ]
        for kind, handler in handlers:
            if isinstance(data, kind) and handler is not None:
                answers = handler(data)
                if answers is None:
                    return []
                return list(answers) if isinstance(answers, list) else [answers]
        return []

    def answers_to(self, topic: Topic, value: bytes | None) -> list[tuple[Topic, bytes, bytes]]:
        """(topic, key, value) of each answer to publish for one consumed record. A record that does
        not decode is logged and skipped: Kitting's own consumers dead-letter it."""
        try:
            envelope = decode(value, topic)
        except UndecodableEvent as exc:
            log.warning("%s skipped an undecodable record on %s: %s", self.provider_id, topic.topic_name, exc)
            return []
        seen = (envelope.source, envelope.id)
        if seen in self._seen:
            return []
        answers = self.answer(envelope)
        self._remember(seen)
        return [
            (topic_for(out.data), encode_key(out.subject), encode(out)) for out in self.envelopes(answers)
        ]

    def envelopes(self, answers: list[EventData]) -> list[Envelope[Any]]:
        """Each answer in its envelope from this provider, signed with its key."""
        if answers and self.signing_key is None:
            log.warning("%s has no signing key: Kitting will refuse its answers", self.provider_id)
        return [party_envelope(answer, self.provider_id, self.signing_key) for answer in answers]

    def _remember(self, seen: tuple[str, str]) -> None:
        self._seen[seen] = None
        while len(self._seen) > REMEMBERED_EVENTS:
            self._seen.popitem(last=False)

    # --- running against Kafka ---
    async def run(self, stop: Any = None) -> None:
        """Consume and answer until `stop` (an asyncio.Event) is set or the task is cancelled."""
        from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

        names = {topic.topic_name: topic for topic in self.topics}
        consumer = AIOKafkaConsumer(
            *names,
            bootstrap_servers=self.bootstrap_servers,
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=6000,
            heartbeat_interval_ms=1000,
            fetch_max_wait_ms=100,
        )
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap_servers, acks="all")
        await producer.start()
        await consumer.start()
        try:
            while stop is None or not stop.is_set():
                batches = await consumer.getmany(timeout_ms=200)
                for records in batches.values():
                    for record in records:
                        for topic, key, value in self.answers_to(names[record.topic], record.value):
                            await producer.send_and_wait(topic.topic_name, value, key=key)
                if batches:
                    await consumer.commit()  # only after every answer of the batch was acknowledged
        finally:
            await consumer.stop()
            await producer.stop()

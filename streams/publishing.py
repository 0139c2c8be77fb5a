"""How an edge (the HTTP service, a command) puts an event on the bus outside a role's unit of work:
one `Publisher` protocol, the Kafka one for real runs and a recording one for tests (tests/fakes.py)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from schemas.envelope import new_envelope
from schemas.events import EventData
from streams.codec import MAX_EVENT_BYTES, encode, encode_key
from streams.topics import Topic, topic_for

SEND_TIMEOUT_S = 10.0


__all__ = [
    "MAX_EVENT_BYTES",
    "EventTooLarge",
    "Outgoing",
    "PublishFailed",
    "Publisher",
    "check_size",
    "publish",
]


class PublishFailed(Exception):
    """The bus did not take the event; the message says why (callers answer 503: retry)."""


class EventTooLarge(ValueError):
    """An event over MAX_EVENT_BYTES (callers answer 413)."""


def check_size(value: bytes) -> None:
    if len(value) > MAX_EVENT_BYTES:
        raise EventTooLarge(f"event is {len(value)} bytes; at most {MAX_EVENT_BYTES} are accepted")


class Publisher(Protocol):
    async def publish(self, topic: Topic, key: str, value: bytes) -> None:
        """Put one encoded event on `topic`, keyed by `key` (the basket id); raises PublishFailed."""
        ...


@dataclass(frozen=True)
class Outgoing:
    """One encoded event, ready for its topic: checked against the size limit when it was made."""

    topic: Topic
    key: str  # the basket id
    event_id: str
    value: bytes

    @classmethod
    def of(cls, data: EventData, *, source: str, event_id: str | None = None) -> Outgoing:
        """`data` in a fresh envelope from `source`; raises EventTooLarge."""
        envelope = new_envelope(data, source=source, subject=data.basket_id, event_id=event_id)
        value = encode(envelope)
        check_size(value)
        return cls(topic_for(data), data.basket_id, envelope.id, value)


async def publish(publisher: Publisher, event: Outgoing) -> None:
    """Put `event` on its topic; raises PublishFailed or EventTooLarge."""
    await publisher.publish(event.topic, event.key, event.value)


class KafkaPublisher:
    """An acks=all producer; concurrent publishes share its batches. (Not the idempotent producer:
    the embedded broker has no InitProducerId; consumers dedupe by event id anyway.)"""

    def __init__(self, bootstrap_servers: str) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.producer: AIOKafkaProducer | None = None  # made in start(): aiokafka wants a running loop

    async def start(self) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap_servers, acks="all", request_timeout_ms=10_000, linger_ms=2
        )
        try:
            await producer.start()
        except BaseException:
            await producer.stop()
            raise
        self.producer = producer

    async def stop(self) -> None:
        if self.producer is not None:
            await self.producer.stop()
            self.producer = None

    async def publish(self, topic: Topic, key: str, value: bytes) -> None:
        check_size(value)
        if self.producer is None:
            raise PublishFailed("the event bus connection is not started; retry")
        try:
            await asyncio.wait_for(
                self.producer.send_and_wait(topic.topic_name, value, key=encode_key(key)), SEND_TIMEOUT_S
            )
        except (KafkaError, TimeoutError) as exc:
            why = type(exc).__name__
            raise PublishFailed(f"the event bus did not take the event ({why}); retry") from exc

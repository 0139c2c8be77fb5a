"""The Faust app and the one way a role consumes a topic: decode, dead-letter what is bad, run the
plain handler once in a unit of work, send its outbox after the commit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import faust
from sqlalchemy.exc import OperationalError

from schemas.envelope import Envelope
from streams.codec import UndecodableEvent, decode
from streams.persistence import Database, PendingRecord, UnitOfWork, utcnow
from streams.settings import Settings
from streams.topics import Topic

log = logging.getLogger(__name__)

Handler = Callable[[Envelope[Any], UnitOfWork], None]
"""A role's handler: plain code, no Faust. It changes state through `uow.session` and emits events
with `uow.emit`. Raising `HandlerRejected` dead-letters the event with that reason."""

Filter = Callable[[Envelope[Any]], bool]
"""Which events a consumer wants, e.g. a shop only the quote requests addressed to it."""

DLQ_HEADER_TOPIC = "kitting-dlq-topic"
DLQ_HEADER_PARTITION = "kitting-dlq-partition"
DLQ_HEADER_OFFSET = "kitting-dlq-offset"
DLQ_HEADER_CONSUMER = "kitting-dlq-consumer"
DLQ_HEADER_ERROR = "kitting-dlq-error"

TRANSIENT_RETRIES = 5
OUTBOX_RELAY_AGE = timedelta(seconds=5)


class HandlerRejected(Exception):
    """The event is well formed but cannot be handled (e.g. refers to something unknown)."""


@dataclass(frozen=True)
class RawRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]


Producer = Callable[[Topic, bytes | None, bytes | None, list[tuple[str, bytes]]], Awaitable[None]]


class Pipeline:
    """Framework-free processing of one raw record; the Faust agent only feeds it."""

    def __init__(self, database: Database, produce: Producer, source: str) -> None:
        self.database = database
        self.produce = produce
        self.source = source
        self._sent_unmarked: list[int] = []

    async def process(
        self,
        record: RawRecord,
        topic: Topic,
        consumer: str,
        handler: Handler,
        *,
        when: Filter | None = None,
        reports_undecodable: bool = True,
    ) -> None:
        """Decode, run the handler once, send its events. Several consumers may read one topic: only the
        one that `reports_undecodable` dead-letters a record that does not decode, so it lands there once."""
        try:
            envelope = decode(record.value, topic)
        except UndecodableEvent as exc:
            if reports_undecodable:
                await self.dead_letter(record, consumer, str(exc))
            return
        if when is not None and not when(envelope):
            return
        pending: list[PendingRecord] | None = None
        for attempt in range(1, TRANSIENT_RETRIES + 1):
            try:
                pending = self.database.handle_once(consumer, envelope, self.source, handler)
                break
            except HandlerRejected as exc:
                await self.dead_letter(record, consumer, f"rejected by {consumer}: {exc}")
                return
            except OperationalError as exc:
                if attempt == TRANSIENT_RETRIES:
                    await self.dead_letter(record, consumer, f"database unavailable: {exc.orig}")
                    return
                log.warning("database error in %s (attempt %d): %s", consumer, attempt, exc.orig)
                await asyncio.sleep(0.2 * 2**attempt)
            except Exception as exc:
                log.exception("handler %s failed on %s", consumer, envelope.type)
                await self.dead_letter(record, consumer, f"{type(exc).__name__} in {consumer}: {exc}")
                return
        if pending:
            await self.send(pending)

    async def send(self, pending: Iterable[PendingRecord]) -> None:
        """Produce committed outbox records. Marking them sent is batched (see `relay_outbox`): a crash
        before the mark only means the relay sends them again, which idempotent consumers ignore."""
        for rec in pending:
            await self.produce(rec.topic, rec.key, rec.value, [])
            self._sent_unmarked.append(rec.outbox_id)

    async def relay_outbox(self) -> int:
        """Periodic: mark what was sent, then send what a crash left in the outbox (at least once)."""
        marked, self._sent_unmarked = self._sent_unmarked, []
        self.database.mark_sent(marked)
        pending = self.database.unsent(older_than=utcnow() - OUTBOX_RELAY_AGE)
        await self.send(pending)
        return len(pending)

    async def dead_letter(self, record: RawRecord, consumer: str, reason: str) -> None:
        log.warning("dead-lettered %s[%d]@%d: %s", record.topic, record.partition, record.offset, reason)
        headers = [
            *record.headers,
            (DLQ_HEADER_TOPIC, record.topic.encode()),
            (DLQ_HEADER_PARTITION, str(record.partition).encode()),
            (DLQ_HEADER_OFFSET, str(record.offset).encode()),
            (DLQ_HEADER_CONSUMER, consumer.encode()),
            (DLQ_HEADER_ERROR, reason.encode()[:4000]),
        ]
        await self.produce(Topic.DEAD_LETTER, record.key, record.value, headers)


def faust_broker_url(bootstrap_servers: str) -> str:
    return ";".join(f"kafka://{server.strip()}" for server in bootstrap_servers.split(",") if server.strip())


class KittingApp:
    """What a role registers with: `consume` a topic with a handler, run a periodic `every`."""

    def __init__(self, settings: Settings, bootstrap_servers: str, database: Database) -> None:
        self.settings = settings
        self.database = database
        self.faust = faust.App(
            settings.app_id,
            broker=faust_broker_url(bootstrap_servers),
            store="memory://",
            autodiscover=False,
            web_enabled=False,
            topic_partitions=settings.topic_partitions or 1,
            topic_allow_declare=False,
            broker_session_timeout=settings.broker_session_timeout_s,
            broker_heartbeat_interval=settings.broker_heartbeat_interval_s,
            producer_max_batch_size=settings.producer_max_batch_size,
            consumer_auto_offset_reset="earliest",
        )
        self._channels: dict[Topic, Any] = {}
        self._reporter_of: dict[Topic, str] = {}
        self.pipeline = Pipeline(database, self._produce, source=f"urn:kitting:{settings.app_id}")
        self.every(1.0, "outbox-relay", self.pipeline.relay_outbox)

    def channel(self, topic: Topic) -> Any:
        if topic not in self._channels:
            self._channels[topic] = self.faust.topic(
                topic.topic_name,
                key_type=bytes,
                value_type=bytes,
                key_serializer="raw",
                value_serializer="raw",
            )
        return self._channels[topic]

    async def _produce(
        self, topic: Topic, key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]]
    ) -> None:
        await self.faust.producer.send_and_wait(topic.topic_name, key, value, None, None, headers or None)

    def consume(self, topic: Topic, consumer: str, handler: Handler, when: Filter | None = None) -> None:
        """Register a Faust agent named `consumer` that runs `handler` once per event on `topic`
        (only for events that `when` accepts, if given: others are skipped without a transaction)."""
        pipeline = self.pipeline
        reports_undecodable = self._reporter_of.setdefault(topic, consumer) == consumer

        async def agent(stream: Any) -> None:
            async for event in stream.events():
                message = event.message
                record = RawRecord(
                    topic=message.topic,
                    partition=message.partition,
                    offset=message.offset,
                    key=message.key,
                    value=message.value,
                    headers=_headers(message.headers),
                )
                await pipeline.process(
                    record, topic, consumer, handler, when=when, reports_undecodable=reports_undecodable
                )

        agent.__name__ = consumer.replace(".", "_").replace("-", "_")
        self.faust.agent(self.channel(topic), name=consumer, concurrency=1)(agent)

    def every(self, seconds: float, name: str, job: Callable[[], Awaitable[Any]]) -> None:
        async def timer() -> None:
            try:
                await job()
            except Exception:
                log.exception("periodic job %s failed; it runs again in %.1fs", name, seconds)

        timer.__name__ = name.replace(".", "_").replace("-", "_")
        self.faust.timer(seconds, name=name)(timer)

    def in_unit_of_work(self, job: Callable[[UnitOfWork], None]) -> Callable[[], Awaitable[None]]:
        """Wrap a periodic decision so that its events go out through the outbox."""

        async def run() -> None:
            pending = self.database.run_job(self.pipeline.source, job)
            if pending:
                await self.pipeline.send(pending)

        return run


def _headers(raw: Any) -> list[tuple[str, bytes]]:
    if not raw:
        return []
    items = raw.items() if isinstance(raw, dict) else raw
    return [(str(k), v if isinstance(v, bytes) else str(v).encode()) for k, v in items]

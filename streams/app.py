"""The Faust app: one agent per registered consumer, feeding records to the framework-free Pipeline
(streams/handling.py), and timers for periodic jobs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from aiokafka.errors import KafkaError, KafkaTimeoutError

from schemas.envelope import Envelope
from streams.faust_transport import FaustApp
from streams.handling import (
    Filter,
    Handler,
    Pipeline,
    PoisonRecord,
    Prepare,
    ProducerItem,
    RawRecord,
    Subscription,
)
from streams.persistence import Database, UnitOfWork, utcnow
from streams.sandbox import ProcessSandbox, Sandbox
from streams.settings import Settings
from streams.state import FaustWindowedState, KeyedState, KeyTime
from streams.topics import DEFAULT_PARTITIONS, Topic, topic_partitions

Then = Callable[[Envelope[Any], RawRecord], Awaitable[None]]
"""Runs after the handler for every delivery of a valid event (repeats included), while the agent
handles it: where a role updates its Faust state. Must be idempotent."""

log = logging.getLogger(__name__)


def faust_broker_url(bootstrap_servers: str) -> str:
    return ";".join(f"kafka://{server.strip()}" for server in bootstrap_servers.split(",") if server.strip())


class RoleHost(Protocol):
    """What a role registers with: the worker's KittingApp, or a test's in-memory bus (tests/fakes.py)."""

    settings: Settings
    database: Database
    pipeline: Pipeline
    sandbox: Sandbox  # where heavy or untrusted work runs (streams/sandbox.py)

    def consume(
        self,
        topic: Topic,
        consumer: str,
        handler: Handler | None,
        when: Filter | None = None,
        prepare: Prepare | None = None,
        then: Then | None = None,
        concurrency: int = 1,
    ) -> None: ...

    def windowed_state(
        self, changelog: Topic, source: Topic, key_time: KeyTime, window: timedelta, expires: timedelta
    ) -> KeyedState: ...

    def every(self, seconds: float, name: str, job: Callable[[], Awaitable[Any]]) -> None: ...

    def in_unit_of_work(self, job: Callable[[UnitOfWork], None]) -> Callable[[], Awaitable[None]]: ...

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` beside the agents (e.g. a slow call that must not hold a partition back); it
        reports its own failures and publishes through `pipeline.run_job`."""
        ...

    def settled_since(self) -> datetime:
        """When this host last got its partitions: what waited in them since is Kitting's own backlog, so
        a deadline on a party counts from no earlier than this."""
        ...


class KittingApp:
    """What a role registers with: `consume` a topic with a handler, run a periodic `every`."""

    def __init__(
        self, settings: Settings, bootstrap_servers: str, database: Database, sandbox: Sandbox | None = None
    ) -> None:
        self.settings = settings
        self.database = database
        datadir = Path(settings.var_dir) / "faust" / settings.app_id
        datadir.parent.mkdir(parents=True, exist_ok=True)  # Faust makes only the last folder
        self.faust = FaustApp(
            settings.app_id,
            broker=faust_broker_url(bootstrap_servers),
            store="memory://",
            datadir=str(datadir),
            autodiscover=False,
            web_enabled=False,
            topic_partitions=settings.topic_partitions or DEFAULT_PARTITIONS,
            topic_allow_declare=False,
            broker_session_timeout=settings.broker_session_timeout_s,
            broker_heartbeat_interval=settings.broker_heartbeat_interval_s,
            producer_max_batch_size=settings.producer_max_batch_size,
            consumer_auto_offset_reset="earliest",
        )
        self.faust.fetch_max_wait_ms = settings.consumer_fetch_max_wait_ms
        self.faust.fetch_busy_wait_ms = settings.consumer_fetch_busy_wait_ms
        self._channels: dict[Topic, Any] = {}
        self._reporter_of: dict[Topic, str] = {}
        self.pipeline = Pipeline(
            database, self._produce, source=f"urn:kitting:{settings.app_id}", produce_many=self._produce_many
        )
        self.sandbox: Sandbox = sandbox or ProcessSandbox(
            settings.job_workers, settings.job_timeout_s, settings.job_memory_mb
        )
        self.every(1.0, "outbox-relay", self.pipeline.relay_outbox)
        self._spawned: set[asyncio.Task[None]] = set()
        self._settled = utcnow()
        self.faust.on_partitions_assigned.connect(self._assigned)

    async def _assigned(self, sender: Any, /, *_: Any, signal: Any, **__: Any) -> None:
        self._settled = utcnow()

    def settled_since(self) -> datetime:
        return self._settled

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._spawned.add(task)
        task.add_done_callback(self._spawned_done)

    def _spawned_done(self, task: asyncio.Task[None]) -> None:
        self._spawned.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background work failed: %s", task.exception())

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
        try:
            await self.faust.producer.send_and_wait(topic.topic_name, key, value, None, None, headers or None)
        except KafkaError as exc:
            classified = _classified(exc)
            if classified is exc:
                raise
            raise classified from exc

    async def _produce_many(self, items: list[ProducerItem]) -> list[BaseException | None]:
        """Queue every record with the producer first (so they leave in this order, in as few requests as
        it makes), then wait for the broker's answers. A record the producer cannot even queue because
        the broker is unreachable stops the queueing: the records behind get that failure untried."""
        self.faust.busy()  # what is produced here is often consumed here next
        queued: list[Awaitable[Any] | BaseException] = []
        for topic, key, value, headers in items:
            try:
                queued.append(
                    await self.faust.producer.send(topic.topic_name, key, value, None, None, headers or None)
                )
            except Exception as exc:
                failure = _classified(exc) if isinstance(exc, KafkaError) else exc
                if isinstance(failure, PoisonRecord):
                    queued.append(failure)
                    continue
                queued.extend([failure] * (len(items) - len(queued)))
                break
        outcomes: list[BaseException | None] = []
        for sent in queued:
            if isinstance(sent, BaseException):
                outcomes.append(sent)
                continue
            try:
                await sent
            except KafkaError as exc:
                outcomes.append(_classified(exc))
            except Exception as exc:
                outcomes.append(exc)
            else:
                outcomes.append(None)
        return outcomes

    def consume(
        self,
        topic: Topic,
        consumer: str,
        handler: Handler | None,
        when: Filter | None = None,
        prepare: Prepare | None = None,
        then: Then | None = None,
        concurrency: int = 1,
    ) -> None:
        """Register a Faust agent named `consumer` that runs `handler` once per event on `topic`
        (only for events that `when` accepts, if given: others are skipped without a transaction), and
        `then` after it. A consumer without a handler keeps no idempotency record. The records that have
        arrived together are handled as one batch (up to `consumer_batch_max`: one transaction, one
        outbox send), never waiting for more to come. With `concurrency`
        above 1, that many records are in hand at once (for slow `prepare` work such as reading pages);
        offsets are still committed only up to the first record not yet done."""
        pipeline = self.pipeline
        # lanes of one agent share its queue: one of them could see a record there that another then
        # takes, and wait for a record that never comes; so each lane handles one record at a time
        batch_max = self.settings.consumer_batch_max if concurrency == 1 else 1
        faust_app = self.faust
        reports_undecodable = self._reporter_of.setdefault(topic, consumer) == consumer
        subscription = Subscription(topic, consumer, handler, when, reports_undecodable, prepare)

        async def agent(stream: Any) -> None:
            manual = stream.noack()  # acked only once handled: a record in a batch is not done yet
            queue = manual.channel.queue
            faust_app.queues.append(queue)
            batch: list[Any] = []
            async for event in manual.events():
                batch.append(event)
                if len(batch) < batch_max and not queue.empty():
                    continue  # more records are already here: take them into this batch
                faust_app.in_hand += len(batch)
                try:
                    faust_app.busy()
                    records = [_raw(e.message) for e in batch]
                    envelopes = await pipeline.handle_batch(records, subscription)
                    if then is not None:
                        for envelope, record in zip(envelopes, records, strict=True):
                            if envelope is not None:
                                await then(envelope, record)
                    for done in batch:
                        await manual.ack(done)
                finally:
                    faust_app.in_hand -= len(batch)
                batch = []

        agent.__name__ = consumer.replace(".", "_").replace("-", "_")
        self.faust.agent(self.channel(topic), name=consumer, concurrency=concurrency)(agent)

    def windowed_state(
        self, changelog: Topic, source: Topic, key_time: KeyTime, window: timedelta, expires: timedelta
    ) -> FaustWindowedState:
        """A windowed table written by the agents of `source` (and topics co-partitioned with it)."""
        partitions = topic_partitions(changelog, self.settings.topic_partitions)  # as ensure_topics made it
        return FaustWindowedState(self.faust, changelog, source, key_time, window, expires, partitions)

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
            await self.pipeline.run_job(job)

        return run


def _raw(message: Any) -> RawRecord:
    return RawRecord(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=message.key,
        value=message.value,
        headers=_headers(message.headers),
    )


def _classified(exc: KafkaError) -> BaseException:
    """A retriable broker error as it is; one that sending again cannot fix as a PoisonRecord."""
    if exc.retriable or isinstance(exc, KafkaTimeoutError):
        return exc
    return PoisonRecord(f"the broker refused it ({type(exc).__name__})")


def _headers(raw: Any) -> list[tuple[str, bytes]]:
    if not raw:
        return []
    items = raw.items() if isinstance(raw, dict) else raw
    return [(str(k), v if isinstance(v, bytes) else str(v).encode()) for k, v in items]

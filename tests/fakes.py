"""Fakes for tests: an in-memory bus that runs the real Pipeline and the roles' real handlers and
wiring without a broker: every produced record is delivered to the consumers of its topic."""

from __future__ import annotations

import asyncio
import base64
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from agents.composition import register_roles
from streams.app import Then
from streams.handling import DLQ_HEADER_ERROR, Filter, Handler, Pipeline, Prepare, RawRecord, Subscription
from streams.persistence import Database, UnitOfWork, utcnow
from streams.sandbox import InlineSandbox, Sandbox
from streams.settings import Settings
from streams.state import KeyTime, MemoryState
from streams.topics import Topic

TEST_VAULT_KEY = base64.b64encode(bytes(range(32))).decode()


class InMemoryBus:
    """Offers the KittingApp surface roles register with (`consume`, `every`, `in_unit_of_work`)."""

    def __init__(self, database: Database, settings: Settings | None = None) -> None:
        self.settings = settings or Settings(quote_deadline_s=60, vault_key=TEST_VAULT_KEY)
        self.database = database
        self.pipeline = Pipeline(database, self._produce, source="urn:test")
        self.sandbox: Sandbox = InlineSandbox()
        self.consumers: dict[Topic, list[Subscription]] = {}
        self.jobs: dict[str, Callable[[], Awaitable[Any]]] = {}
        self.log: list[RawRecord] = []
        self._queue: list[tuple[Topic, RawRecord]] = []
        self.thens: dict[str, Then] = {}
        self.states: dict[Topic, MemoryState] = {}
        self._spawned: list[Coroutine[Any, Any, None]] = []
        self.settled = utcnow()  # when its "partitions" were assigned: deadlines count from no earlier

    # --- the KittingApp surface ---
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
        first = topic not in self.consumers
        self.consumers.setdefault(topic, []).append(
            Subscription(topic, consumer, handler, when, first, prepare)
        )
        if then is not None:
            self.thens[consumer] = then

    def windowed_state(
        self, changelog: Topic, source: Topic, key_time: KeyTime, window: timedelta, expires: timedelta
    ) -> MemoryState:
        state = MemoryState()
        self.states[changelog] = state
        return state

    def every(self, seconds: float, name: str, job: Callable[[], Awaitable[Any]]) -> None:
        self.jobs[name] = job

    def in_unit_of_work(self, job: Callable[[UnitOfWork], None]) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            await self.pipeline.run_job(job)

        return run

    def settled_since(self) -> datetime:
        return self.settled

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run beside the consumers: here, awaited before a drain ends (concurrently with each other)."""
        self._spawned.append(work)

    # --- driving it ---
    def register_roles(self) -> InMemoryBus:
        register_roles(self)
        return self

    async def _produce(
        self, topic: Topic, key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]]
    ) -> None:
        record = RawRecord(topic.topic_name, 0, len(self.log), key, value, list(headers))
        self.log.append(record)
        self._queue.append((topic, record))

    async def _drain(self) -> None:
        while self._queue or self._spawned:
            while self._queue:
                topic, record = self._queue.pop(0)
                for subscription in self.consumers.get(topic, []):
                    envelope = await self.pipeline.process(record, subscription)
                    then = self.thens.get(subscription.consumer)
                    if envelope is not None and then is not None:
                        await then(envelope, record)
            spawned, self._spawned = self._spawned, []
            await asyncio.gather(*spawned)

    def publish(self, topic: Topic, key: bytes, value: bytes | None) -> None:
        async def go() -> None:
            await self._produce(topic, key, value, [])
            await self._drain()

        asyncio.run(go())

    def run_job(self, name: str) -> None:
        async def go() -> None:
            await self.jobs[name]()
            await self._drain()

        asyncio.run(go())

    def counts(self) -> Counter[str]:
        return Counter(record.topic for record in self.log)

    def values(self, topic: Topic) -> list[bytes]:
        return [r.value or b"" for r in self.log if r.topic == topic.topic_name]

    @property
    def dead(self) -> list[tuple[RawRecord, str]]:
        return [
            (r, dict(r.headers)[DLQ_HEADER_ERROR].decode())
            for r in self.log
            if r.topic == Topic.DEAD_LETTER.topic_name
        ]


class RecordingPublisher:
    """A Publisher for tests: keeps what would have gone on the bus; `fail` makes it refuse."""

    def __init__(self) -> None:
        self.sent: list[tuple[Topic, str, bytes]] = []
        self.fail: str | None = None

    async def publish(self, topic: Topic, key: str, value: bytes) -> None:
        from streams.publishing import PublishFailed, check_size

        check_size(value)
        if self.fail:
            raise PublishFailed(self.fail)
        self.sent.append((topic, key, value))


TEST_HOSTS = "testserver,localhost"  # the Host names Starlette's and schemathesis's test clients send

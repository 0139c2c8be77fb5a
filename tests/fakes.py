"""Fakes for tests: an in-memory bus that runs the roles' real handlers without a broker."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from streams.app import Filter, Handler, HandlerRejected, RawRecord
from streams.codec import UndecodableEvent, decode
from streams.composition import load_roles
from streams.persistence import Database, PendingRecord, UnitOfWork
from streams.settings import Settings
from streams.topics import Topic


class InMemoryBus:
    """Registers roles like KittingApp does and delivers every emitted record to its consumers."""

    def __init__(self, database: Database, settings: Settings | None = None) -> None:
        self.settings = settings or Settings(quote_deadline_s=60)
        self.database = database
        self.consumers: dict[Topic, list[tuple[str, Handler, Filter | None]]] = {}
        self.jobs: dict[str, Callable[[], Awaitable[Any]]] = {}
        self.log: list[RawRecord] = []
        self.dead: list[tuple[RawRecord, str]] = []

    # --- the KittingApp surface roles use ---
    def consume(self, topic: Topic, consumer: str, handler: Handler, when: Filter | None = None) -> None:
        self.consumers.setdefault(topic, []).append((consumer, handler, when))

    def every(self, seconds: float, name: str, job: Callable[[], Awaitable[Any]]) -> None:
        self.jobs[name] = job

    def in_unit_of_work(self, job: Callable[[UnitOfWork], None]) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            self.deliver(self.database.run_job("urn:test", job))

        return run

    # --- driving it ---
    def register_roles(self) -> InMemoryBus:
        for role in load_roles():
            role.register(self)  # type: ignore[arg-type]
        return self

    def publish(self, topic: Topic, key: bytes, value: bytes) -> None:
        self.deliver([PendingRecord(0, topic, key, value)])

    def deliver(self, pending: list[PendingRecord]) -> None:
        queue = list(pending)
        while queue:
            rec = queue.pop(0)
            raw = RawRecord(rec.topic.topic_name, 0, len(self.log), rec.key, rec.value, [])
            self.log.append(raw)
            for consumer, handler, when in self.consumers.get(rec.topic, []):
                try:
                    envelope = decode(rec.value, rec.topic)
                    if when is not None and not when(envelope):
                        continue
                    result = self.database.handle_once(consumer, envelope, "urn:test", handler)
                except (UndecodableEvent, HandlerRejected) as exc:
                    self.dead.append((raw, str(exc)))
                    continue
                queue.extend(result or [])

    def run_job(self, name: str) -> None:
        asyncio.run(self.jobs[name]())

    def counts(self) -> Counter[str]:
        return Counter(record.topic for record in self.log)

    def values(self, topic: Topic) -> list[bytes]:
        return [r.value or b"" for r in self.log if r.topic == topic.topic_name]

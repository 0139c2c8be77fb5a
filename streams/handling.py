"""Framework-free handling of one record: decode, dead-letter what is bad, run the role's plain
handler once in a unit of work, send its outbox after the commit. Faust only feeds it (streams/app.py);
handlers import this module, never Faust."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.exc import DBAPIError, OperationalError

from schemas.envelope import Envelope
from streams.codec import UndecodableEvent, decode
from streams.persistence import Database, PendingRecord, UnitOfWork, utcnow
from streams.topics import Topic

log = logging.getLogger(__name__)

Handler = Callable[[Envelope[Any], UnitOfWork], None]
"""A role's handler: plain code, no Faust. It changes state through `uow.session` and emits events
with `uow.emit`. Raising `HandlerRejected` dead-letters the event with that reason."""

Filter = Callable[[Envelope[Any]], bool]
"""Which events a consumer wants, e.g. a shop only the quote requests addressed to it."""

Prepare = Callable[[Envelope[Any]], Awaitable[Envelope[Any]]]
"""Slow I/O a consumer needs before its handler (e.g. fetching a page), run outside the transaction;
it returns the envelope the handler sees."""


class PartyCheck(Protocol):
    """Whether an event on a party topic is its party's word (agents/registry/parties.py)."""

    def refusal(self, envelope: Envelope[Any], raw: bytes) -> str | None: ...


Producer = Callable[[Topic, bytes | None, bytes | None, list[tuple[str, bytes]]], Awaitable[None]]

DLQ_HEADER_TOPIC = "kitting-dlq-topic"
DLQ_HEADER_PARTITION = "kitting-dlq-partition"
DLQ_HEADER_OFFSET = "kitting-dlq-offset"
DLQ_HEADER_CONSUMER = "kitting-dlq-consumer"
DLQ_HEADER_ERROR = "kitting-dlq-error"
DLQ_HEADER_TRUNCATED = "kitting-dlq-truncated"  # the original size, when only the start went
DLQ_BODY_BYTES = 64_000
DLQ_KEY_BYTES = 1_000
DLQ_HEADER_BYTES = 4_000
DLQ_MAX_HEADERS = 20

OUTBOX_RELAY_AGE = timedelta(seconds=5)
RETRY_FIRST_S = 0.5
RETRY_MAX_S = 30.0


class HandlerRejected(Exception):
    """The event is well formed but cannot be handled (e.g. refers to something unknown)."""


class TransientFailure(Exception):
    """The database or the broker is unavailable: the record must be tried again, not dead-lettered."""


class PoisonRecord(Exception):
    """The broker refuses this record for good (e.g. too large, a topic it may not write): sending it
    again unchanged cannot work. The producer raises it; the message says why."""


OUTBOX_MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Subscription:
    """A consumer of a topic: its name (also its idempotency scope), its handler and filter."""

    topic: Topic
    consumer: str
    handler: Handler | None
    when: Filter | None = None
    reports_undecodable: bool = True
    prepare: Prepare | None = None


@dataclass(frozen=True)
class RawRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]


class Pipeline:
    def __init__(
        self, database: Database, produce: Producer, source: str, parties: PartyCheck | None = None
    ) -> None:
        self.database = database
        self.produce = produce
        self.source = source
        self.parties = parties  # set by the composition root; without it, party topics are refused
        self._sent_unmarked: list[int] = []

    async def handle(self, record: RawRecord, sub: Subscription) -> Envelope[Any] | None:
        """Handle the record or dead-letter it; never give up on it. While the database or the broker
        is down this retries (with growing pauses, logging the cause), holding back the partition.
        Returns the event when it was valid and wanted (handled now or before), else None."""
        delay = RETRY_FIRST_S
        while True:
            try:
                return await self.process(record, sub)
            except Exception as exc:  # a failure here means nothing was handled or dead-lettered yet
                where = f"{record.topic}[{record.partition}]@{record.offset}"
                log.warning(
                    "%s could not handle %s (%s: %s); retrying in %.1fs", sub.consumer, where,
                    type(exc).__name__, exc, delay,
                )  # fmt: skip
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)

    async def process(self, record: RawRecord, sub: Subscription) -> Envelope[Any] | None:
        """One attempt. Several consumers may read one topic: only the one that `reports_undecodable`
        dead-letters a record that does not decode, so it lands there once. Raises TransientFailure."""
        topic, consumer, handler, when = sub.topic, sub.consumer, sub.handler, sub.when
        try:
            envelope = decode(record.value, topic)
        except UndecodableEvent as exc:
            if sub.reports_undecodable:
                await self.dead_letter(record, consumer, str(exc))
            return None
        if topic.spec.from_parties:
            reason = (
                self.parties.refusal(envelope, record.value or b"")
                if self.parties is not None
                else "this worker has no way to check parties' signatures"
            )
            if reason is not None:
                if sub.reports_undecodable:
                    await self.dead_letter(record, consumer, f"refused by {consumer}: {reason}")
                return None
        if when is not None and not when(envelope):
            return None
        if sub.prepare is not None:
            try:
                envelope = await sub.prepare(envelope)
            except (OperationalError, DBAPIError) as exc:  # e.g. a hosted provider's own database
                raise TransientFailure(f"database unavailable while preparing: {exc.orig}") from exc
            except Exception as exc:
                log.exception("preparing %s for %s failed", envelope.type, consumer)
                await self.dead_letter(
                    record, consumer, f"{type(exc).__name__} preparing for {consumer}: {exc}"
                )
                return None
        if handler is None:
            return envelope
        try:
            pending = self.database.handle_once(consumer, envelope, self.source, handler)
        except HandlerRejected as exc:
            await self.dead_letter(record, consumer, f"rejected by {consumer}: {exc}")
            return None
        except (OperationalError, DBAPIError) as exc:
            if exc.connection_invalidated or isinstance(exc, OperationalError):
                raise TransientFailure(f"database unavailable: {exc.orig}") from exc
            log.exception("handler %s failed on %s", consumer, envelope.type)
            await self.dead_letter(record, consumer, f"{type(exc).__name__} in {consumer}: {exc.orig}")
            return None
        except Exception as exc:
            log.exception("handler %s failed on %s", consumer, envelope.type)
            await self.dead_letter(record, consumer, f"{type(exc).__name__} in {consumer}: {exc}")
            return None
        if pending:
            await self.send(pending)
        return envelope

    async def send(self, pending: Iterable[PendingRecord]) -> None:
        """Produce committed outbox records. Marking them sent is batched (see `relay_outbox`): a crash
        before the mark only means the relay sends them again, which idempotent consumers ignore. A record
        the broker refuses for good is counted and, after OUTBOX_MAX_ATTEMPTS, set aside: the ones behind
        it go on. When the broker is unreachable the rest waits for the relay (they are committed)."""
        for rec in pending:
            try:
                await self.produce(rec.topic, rec.key, rec.value, [])
            except PoisonRecord as exc:
                aside = self.database.note_send_failure(rec.outbox_id, str(exc), OUTBOX_MAX_ATTEMPTS)
                then = "set aside (kitting ops stuck, kitting ops resend)" if aside else "tried again later"
                log.error(
                    "outbox event %d for %s not sent: %s; %s", rec.outbox_id, rec.topic.topic_name, exc, then
                )
                continue
            except Exception as exc:
                log.warning(
                    "the bus did not take outbox event %d (%s: %s); the relay sends it again",
                    rec.outbox_id, type(exc).__name__, exc,
                )  # fmt: skip
                return
            self._sent_unmarked.append(rec.outbox_id)

    async def relay_outbox(self) -> int:
        """Periodic: mark what was sent, then send what a crash left in the outbox (at least once)."""
        marked = list(self._sent_unmarked)
        self.database.mark_sent(marked)
        del self._sent_unmarked[: len(marked)]
        pending = self.database.unsent(older_than=utcnow() - OUTBOX_RELAY_AGE)
        await self.send(pending)
        return len(pending)

    async def run_job(self, job: Callable[[UnitOfWork], None]) -> None:
        """A periodic decision (e.g. closing quote rounds) in one transaction, its events via the outbox."""
        pending = self.database.run_job(self.source, job)
        if pending:
            await self.send(pending)

    async def dead_letter(self, record: RawRecord, consumer: str, reason: str) -> None:
        """Put the record on the dead-letter topic with the reason. A record too large to go there whole
        goes by reference: its first DLQ_BODY_BYTES and where it is (topic, partition, offset: the
        archive holds it), so the dead-letter send itself cannot fail and stop the partition."""
        log.warning("dead-lettered %s[%d]@%d: %s", record.topic, record.partition, record.offset, reason)
        value, key = record.value, (record.key or b"")[:DLQ_KEY_BYTES]
        own = [(name, data[:DLQ_HEADER_BYTES]) for name, data in record.headers[:DLQ_MAX_HEADERS]]
        headers = [
            *own,
            (DLQ_HEADER_TOPIC, record.topic.encode()),
            (DLQ_HEADER_PARTITION, str(record.partition).encode()),
            (DLQ_HEADER_OFFSET, str(record.offset).encode()),
            (DLQ_HEADER_CONSUMER, consumer.encode()),
            (DLQ_HEADER_ERROR, reason.encode()[:4000]),
        ]
        if value is not None and len(value) > DLQ_BODY_BYTES:
            headers.append((DLQ_HEADER_TRUNCATED, str(len(value)).encode()))
            value = value[:DLQ_BODY_BYTES]
        await self.produce(Topic.DEAD_LETTER, key, value, headers)

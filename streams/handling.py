"""Framework-free handling of one record: decode, dead-letter what is bad, run the role's plain
handler once in a unit of work, send its outbox after the commit. Faust only feeds it (streams/app.py);
handlers import this module, never Faust."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, cast

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
ProducerItem = tuple[Topic, bytes | None, bytes | None, list[tuple[str, bytes]]]
ProduceMany = Callable[[list[ProducerItem]], Awaitable[list[BaseException | None]]]

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


@dataclass
class _Handled:
    records: list[PendingRecord]  # the outbox to send
    refusals: list[str | None]  # per event: why it is dead-lettered, or None


@dataclass(frozen=True)
class RawRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]


DECODED_KEPT = 4096  # records decoded recently, shared by the consumers of one topic in this process


class Pipeline:
    def __init__(
        self,
        database: Database,
        produce: Producer,
        source: str,
        parties: PartyCheck | None = None,
        produce_many: ProduceMany | None = None,
    ) -> None:
        self.database = database
        self.produce = produce
        self.produce_many = produce_many
        self.source = source
        self.parties = parties  # set by the composition root; without it, party topics are refused
        self._sent_unmarked: list[int] = []
        self._in_flight: set[int] = set()  # outbox rows being sent: the relay leaves them alone
        self._decoded: OrderedDict[tuple[str, int, int], tuple[bytes | None, Envelope[Any]]] = OrderedDict()

    async def handle(self, record: RawRecord, sub: Subscription) -> Envelope[Any] | None:
        """`handle_batch` of one record."""
        return (await self.handle_batch([record], sub))[0]

    async def handle_batch(self, records: list[RawRecord], sub: Subscription) -> list[Envelope[Any] | None]:
        """Handle the records or dead-letter them; never give up on them. While the database or the
        broker is down this retries (with growing pauses, logging the cause), holding back the partition.
        Returns, per record, the event when it was valid and wanted (handled now or before), else None."""
        delay = RETRY_FIRST_S
        while True:
            try:
                return await self.process_batch(records, sub)
            except Exception as exc:  # a failure here means nothing was handled or dead-lettered yet
                first, last = records[0], records[-1]
                where = f"{first.topic}[{first.partition}]@{first.offset}"
                if len(records) > 1:
                    where += f"..{last.offset}"
                log.warning(
                    "%s could not handle %s (%s: %s); retrying in %.1fs", sub.consumer, where,
                    type(exc).__name__, exc, delay,
                )  # fmt: skip
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)

    async def process(self, record: RawRecord, sub: Subscription) -> Envelope[Any] | None:
        """`process_batch` of one record."""
        return (await self.process_batch([record], sub))[0]

    async def process_batch(self, records: list[RawRecord], sub: Subscription) -> list[Envelope[Any] | None]:
        """One attempt at a batch of records of one consumer, in their order: each is decoded (once per
        process, whichever consumer asks first), checked and filtered; the wanted ones are prepared
        (concurrently) and handled in one transaction, their outbox sent after the commit. A bad record
        is dead-lettered alone and the others go on. Several consumers may read one topic: only the one
        that `reports_undecodable` dead-letters a record that does not decode, so it lands there once.
        Raises TransientFailure (or the broker's error) when the batch must be tried again."""
        results: list[Envelope[Any] | None] = [None] * len(records)
        letters: list[tuple[RawRecord, str]] = []
        for i, record in enumerate(records):
            envelope, refusal = self._admit(record, sub)
            if refusal is not None and sub.reports_undecodable:
                letters.append((record, refusal))
            results[i] = envelope
        if sub.prepare is not None:
            prepared = await asyncio.gather(
                *(self._prepare(e, sub) for e in results if e is not None), return_exceptions=True
            )
            transient = next((p for p in prepared if isinstance(p, BaseException)), None)
            if transient is not None:
                raise transient
            ready = iter(prepared)
            for i, envelope in enumerate(results):
                if envelope is None:
                    continue
                outcome = next(ready)
                if isinstance(outcome, str):
                    letters.append((records[i], outcome))
                    results[i] = None
                else:
                    results[i] = cast(Envelope[Any], outcome)
        if sub.handler is not None:
            wanted = [(i, e) for i, e in enumerate(results) if e is not None]
            if wanted:
                pending = self._handle(sub, [e for _, e in wanted])
                for (i, _), refusal in zip(wanted, pending.refusals, strict=True):
                    if refusal is not None:
                        letters.append((records[i], refusal))
                        results[i] = None
                if pending.records:
                    await self.send(pending.records)
        for record, reason in letters:
            await self.dead_letter(record, sub.consumer, reason)
        return results

    def _admit(self, record: RawRecord, sub: Subscription) -> tuple[Envelope[Any] | None, str | None]:
        """The record's event if it is valid, its party's word and wanted by this consumer; else None
        and, for a record that must be dead-lettered, the reason."""
        try:
            envelope = self._decode(record, sub.topic)
        except UndecodableEvent as exc:
            return None, str(exc)
        if sub.topic.spec.from_parties:
            reason = (
                self.parties.refusal(envelope, record.value or b"")
                if self.parties is not None
                else "this worker has no way to check parties' signatures"
            )
            if reason is not None:
                return None, f"refused by {sub.consumer}: {reason}"
        if sub.when is not None and not sub.when(envelope):
            return None, None
        return envelope, None

    def _decode(self, record: RawRecord, topic: Topic) -> Envelope[Any]:
        """Decode a record once for all the consumers of its topic in this process (handlers never
        change an event they are given). The cache is keyed by where the record is and holds its bytes,
        so a broker that reuses an offset (the embedded one after a restart) is never mistaken."""
        where = (record.topic, record.partition, record.offset)
        known = self._decoded.get(where)
        if known is not None and known[0] == record.value:
            return known[1]
        envelope = decode(record.value, topic)
        self._decoded[where] = (record.value, envelope)
        if len(self._decoded) > DECODED_KEPT:
            self._decoded.popitem(last=False)
        return envelope

    async def _prepare(self, envelope: Envelope[Any], sub: Subscription) -> Envelope[Any] | str:
        """The prepared event, or the reason to dead-letter it. Raises TransientFailure."""
        assert sub.prepare is not None
        try:
            return await sub.prepare(envelope)
        except (OperationalError, DBAPIError) as exc:  # e.g. a hosted provider's own database
            raise TransientFailure(f"database unavailable while preparing: {exc.orig}") from exc
        except TransientFailure:
            raise  # e.g. the sandbox stopped with the worker: the record is tried again, not dead-lettered
        except Exception as exc:
            log.exception("preparing %s for %s failed", envelope.type, sub.consumer)
            return f"{type(exc).__name__} preparing for {sub.consumer}: {exc}"

    def _handle(self, sub: Subscription, envelopes: list[Envelope[Any]]) -> _Handled:
        """Handle the events in one transaction; when that cannot commit, one by one, so that a bad one is
        dead-lettered alone. Raises TransientFailure while the database is unavailable."""
        consumer, handler = sub.consumer, sub.handler
        try:
            together = self.database.handle_batch(consumer, envelopes, self.source, handler)
        except (OperationalError, DBAPIError) as exc:
            raise TransientFailure(f"database unavailable: {exc.orig}") from exc
        if together is not None:
            return _Handled(together, [None] * len(envelopes))
        handled = _Handled([], [])
        for envelope in envelopes:
            handled.refusals.append(None)
            try:
                pending = self.database.handle_once(consumer, envelope, self.source, handler)
            except HandlerRejected as exc:
                handled.refusals[-1] = f"rejected by {consumer}: {exc}"
                continue
            except (OperationalError, DBAPIError) as exc:
                if exc.connection_invalidated or isinstance(exc, OperationalError):
                    raise TransientFailure(f"database unavailable: {exc.orig}") from exc
                log.exception("handler %s failed on %s", consumer, envelope.type)
                handled.refusals[-1] = f"{type(exc).__name__} in {consumer}: {exc.orig}"
                continue
            except Exception as exc:
                log.exception("handler %s failed on %s", consumer, envelope.type)
                handled.refusals[-1] = f"{type(exc).__name__} in {consumer}: {exc}"
                continue
            handled.records.extend(pending or [])
        return handled

    async def send(self, pending: Iterable[PendingRecord]) -> None:
        """Produce committed outbox records, all at once (pipelined; in order on each partition). Marking
        them sent is batched (see `relay_outbox`): a crash before the mark only means the relay sends them
        again, which idempotent consumers ignore. A record the broker refuses for good is counted and,
        after OUTBOX_MAX_ATTEMPTS, set aside: the others go on. A record the broker did not take (it is
        unreachable) waits for the relay (it is committed)."""
        records = [r for r in pending if r.outbox_id not in self._in_flight]
        if not records:
            return
        flying = {r.outbox_id for r in records}
        self._in_flight |= flying
        try:
            outcomes = await self.produce_all([(r.topic, r.key, r.value, []) for r in records])
        finally:
            self._in_flight -= flying
        missed: list[tuple[PendingRecord, BaseException]] = []
        for rec, outcome in zip(records, outcomes, strict=True):
            if outcome is None:
                self._sent_unmarked.append(rec.outbox_id)
            elif isinstance(outcome, PoisonRecord):
                aside = self.database.note_send_failure(rec.outbox_id, str(outcome), OUTBOX_MAX_ATTEMPTS)
                then = "set aside (kitting ops stuck, kitting ops resend)" if aside else "tried again later"
                log.error(
                    "outbox event %d for %s not sent: %s; %s",
                    rec.outbox_id,
                    rec.topic.topic_name,
                    outcome,
                    then,
                )
            else:
                missed.append((rec, outcome))
        if missed:
            (first, cause), more = missed[0], len(missed) - 1
            log.warning(
                "the bus did not take outbox event %d%s (%s: %s); the relay sends %s again",
                first.outbox_id, f" and {more} more" if more else "", type(cause).__name__, cause,
                "them" if more else "it",
            )  # fmt: skip

    async def produce_all(self, items: list[ProducerItem]) -> list[BaseException | None]:
        """Produce several records; per record, None when the broker took it, else what went wrong. With
        a `produce_many` (the worker's: every record queued first, then all awaited) they are pipelined;
        else one after the other. Once the broker is found unreachable, the records behind are not tried
        (each would wait out the same outage): they get that failure too."""
        if self.produce_many is not None:
            return await self.produce_many(items)
        outcomes: list[BaseException | None] = []
        for topic, key, value, headers in items:
            try:
                await self.produce(topic, key, value, headers)
            except PoisonRecord as exc:
                outcomes.append(exc)
            except Exception as exc:
                outcomes.extend([exc] * (len(items) - len(outcomes)))
                break
            else:
                outcomes.append(None)
        return outcomes

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

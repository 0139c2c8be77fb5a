"""The framework-free Pipeline: every record is handled once, dead-lettered with its reason, or retried."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from agents.cli.demo import browse_event
from schemas.envelope import Envelope
from streams.handling import (
    DLQ_BODY_BYTES,
    DLQ_HEADER_CONSUMER,
    DLQ_HEADER_ERROR,
    DLQ_HEADER_OFFSET,
    DLQ_HEADER_TOPIC,
    DLQ_HEADER_TRUNCATED,
    HandlerRejected,
    Pipeline,
    RawRecord,
    Subscription,
    TransientFailure,
)
from streams.persistence import Database, UnitOfWork, utcnow
from streams.publishing import MAX_EVENT_BYTES
from streams.topics import Topic

Sent = list[tuple[Topic, bytes | None, bytes | None, dict[str, bytes]]]


def pipeline(database: Database) -> tuple[Pipeline, Sent]:
    sent: Sent = []

    async def produce(topic: Topic, key: bytes | None, value: bytes | None, headers: Any) -> None:
        sent.append((topic, key, value, dict(headers)))

    return Pipeline(database, produce, source="urn:test"), sent


def record(value: bytes, offset: int = 7) -> RawRecord:
    return RawRecord(Topic.METHOD_BROWSED.topic_name, 0, offset, b"b-1", value, [("trace", b"t-1")])


def test_a_rejected_event_is_dead_lettered_with_its_reason_and_original_bytes(database: Database) -> None:
    p, sent = pipeline(database)

    def reject(envelope: Envelope[Any], uow: UnitOfWork) -> None:
        raise HandlerRejected("unknown order o-1")

    raw = browse_event("b-1", key=bytes(32))
    asyncio.run(p.process(record(raw), Subscription(Topic.METHOD_BROWSED, "test.reject", reject)))
    ((topic, key, value, headers),) = sent
    assert (topic, key, value) == (Topic.DEAD_LETTER, b"b-1", raw)
    assert headers[DLQ_HEADER_ERROR] == b"rejected by test.reject: unknown order o-1"
    assert headers[DLQ_HEADER_TOPIC] == Topic.METHOD_BROWSED.topic_name.encode()
    assert (headers[DLQ_HEADER_OFFSET], headers[DLQ_HEADER_CONSUMER], headers["trace"]) == (
        b"7",
        b"test.reject",
        b"t-1",
    )


def test_a_crashing_handler_dead_letters_and_leaves_no_effect(database: Database) -> None:
    p, sent = pipeline(database)

    def crash(envelope: Envelope[Any], uow: UnitOfWork) -> None:
        uow.emit(envelope.data)
        raise KeyError("boom")

    asyncio.run(
        p.process(
            record(browse_event("b-1", key=bytes(32))),
            Subscription(Topic.METHOD_BROWSED, "test.crash", crash),
        )
    )
    assert [s[0] for s in sent] == [Topic.DEAD_LETTER]
    assert b"KeyError in test.crash" in sent[0][3][DLQ_HEADER_ERROR]


def test_a_database_outage_is_retried_not_dead_lettered(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    p, sent = pipeline(database)
    calls: list[int] = []

    def flaky(envelope: Envelope[Any], uow: UnitOfWork) -> None:
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("insert", {}, Exception("database is locked"))
        uow.emit(envelope.data)

    with pytest.raises(TransientFailure, match="database is locked"):
        asyncio.run(
            p.process(
                record(browse_event("b-1", key=bytes(32))),
                Subscription(Topic.METHOD_BROWSED, "test.flaky", flaky),
            )
        )
    monkeypatch.setattr("streams.handling.RETRY_FIRST_S", 0.01)
    asyncio.run(
        p.handle(
            record(browse_event("b-1", key=bytes(32))),
            Subscription(Topic.METHOD_BROWSED, "test.flaky", flaky),
        )
    )
    assert len(calls) == 3
    assert [s[0] for s in sent] == [Topic.METHOD_BROWSED]  # handled once, nothing dead-lettered


def test_a_prepare_stopped_with_the_worker_is_retried_not_dead_lettered(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page being read when the worker stops (its sandbox stopped first) is read again, not lost."""
    from streams.sandbox import SandboxStopped

    p, sent = pipeline(database)
    tries: list[int] = []

    async def read(envelope: Envelope[Any]) -> Envelope[Any]:
        tries.append(1)
        if len(tries) < 2:
            raise SandboxStopped("the sandbox stopped with its worker; the job is tried again")
        return envelope

    def keep(envelope: Envelope[Any], uow: UnitOfWork) -> None:
        uow.emit(envelope.data)

    monkeypatch.setattr("streams.handling.RETRY_FIRST_S", 0.01)
    subscription = Subscription(Topic.METHOD_BROWSED, "test.read", keep, prepare=read)
    asyncio.run(p.handle(record(browse_event("b-1", key=bytes(32))), subscription))
    assert len(tries) == 2
    assert [s[0] for s in sent] == [Topic.METHOD_BROWSED]  # handled once, nothing dead-lettered


def test_only_the_reporting_consumer_dead_letters_an_undecodable_record(database: Database) -> None:
    p, sent = pipeline(database)

    def never(envelope: Envelope[Any], uow: UnitOfWork) -> None:
        raise AssertionError("must not be called")

    asyncio.run(
        p.process(record(b"{x"), Subscription(Topic.METHOD_BROWSED, "a", never, reports_undecodable=True))
    )
    asyncio.run(
        p.process(record(b"{x"), Subscription(Topic.METHOD_BROWSED, "b", never, reports_undecodable=False))
    )
    assert len(sent) == 1 and sent[0][3][DLQ_HEADER_CONSUMER] == b"a"


def test_a_filtered_out_event_leaves_no_trace(database: Database) -> None:
    p, sent = pipeline(database)

    def never(envelope: Envelope[Any], uow: UnitOfWork) -> None:
        raise AssertionError("must not be called")

    asyncio.run(
        p.process(
            record(browse_event("b-1", key=bytes(32))),
            Subscription(Topic.METHOD_BROWSED, "a", never, when=lambda e: False),
        )
    )
    assert sent == []


def test_sent_records_are_marked_by_the_relay(database: Database) -> None:
    p, sent = pipeline(database)

    def emit(envelope: Envelope[Any], uow: UnitOfWork) -> None:
        uow.emit(envelope.data)

    asyncio.run(
        p.process(
            record(browse_event("b-1", key=bytes(32))), Subscription(Topic.METHOD_BROWSED, "test.emit", emit)
        )
    )
    assert json.loads(sent[0][2] or b"")["subject"] == "b-1"
    assert len(database.unsent(older_than=utcnow() + timedelta(seconds=1))) == 1
    asyncio.run(p.relay_outbox())
    assert database.unsent(older_than=utcnow() + timedelta(seconds=1)) == []
    assert len(sent) == 1  # the relay did not send it again


def test_a_record_too_large_for_the_dead_letter_topic_goes_there_by_reference(database: Database) -> None:
    """A 2 MB record that does not decode: its first bytes and where it is (the archive holds it) go
    to the dead-letter topic, so that send cannot fail and stop the partition."""
    p, sent = pipeline(database)
    huge = b"{" + b"x" * 2_000_000
    big = RawRecord(Topic.METHOD_BROWSED.topic_name, 0, 9, b"k" * 5000, huge, [("h", b"v" * 10_000)] * 50)
    asyncio.run(p.process(big, Subscription(Topic.METHOD_BROWSED, "test.big", None)))
    ((topic, key, value, headers),) = sent
    assert topic is Topic.DEAD_LETTER and value == huge[:DLQ_BODY_BYTES]
    assert headers[DLQ_HEADER_TRUNCATED] == b"2000001" and headers[DLQ_HEADER_OFFSET] == b"9"
    assert b"the record is 2000001 bytes" in headers[DLQ_HEADER_ERROR]
    assert len(key or b"") <= 1000 and len(headers["h"]) <= 4000
    size = len(value or b"") + len(key or b"") + sum(len(k) + len(v) for k, v in headers.items())
    assert size < MAX_EVENT_BYTES


def test_an_outbox_row_the_broker_refuses_is_set_aside_and_never_blocks_the_rows_behind_it(
    database: Database,
) -> None:
    """A record the broker refuses for good (e.g. too large for it) is tried OUTBOX_MAX_ATTEMPTS times,
    then set aside, visible and re-sendable; every row behind it goes out meanwhile. An unreachable
    broker is not a refusal: nothing is counted, the relay tries again."""
    from sqlalchemy import select

    from streams.handling import OUTBOX_MAX_ATTEMPTS, PoisonRecord
    from streams.persistence import OutboxRecord

    sent: list[bytes] = []
    down = {"broker": False}

    async def produce(topic: Topic, key: bytes | None, value: bytes | None, headers: Any) -> None:
        if down["broker"]:
            raise ConnectionError("the broker is unreachable")
        if key == b"poison":
            raise PoisonRecord("the broker refused it (MessageSizeTooLargeError)")
        sent.append(key or b"")

    p = Pipeline(database, produce, source="urn:test")

    def emit_for(basket: str) -> Any:
        def emit(envelope: Envelope[Any], uow: UnitOfWork) -> None:
            uow.emit(envelope.data.model_copy(update={"basket_id": basket}))

        return emit

    for n, basket in enumerate(["poison", "b-2", "b-3"]):
        raw = browse_event(basket, key=bytes(32))
        asyncio.run(
            p.process(
                record(raw, offset=n), Subscription(Topic.METHOD_BROWSED, "test.emit", emit_for(basket))
            )
        )
    assert sent == [b"b-2", b"b-3"]  # the rows behind the refused one went out at once
    later = utcnow() + timedelta(seconds=10)
    down["broker"] = True
    for _ in range(OUTBOX_MAX_ATTEMPTS + 2):  # an outage counts no tries
        asyncio.run(p.send(database.unsent(older_than=later)))
    down["broker"] = False
    for _ in range(OUTBOX_MAX_ATTEMPTS - 1):
        asyncio.run(p.send(database.unsent(older_than=later)))
    with database.session() as session:
        row = session.scalars(select(OutboxRecord).where(OutboxRecord.key == b"poison")).one()
        assert (row.attempts, row.set_aside_at is not None) == (OUTBOX_MAX_ATTEMPTS, True)
        assert "MessageSizeTooLargeError" in (row.last_error or "")
    asyncio.run(p.relay_outbox())
    assert [r.key for r in database.unsent(older_than=later)] == []  # set aside: the relay leaves it
    assert database.resend_set_aside() == 1
    assert [r.key for r in database.unsent(older_than=later)] == [b"poison"]  # sendable again


def test_a_2_mb_event_is_dead_lettered_unread_and_costs_no_time(database: Database) -> None:
    """A record over the event size limit is refused before it is parsed (a valid-looking 2 MB event
    would otherwise be validated field by field), and goes to the dead-letter topic by reference."""
    import time

    p, sent = pipeline(database)
    event = json.loads(browse_event("b-big", key=bytes(32)))
    event["data"]["html"] = "<p>" + "x" * 2_000_000 + "</p>"
    raw = json.dumps(event).encode()
    started = time.perf_counter()
    handled = asyncio.run(p.process(record(raw), Subscription(Topic.METHOD_BROWSED, "test.big", None)))
    assert handled is None and time.perf_counter() - started < 0.2
    ((topic, _, value, headers),) = sent
    assert topic is Topic.DEAD_LETTER and len(value or b"") == DLQ_BODY_BYTES
    assert headers[DLQ_HEADER_ERROR].startswith(b"the record is 2000")


def emit_each(handled: list[str]) -> Any:
    def emit(envelope: Envelope[Any], uow: UnitOfWork) -> None:
        handled.append(envelope.data.basket_id)
        if envelope.data.basket_id == "b-bad":
            raise HandlerRejected("this one cannot be handled")
        uow.emit(envelope.data)

    return emit


def test_a_batch_is_handled_in_one_transaction_and_a_bad_record_is_dead_lettered_alone(
    database: Database,
) -> None:
    """Records that arrived together commit together (one transaction for the ledger marks, the
    handlers' changes and the outbox); a record its handler refuses is dead-lettered alone, one that
    does not decode too, and the others are handled once each, their events sent in their order."""
    from sqlalchemy import event

    p, sent = pipeline(database)
    baskets = ["b-1", "b-2", "b-bad", "b-4"]
    records = [record(browse_event(b, key=bytes(32)), offset=n) for n, b in enumerate(baskets)]
    records.insert(2, record(b"{not json", offset=99))
    handled: list[str] = []
    sub = Subscription(Topic.METHOD_BROWSED, "test.batch", emit_each(handled))

    transactions: list[int] = []
    event.listen(database.engine, "begin", lambda conn: transactions.append(1))
    good = [record(browse_event(f"g-{n}", key=bytes(32)), offset=100 + n) for n in range(20)]
    asyncio.run(p.process_batch(good, sub))
    assert len(transactions) == 1  # twenty events, one transaction
    sent.clear()

    results = asyncio.run(p.process_batch(records, sub))
    assert [r is not None for r in results] == [True, True, False, False, True]
    assert [json.loads(v or b"")["subject"] for t, _, v, _ in sent if t is Topic.METHOD_BROWSED] == [
        "b-1",
        "b-2",
        "b-4",
    ]
    letters = {h[DLQ_HEADER_OFFSET]: h[DLQ_HEADER_ERROR] for t, _, _, h in sent if t is Topic.DEAD_LETTER}
    assert letters.keys() == {b"99", b"2"}
    assert letters[b"2"] == b"rejected by test.batch: this one cannot be handled"
    assert letters[b"99"].startswith(b"not JSON")
    sent.clear()
    handled.clear()
    asyncio.run(p.process_batch(records, sub))  # the same batch again: only the refused one is tried
    assert set(handled) == {"b-bad"}  # (tried in the batch, then alone)
    assert [t for t, *_ in sent] == [Topic.DEAD_LETTER, Topic.DEAD_LETTER]


def test_an_event_twice_in_one_batch_is_handled_once(database: Database) -> None:
    p, sent = pipeline(database)
    raw = browse_event("b-1", key=bytes(32))
    handled: list[str] = []
    sub = Subscription(Topic.METHOD_BROWSED, "test.twice", emit_each(handled))
    results = asyncio.run(p.process_batch([record(raw, offset=1), record(raw, offset=2)], sub))
    assert handled == ["b-1"] and [t for t, *_ in sent] == [Topic.METHOD_BROWSED]
    assert all(r is not None for r in results)  # a repeat is still a valid event (the `then` hook runs)


def test_a_record_is_decoded_once_for_every_consumer_of_its_topic(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import streams.handling

    decoded: list[bytes | None] = []
    real = streams.handling.decode

    def counting(raw: bytes | None, topic: Topic) -> Any:
        decoded.append(raw)
        return real(raw, topic)

    monkeypatch.setattr(streams.handling, "decode", counting)
    p, _ = pipeline(database)
    raw = record(browse_event("b-1", key=bytes(32)))
    for consumer in ("a", "b", "c"):
        asyncio.run(p.process(raw, Subscription(Topic.METHOD_BROWSED, consumer, None)))
    assert len(decoded) == 1
    other = RawRecord(raw.topic, raw.partition, raw.offset, raw.key, browse_event("b-2", key=bytes(32)), [])
    envelope = asyncio.run(p.process(other, Subscription(Topic.METHOD_BROWSED, "a", None)))
    assert envelope is not None and envelope.data.basket_id == "b-2"  # same place, other bytes: read again


def test_a_batch_outbox_is_produced_pipelined(database: Database) -> None:
    """With the worker's `produce_many`, a batch's events are handed to the producer in one call, in
    order, and a record the broker did not take stays in the outbox for the relay."""
    calls: list[list[bytes | None]] = []

    async def produce(topic: Topic, key: bytes | None, value: bytes | None, headers: Any) -> None:
        raise AssertionError("one record at a time")

    async def produce_many(items: list[Any]) -> list[BaseException | None]:
        calls.append([key for _, key, _, _ in items])
        return [ConnectionError("gone") if key == b"b-3" else None for _, key, _, _ in items]

    p = Pipeline(database, produce, source="urn:test", produce_many=produce_many)
    records = [record(browse_event(f"b-{n}", key=bytes(32)), offset=n) for n in range(5)]
    asyncio.run(p.process_batch(records, Subscription(Topic.METHOD_BROWSED, "test.emit", emit_each([]))))
    assert calls == [[b"b-0", b"b-1", b"b-2", b"b-3", b"b-4"]]
    asyncio.run(p.relay_outbox())
    assert [r.key for r in database.unsent(older_than=utcnow() + timedelta(seconds=10))] == [b"b-3"]


def test_an_unreachable_broker_is_tried_once_per_pass_not_once_per_record(database: Database) -> None:
    """Each record would wait out the same outage: the first failure stands for the records behind it,
    which stay in the outbox for the relay."""
    calls: list[bytes | None] = []

    async def produce(topic: Topic, key: bytes | None, value: bytes | None, headers: Any) -> None:
        calls.append(key)
        raise ConnectionError("the broker is unreachable")

    p = Pipeline(database, produce, source="urn:test")
    records = [record(browse_event(f"b-{n}", key=bytes(32)), offset=n) for n in range(3)]
    asyncio.run(p.process_batch(records, Subscription(Topic.METHOD_BROWSED, "test.emit", emit_each([]))))
    assert calls == [b"b-0"]
    later = utcnow() + timedelta(seconds=10)
    assert [r.key for r in database.unsent(older_than=later)] == [b"b-0", b"b-1", b"b-2"]


def test_the_ledger_marks_a_batch_in_one_statement_and_names_only_the_new_events(database: Database) -> None:
    """One insert that skips what is marked already and returns the rest: no read before it. The
    events go as parameters, not into the statement, so it is compiled once for one event and once
    for several, whatever the batches' sizes."""
    from sqlalchemy import event

    from streams.persistence import mark_new

    ledger: list[str] = []
    compiled: set[int] = set()

    def seen(conn: object, cursor: object, statement: str, params: object, context: Any, many: bool) -> None:
        if "processed_events" in statement:
            ledger.append(statement)
            compiled.add(id(context.compiled))

    event.listen(database.engine, "before_cursor_execute", seen)
    with database.session() as session:
        assert mark_new(session, "c", [("s", "1"), ("s", "2")]) == {("s", "1"), ("s", "2")}
    with database.session() as session:
        assert mark_new(session, "c", [("s", "2"), ("s", "3")]) == {("s", "3")}
        assert mark_new(session, "other", [("s", "2")]) == {("s", "2")}  # each consumer its own marks
        assert mark_new(session, "c", [("s", "4"), ("s", "5"), ("s", "1")]) == {("s", "4"), ("s", "5")}
    assert len(ledger) == 4 and all(s.lstrip().upper().startswith("INSERT") for s in ledger)
    assert len(compiled) <= 2  # one form for a single event, one for several

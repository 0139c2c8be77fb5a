"""SQL persistence shared by every role: the declarative base, the processed-event ledger that makes
handlers idempotent, the outbox, and the unit of work that commits all three together."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    String,
    create_engine,
    event,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from schemas.envelope import Envelope, new_envelope
from schemas.events import EventData
from streams.codec import encode, encode_key
from streams.publishing import check_size
from streams.topics import Topic, by_name, topic_for

log = logging.getLogger(__name__)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in, timezone-aware UTC out, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Kitting stores UTC only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class DecimalText(TypeDecorator[Decimal]):
    """Exact decimals on every database: stored as text (SQLite would turn NUMERIC into a float)."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> str | None:
        return None if value is None else format(value, "f")

    def process_result_value(self, value: str | None, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(value)


class Base(DeclarativeBase):
    pass


def utcnow() -> datetime:
    return datetime.now(UTC)


class ProcessedEvent(Base):
    """One row per (consumer, event source, event id) handled: a repeat is a no-op."""

    __tablename__ = "processed_events"

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    source: Mapped[str] = mapped_column(String(500), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class OutboxRecord(Base):
    """An event committed with the change that caused it, sent to Kafka after the commit."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(200))
    key: Mapped[bytes] = mapped_column(LargeBinary)
    value: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, doc="Sends that failed")
    last_error: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    set_aside_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, nullable=True, index=True, doc="Given up after too many failed sends: `kitting outbox`"
    )


def make_engine(url: str, pre_ping: bool = True) -> Engine:
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    # a worker goes without pre-ping (a round trip per unit of work): a connection the server dropped
    # fails its statement, is invalidated, and the pipeline retries the unit of work on a fresh one
    engine = create_engine(url, future=True, pool_pre_ping=pre_ping and not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL survives a crash of Kitting; only an OS crash or power cut may lose the last
            # transactions (their events are then handled again: handlers are idempotent)
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    return engine


@dataclass
class PendingRecord:
    outbox_id: int
    topic: Topic
    key: bytes
    value: bytes


class UnitOfWork:
    """One transaction: the handlers' changes, the processed-event marks and the outbox rows.

    `session` is the handler's SQLAlchemy session; `emit` queues an event for after the commit. The
    outbox rows are written together, by one Core insert, when `pending()` is asked for.
    """

    def __init__(self, session: Session, source: str, subjects: tuple[str, ...] = ()) -> None:
        self.session = session
        self.source = source
        self.subjects = subjects  # of the events handled in this transaction: what a handler may prefetch
        self._emitted: list[dict[str, Any]] = []
        self._written: list[PendingRecord] = []

    def emit(self, data: EventData, *, event_id: str | None = None) -> Envelope[Any]:
        envelope = new_envelope(data, source=self.source, subject=data.basket_id, event_id=event_id)
        return self.emit_envelope(envelope)

    def emit_envelope(self, envelope: Envelope[Any]) -> Envelope[Any]:
        """An event in an envelope made elsewhere, e.g. signed by a provider this worker hosts. Raises
        EventTooLarge (so the handler's event is dead-lettered with the reason) before anything is stored
        that the broker would refuse."""
        value = encode(envelope)
        check_size(value)
        topic = topic_for(envelope.data).topic_name
        self._emitted.append({"topic": topic, "key": encode_key(envelope.subject), "value": value})
        return envelope

    def pending(self) -> list[PendingRecord]:
        """The events emitted so far, written to the outbox (one insert) so that each has its id."""
        if self._emitted:
            rows, self._emitted = self._emitted, []
            ids = self.session.scalars(
                insert(OutboxRecord).returning(OutboxRecord.id, sort_by_parameter_order=True), rows
            ).all()
            self._written.extend(
                PendingRecord(i, by_name(r["topic"]), r["key"], r["value"])
                for i, r in zip(ids, rows, strict=True)
            )
        return list(self._written)


MARK_NEW = {
    dialect: insert_of(ProcessedEvent)
    .on_conflict_do_nothing()
    .returning(ProcessedEvent.source, ProcessedEvent.event_id)
    for dialect, insert_of in (("postgresql", postgresql_insert), ("sqlite", sqlite_insert))
}
"""Per dialect, the insert that marks events and returns those not marked before."""


def mark_new(session: Session, consumer: str, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Mark the events (source, id) as handled by `consumer`; returns those not marked before. On
    PostgreSQL and SQLite one statement (an insert that skips the marked ones and returns the others;
    on PostgreSQL it waits for another worker marking the same event, then skips it); elsewhere a read
    and an insert."""
    now = utcnow()
    rows = [{"consumer": consumer, "source": s, "event_id": i, "processed_at": now} for s, i in keys]
    dialect = session.get_bind().dialect.name
    marking = MARK_NEW.get(dialect)
    if marking is not None:
        # The rows go as parameters, not as the statement's VALUES, so the statement is compiled once
        # (SQLAlchemy caches it) and sent as one multi-row insert all the same.
        return {(row[0], row[1]) for row in session.execute(marking, rows)}
    done = {
        (row[0], row[1])
        for row in session.execute(
            select(ProcessedEvent.source, ProcessedEvent.event_id).where(
                ProcessedEvent.consumer == consumer,
                tuple_(ProcessedEvent.source, ProcessedEvent.event_id).in_(keys),
            )
        )
    }
    fresh = [row for row in rows if (row["source"], row["event_id"]) not in done]
    if fresh:
        session.execute(insert(ProcessedEvent), fresh)
    return {(str(row["source"]), str(row["event_id"])) for row in fresh}


class Database:
    """Owns the engine and opens units of work. `pre_ping` checks a pooled connection before each use:
    right for the HTTP service (a request should not fail once per connection after a database
    restart); a worker turns it off, as its pipeline retries a unit of work the database dropped."""

    def __init__(self, url: str, pre_ping: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url, pre_ping)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def unit_of_work(self, source: str, subjects: tuple[str, ...] = ()) -> Iterator[UnitOfWork]:
        with self._sessions() as session, session.begin():
            yield UnitOfWork(session, source, subjects)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    def handle_once(
        self, consumer: str, envelope: Envelope[Any], source: str, handler: Any
    ) -> list[PendingRecord] | None:
        """Run `handler(envelope, uow)` unless this consumer already handled the event.

        Returns the outbox records to send, or None for a repeat.
        """
        try:
            with self.unit_of_work(source, (envelope.subject,)) as uow:
                uow.session.execute(
                    insert(ProcessedEvent),
                    [{"consumer": consumer, "source": envelope.source, "event_id": envelope.id}],
                )
                handler(envelope, uow)
                pending = uow.pending()
        except IntegrityError:
            if self._already_processed(consumer, envelope):
                return None
            raise
        return pending

    def handle_batch(
        self, consumer: str, envelopes: list[Envelope[Any]], source: str, handler: Any
    ) -> list[PendingRecord] | None:
        """Run `handler` on each event this consumer has not handled yet (a repeat is skipped), all in one
        transaction with one statement marking the events in the processed-event ledger (`mark_new`) and
        one outbox insert. Returns the outbox records to send; None when the batch could not commit as a
        whole (a handler raised, or the database refused it): everything is rolled back, the
        cause is logged, and the caller handles the events one by one. Errors of an unavailable database
        propagate."""
        keys = [(e.source, e.id) for e in envelopes]
        try:
            with self.unit_of_work(source, tuple(dict.fromkeys(e.subject for e in envelopes))) as uow:
                new = mark_new(uow.session, consumer, list(dict.fromkeys(keys)))
                for key, envelope in zip(keys, envelopes, strict=True):
                    if key in new:
                        new.discard(key)  # the same event twice in one batch: the second is a repeat
                        handler(envelope, uow)
                pending = uow.pending()
        except (OperationalError, DBAPIError) as exc:
            if exc.connection_invalidated or isinstance(exc, OperationalError):
                raise
            cause: Exception = exc
        except Exception as exc:
            cause = exc
        else:
            return pending
        log.info(
            "a batch of %d events for %s did not commit (%s: %s); handling them one by one",
            len(envelopes), consumer, type(cause).__name__, str(cause)[:300],
        )  # fmt: skip
        return None

    def run_job(self, source: str, job: Callable[[UnitOfWork], None]) -> list[PendingRecord]:
        """Run a periodic decision (e.g. closing quote rounds) in one transaction with its outbox."""
        with self.unit_of_work(source) as uow:
            job(uow)
            return uow.pending()

    def _already_processed(self, consumer: str, envelope: Envelope[Any]) -> bool:
        with self.session() as session:
            return session.get(ProcessedEvent, (consumer, envelope.source, envelope.id)) is not None

    def mark_sent(self, outbox_ids: list[int]) -> None:
        if not outbox_ids:
            return
        with self.session() as session:
            session.execute(
                update(OutboxRecord).where(OutboxRecord.id.in_(outbox_ids)).values(sent_at=utcnow())
            )

    def unsent(self, older_than: datetime, limit: int = 500) -> list[PendingRecord]:
        """What is still to send, oldest first; rows set aside after their tries are left out."""
        with self.session() as session:
            rows = session.scalars(
                select(OutboxRecord)
                .where(
                    OutboxRecord.sent_at.is_(None),
                    OutboxRecord.set_aside_at.is_(None),
                    OutboxRecord.created_at < older_than,
                )
                .order_by(OutboxRecord.id)
                .limit(limit)
            )
            return [PendingRecord(r.id, by_name(r.topic), r.key, r.value) for r in rows]

    def note_send_failure(self, outbox_id: int, reason: str, max_attempts: int) -> bool:
        """Count a failed send of an outbox row; after `max_attempts` it is set aside (kept, visible in
        `kitting ops stuck`, sent again by `kitting ops resend`), so it never blocks the rows behind it.
        Returns whether it was set aside."""
        with self.session() as session:
            row = session.get(OutboxRecord, outbox_id, with_for_update=True)
            if row is None or row.sent_at is not None:
                return False
            row.attempts += 1
            row.last_error = reason[:1000]
            if row.attempts >= max_attempts:
                row.set_aside_at = utcnow()
            return row.set_aside_at is not None

    def resend_set_aside(self) -> int:
        """Give every set-aside outbox row its tries again (after the cause was fixed); how many."""
        with self.session() as session:
            result = session.execute(
                update(OutboxRecord)
                .where(OutboxRecord.set_aside_at.is_not(None), OutboxRecord.sent_at.is_(None))
                .values(set_aside_at=None, attempts=0)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

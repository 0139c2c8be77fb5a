"""`kitting dlq list|show|redrive`: the dead-letter topic for operators. Each entry is named
PARTITION:OFFSET; it says which consumer refused which record and why. A redrive puts the original
record back on its topic (read from there when only its start went to the dead-letter topic), once its
cause is fixed."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.table import Table

from agents.cli.common import command_group, err, fail
from streams.handling import (
    DLQ_HEADER_CONSUMER,
    DLQ_HEADER_ERROR,
    DLQ_HEADER_OFFSET,
    DLQ_HEADER_PARTITION,
    DLQ_HEADER_TOPIC,
    DLQ_HEADER_TRUNCATED,
)
from streams.settings import Settings
from streams.topics import Topic

out = Console()
REDRIVEN_FROM = "kitting-redriven-from"
READ_TIMEOUT_S = 10.0
Kafka = Annotated[
    str | None, typer.Option("--kafka", help="Broker address; default KITTING_KAFKA_BOOTSTRAP_SERVERS")
]


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    at: datetime
    key: bytes | None
    value: bytes | None
    headers: dict[str, bytes]

    @property
    def name(self) -> str:
        return f"{self.partition}:{self.offset}"

    def header(self, name: str) -> str:
        return self.headers.get(name, b"").decode(errors="replace")

    @property
    def origin(self) -> str:
        topic = self.header(DLQ_HEADER_TOPIC) or "?"
        return f"{topic}[{self.header(DLQ_HEADER_PARTITION) or '?'}]@{self.header(DLQ_HEADER_OFFSET) or '?'}"

    @property
    def size(self) -> int:
        truncated = self.header(DLQ_HEADER_TRUNCATED)
        return int(truncated) if truncated.isdigit() else len(self.value or b"")

    def summary(self) -> dict[str, Any]:
        return {
            "entry": self.name, "at": self.at.isoformat(timespec="seconds"), "from": self.origin,
            "consumer": self.header(DLQ_HEADER_CONSUMER), "reason": self.header(DLQ_HEADER_ERROR),
            "bytes": self.size, "whole": not self.header(DLQ_HEADER_TRUNCATED),
        }  # fmt: skip


def bootstrap_of(kafka: str | None) -> str:
    servers = kafka or Settings().kafka_bootstrap_servers
    if not servers:
        raise fail(
            "which broker? give --kafka HOST:PORT or set KITTING_KAFKA_BOOTSTRAP_SERVERS "
            "(`kitting up` prints its broker's address)"
        )
    return servers


async def read_range(bootstrap: str, topic: str, partitions: list[int] | None = None) -> list[Any]:
    """Every record of `topic` (of `partitions`, if given) from its start to its current end."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        found = sorted(consumer.partitions_for_topic(topic) or ())
        tps = [TopicPartition(topic, p) for p in found if partitions is None or p in partitions]
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        records: list[Any] = []
        async with asyncio.timeout(READ_TIMEOUT_S):
            while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
                for batch in (await consumer.getmany(*tps, timeout_ms=500)).values():
                    records.extend(r for r in batch if r.offset < ends[TopicPartition(r.topic, r.partition)])
        return records
    finally:
        await consumer.stop()


async def dead_letters(bootstrap: str) -> list[DeadLetter]:
    records = await read_range(bootstrap, Topic.DEAD_LETTER.topic_name)
    return [
        DeadLetter(
            r.partition,
            r.offset,
            datetime.fromtimestamp(r.timestamp / 1000, UTC),
            r.key,
            r.value,
            dict(r.headers or []),
        )
        for r in records
    ]


def on_broker(bootstrap: str, work: Any) -> Any:
    """Run `work` against the broker; a broker that does not answer ends the command saying so."""
    try:
        return asyncio.run(work)
    except (TimeoutError, KafkaError, OSError) as exc:
        raise fail(
            f"the broker at {bootstrap} did not answer ({type(exc).__name__}): is it running?"
        ) from None


def pick(entries: list[DeadLetter], names: list[str]) -> list[DeadLetter]:
    by_name = {entry.name: entry for entry in entries}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise fail(f"no dead letter {', '.join(unknown)}: `kitting dlq list` names them PARTITION:OFFSET")
    return [by_name[name] for name in names]


async def original_of(bootstrap: str, entry: DeadLetter) -> bytes | None:
    """The whole original record: the entry's own bytes, or, for one that went by reference, read again
    from its topic (None when the topic no longer holds it)."""
    if not entry.header(DLQ_HEADER_TRUNCATED):
        return entry.value
    topic, partition, offset = (
        entry.header(h) for h in (DLQ_HEADER_TOPIC, DLQ_HEADER_PARTITION, DLQ_HEADER_OFFSET)
    )
    if not (partition.isdigit() and offset.isdigit()):
        return None
    for record in await read_range(bootstrap, topic, [int(partition)]):
        if record.offset == int(offset):
            return bytes(record.value) if record.value is not None else None
    return None


async def redrive(bootstrap: str, entries: list[DeadLetter]) -> list[tuple[DeadLetter, str | None]]:
    """Each entry's original record back on its topic; (entry, why not) for each."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", max_request_size=2_000_000)
    await producer.start()
    done: list[tuple[DeadLetter, str | None]] = []
    try:
        for entry in entries:
            topic = entry.header(DLQ_HEADER_TOPIC)
            if topic not in {t.topic_name for t in Topic} or topic == Topic.DEAD_LETTER.topic_name:
                done.append((entry, f"it names no topic of Kitting's ({topic or 'none'})"))
                continue
            value = await original_of(bootstrap, entry)
            if value is None:
                done.append((entry, f"only its first bytes were kept, and {entry.origin} no longer holds it"))
                continue
            headers = [(REDRIVEN_FROM, f"{Topic.DEAD_LETTER.topic_name}:{entry.name}".encode())]
            try:
                await producer.send_and_wait(topic, value, key=entry.key, headers=headers)
            except KafkaError as exc:
                done.append((entry, f"the broker did not take it ({type(exc).__name__})"))
                continue
            done.append((entry, None))
    finally:
        await producer.stop()
    return done


def register(cli: typer.Typer) -> None:
    dlq = command_group("The dead-letter topic: what was refused, by whom, why; and sending it again.")
    cli.add_typer(dlq, name="dlq")

    @dlq.command("list")
    def list_command(
        kafka: Kafka = None,
        topic: Annotated[str | None, typer.Option(help="Only records refused from this topic")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    ) -> None:
        """Every dead letter: its entry (PARTITION:OFFSET), when, where it came from, which consumer
        refused it and why."""
        bootstrap = bootstrap_of(kafka)
        entries = on_broker(bootstrap, dead_letters(bootstrap))
        rows = [e.summary() for e in entries if topic is None or e.header(DLQ_HEADER_TOPIC) == topic]
        if as_json:
            print(json.dumps(rows, indent=2))
            return
        table = Table(
            "entry", "at", "from", "consumer", "reason", "bytes", title=f"{len(rows)} dead letter(s)"
        )
        for row in rows:
            size = f"{row['bytes']}" + ("" if row["whole"] else " (start kept)")
            table.add_row(row["entry"], row["at"], row["from"], row["consumer"], row["reason"][:300], size)
        out.print(table)

    @dlq.command("show")
    def show(
        entry: Annotated[
            str, typer.Argument(metavar="ENTRY", help="PARTITION:OFFSET, as `dlq list` names it")
        ],
        kafka: Kafka = None,
    ) -> None:
        """One dead letter: its headers and its record as text."""
        bootstrap = bootstrap_of(kafka)
        [found] = pick(on_broker(bootstrap, dead_letters(bootstrap)), [entry])
        print(json.dumps(found.summary() | {"key": (found.key or b"").decode(errors="replace")}, indent=2))
        print((found.value or b"").decode(errors="replace"))

    @dlq.command("redrive")
    def redrive_command(
        entries: Annotated[list[str], typer.Argument(metavar="ENTRY...", help="PARTITION:OFFSET of each")],
        kafka: Kafka = None,
    ) -> None:
        """Put dead letters back on the topic they came from (after fixing why they were refused): the
        consumers handle them as new; one refused again goes back to the dead-letter topic."""
        bootstrap = bootstrap_of(kafka)
        chosen = pick(on_broker(bootstrap, dead_letters(bootstrap)), entries)
        results = on_broker(bootstrap, redrive(bootstrap, chosen))
        for entry, problem in results:
            if problem:
                err.print(f"{entry.name}: not sent again: {problem}")
            else:
                err.print(f"{entry.name}: sent again to {entry.header(DLQ_HEADER_TOPIC)}")
        if any(problem for _, problem in results):
            raise typer.Exit(1)

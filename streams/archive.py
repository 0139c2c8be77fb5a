"""The archive: every record of every topic (changelogs aside) as Parquet files partitioned by topic
and day, the log of record for analysts (and on the embedded broker, whose memory storage does not
outlive it, the only durable log).

Layout: `<root>/topic=<name>/day=<YYYY-MM-DD>/part-<epoch>-<partition>-<first>-<last>.parquet`, one
row per record with the columns of `SCHEMA`. A file is written to a temporary name, fsynced and
renamed; the file names are the archiver's committed offsets (it resumes after the last one, with no
consumer group to coordinate). A record archived twice (e.g. the same range by two workers) is dropped
by readers by (epoch, topic, partition, offset). The epoch names the broker's log (a real cluster's
id; a fresh id per embedded broker, which forgets everything when it stops), so two brokers' offset 0
are not taken for one record.

Events carry pseudonyms, never personal data (see agents/privacy), so neither does the archive.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from streams.topics import Topic

log = logging.getLogger(__name__)

SCHEMA = pa.schema(
    [
        ("epoch", pa.string()),
        ("topic", pa.string()),
        ("partition", pa.int32()),
        ("offset", pa.int64()),
        ("timestamp_ms", pa.int64()),
        ("key", pa.binary()),
        ("value", pa.binary()),
        ("headers", pa.string()),  # JSON list of [name, base64 value]
        ("type", pa.string()),  # the CloudEvent type, when the value is one
        ("basket_id", pa.string()),  # the record key as text
    ]
)
PRUNE_EVERY_S = 3600.0
ARCHIVED_TOPICS: tuple[Topic, ...] = tuple(topic for topic in Topic if not topic.spec.changelog)


@dataclass(frozen=True)
class ArchivedRecord:
    epoch: str
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    type: str | None
    basket_id: str | None

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp_ms / 1000, UTC)


def _type_of(value: bytes | None) -> str | None:
    if not value:
        return None
    try:
        kind = json.loads(value).get("type")
    except (ValueError, AttributeError):
        return None
    return kind if isinstance(kind, str) else None


def _row(epoch: str, record: Any) -> dict[str, Any]:
    headers = [[name, base64.b64encode(value or b"").decode()] for name, value in (record.headers or [])]
    return {
        "epoch": epoch,
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "timestamp_ms": record.timestamp,
        "key": record.key,
        "value": record.value,
        "headers": json.dumps(headers),
        "type": _type_of(record.value),
        "basket_id": record.key.decode("utf-8", "replace") if record.key else None,
    }


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class ArchiveWriter:
    """Buffers records per topic and day; `flush` makes them durable files."""

    root: Path
    epoch: str
    max_records: int = 5000
    max_age_s: float = 2.0
    _rows: dict[tuple[str, date, int], list[dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    _oldest: float | None = None
    _count: int = 0

    def add(self, record: Any) -> None:
        day = datetime.fromtimestamp(record.timestamp / 1000, UTC).date()
        self._rows[(record.topic, day, record.partition)].append(_row(self.epoch, record))
        self._count += 1
        if self._oldest is None:
            self._oldest = time.monotonic()

    @property
    def pending(self) -> int:
        return self._count

    def due(self) -> bool:
        if not self._count:
            return False
        return self._count >= self.max_records or time.monotonic() - (self._oldest or 0) >= self.max_age_s

    def flush(self) -> list[Path]:
        """Write every buffer to its own Parquet file, durably; returns the files written."""
        written = []
        for (topic, day, partition), rows in self._rows.items():
            folder = self.root / f"topic={topic}" / f"day={day.isoformat()}"
            folder.mkdir(parents=True, exist_ok=True)
            first, last = rows[0]["offset"], rows[-1]["offset"]
            final = folder / f"part-{self.epoch}-{partition}-{first:012d}-{last:012d}.parquet"
            draft = folder / f".{final.name}.{uuid.uuid4().hex[:8]}.tmp"
            pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), draft)
            with open(draft, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(draft, final)
            _fsync_dir(folder)
            written.append(final)
        self._rows.clear()
        self._count, self._oldest = 0, None
        return written


def archived_up_to(root: Path, epoch: str) -> dict[tuple[str, int], int]:
    """Per (topic, partition) of this log, the last offset the archive holds: the files are the
    archiver's committed offsets, so it needs no consumer group."""
    last: dict[tuple[str, int], int] = {}
    for path in root.glob(f"topic=*/day=*/part-{epoch}-*.parquet"):
        topic = path.parent.parent.name.removeprefix("topic=")
        _, _, partition, _, end = path.stem.rsplit("-", 4)
        key = (topic, int(partition))
        last[key] = max(last.get(key, -1), int(end))
    return last


async def run_archiver(
    bootstrap_servers: str,
    root: Path,
    epoch: str | None = None,
    stop: asyncio.Event | None = None,
    keep_days: int = 0,
    **limits: Any,
) -> None:
    """Archive every archived topic from where the archive ends (per partition) onwards. A record is
    "committed" once the file holding it is durable; after a crash the unflushed ones are read again.
    Days older than `keep_days` are deleted at start and then hourly (0 keeps everything)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, group_id=None, enable_auto_commit=False, fetch_max_wait_ms=100
    )
    await consumer.start()
    try:
        cluster_id = getattr(consumer._client.cluster, "cluster_id", None)
        epoch = epoch or (str(cluster_id).replace("-", "")[:22] if cluster_id else "log")
        writer = ArchiveWriter(root, epoch=epoch, **limits)
        assigned: set[TopicPartition] = set()
        pruned_at = -PRUNE_EVERY_S
        while stop is None or not stop.is_set():
            if keep_days and time.monotonic() - pruned_at >= PRUNE_EVERY_S:
                for folder in await asyncio.to_thread(prune_archive, root, keep_days):
                    log.info("archive: %s is older than %d days: deleted", folder, keep_days)
                pruned_at = time.monotonic()
            wanted = {
                TopicPartition(topic.topic_name, partition)
                for topic in ARCHIVED_TOPICS
                for partition in (consumer.partitions_for_topic(topic.topic_name) or ())
            }
            if wanted != assigned:  # topics created (or partitions added) since: take them on
                positions = {tp: await consumer.position(tp) for tp in assigned}
                done = archived_up_to(root, epoch)
                consumer.assign(sorted(wanted, key=lambda tp: (tp.topic, tp.partition)))
                for tp in wanted:
                    if tp in positions:
                        consumer.seek(tp, positions[tp])
                    elif (tp.topic, tp.partition) in done:
                        consumer.seek(tp, done[(tp.topic, tp.partition)] + 1)
                    else:
                        await consumer.seek_to_beginning(tp)
                assigned = wanted
            for records in (await consumer.getmany(timeout_ms=200, max_records=2000)).values():
                for record in records:
                    writer.add(record)
            if writer.due():
                await asyncio.to_thread(writer.flush)
            if not assigned:
                await consumer._client.force_metadata_update()
                await asyncio.sleep(1.0)
        if writer.pending:
            await asyncio.to_thread(writer.flush)
    finally:
        await consumer.stop()


# --- keeping less ---------------------------------------------------------------------------------


def prune_archive(root: Path, keep_days: int, today: date | None = None) -> list[Path]:
    """Delete the days older than `keep_days` (0 keeps everything); returns the folders deleted."""
    if keep_days <= 0 or not root.exists():
        return []
    cutoff = (today or datetime.now(UTC).date()).toordinal() - keep_days
    deleted = []
    for folder in sorted(root.glob("topic=*/day=*")):
        try:
            day = date.fromisoformat(folder.name.removeprefix("day="))
        except ValueError:
            continue
        if day.toordinal() < cutoff:
            for file in folder.iterdir():
                file.unlink()
            folder.rmdir()
            deleted.append(folder)
    return deleted


def rewrite_archive(root: Path, baskets: Iterable[str], rewrite: Callable[[bytes], bytes]) -> int:
    """Rewrite the value of every archived record of `baskets` (e.g. to drop a person's sealed data),
    file by file (a temporary file, fsynced, renamed over the old one); returns the records rewritten."""
    wanted = set(baskets)
    if not wanted or not root.exists():
        return 0
    changed = 0
    for path in sorted(root.glob("topic=*/day=*/part-*.parquet")):
        table = pq.read_table(path, schema=SCHEMA)
        ids = table.column("basket_id").to_pylist()
        if not wanted.intersection(ids):
            continue
        rows = table.to_pylist()
        for row in rows:
            if row["basket_id"] in wanted and row["value"] is not None:
                new = rewrite(row["value"])
                if new != row["value"]:
                    row["value"] = new
                    changed += 1
        draft = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), draft)
        with open(draft, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(draft, path)
        _fsync_dir(path.parent)
    return changed


# --- reading --------------------------------------------------------------------------------------


def read_archive(
    root: Path,
    topics: Iterable[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    baskets: Iterable[str] | None = None,
) -> Iterator[ArchivedRecord]:
    """The archived records, repeats dropped, in log order (time, then partition and offset)."""
    if not root.exists() or not any(root.glob("topic=*")):
        return iter(())
    dataset = ds.dataset(root, format="parquet", partitioning="hive", schema=_READ_SCHEMA)
    condition = None

    def both(expression: Any) -> None:
        nonlocal condition
        condition = expression if condition is None else condition & expression

    if topics is not None:
        both(ds.field("topic").isin(list(topics)))
    if since is not None:
        both(ds.field("timestamp_ms") >= int(since.timestamp() * 1000))
    if until is not None:
        both(ds.field("timestamp_ms") < int(until.timestamp() * 1000))
    if baskets is not None:
        both(ds.field("basket_id").isin(list(baskets)))
    table = dataset.to_table(filter=condition, columns=SCHEMA.names)
    rows = table.to_pylist()
    seen: set[tuple[str, str, int, int]] = set()
    unique = []
    for row in rows:
        mark = (row["epoch"], row["topic"], row["partition"], row["offset"])
        if mark not in seen:
            seen.add(mark)
            unique.append(row)
    unique.sort(key=lambda r: (r["timestamp_ms"], r["epoch"], r["topic"], r["partition"], r["offset"]))
    return (
        ArchivedRecord(
            epoch=r["epoch"], topic=r["topic"], partition=r["partition"], offset=r["offset"],
            timestamp_ms=r["timestamp_ms"], key=r["key"], value=r["value"],
            headers=[(name, base64.b64decode(value)) for name, value in json.loads(r["headers"] or "[]")],
            type=r["type"], basket_id=r["basket_id"],
        )
        for r in unique
    )  # fmt: skip


_READ_SCHEMA = pa.schema([*SCHEMA, pa.field("day", pa.string())])

"""Where replay and the reports read the log from: the archive, or a Kafka cluster (every partition of
every archived topic, from the beginning or from a time, to the end as it stands now)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime

from streams.archive import ARCHIVED_TOPICS, ArchivedRecord


async def _read_kafka(
    bootstrap_servers: str, topics: list[str], since: datetime | None
) -> list[ArchivedRecord]:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, partition)
            for topic in topics
            for partition in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return []
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        cutoff = int(since.timestamp() * 1000) if since else None
        records: list[ArchivedRecord] = []
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            for tp, batch in (await consumer.getmany(*remaining, timeout_ms=1000, max_records=5000)).items():
                for r in batch:
                    if r.offset >= ends[tp]:
                        continue
                    if cutoff is None or r.timestamp >= cutoff:
                        records.append(
                            ArchivedRecord(
                                epoch="kafka", topic=r.topic, partition=r.partition, offset=r.offset,
                                timestamp_ms=r.timestamp, key=r.key, value=r.value,
                                headers=[(k, v) for k, v in (r.headers or [])], type=None,
                                basket_id=r.key.decode("utf-8", "replace") if r.key else None,
                            )
                        )  # fmt: skip
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        records.sort(key=lambda r: (r.timestamp_ms, r.topic, r.partition, r.offset))
        return records
    finally:
        await consumer.stop()


def read_kafka(
    bootstrap_servers: str, topics: Iterable[str] | None = None, since: datetime | None = None
) -> list[ArchivedRecord]:
    names = list(topics) if topics is not None else [t.topic_name for t in ARCHIVED_TOPICS]
    return asyncio.run(_read_kafka(bootstrap_servers, names, since))

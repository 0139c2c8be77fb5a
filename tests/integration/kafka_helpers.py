"""Small aiokafka helpers for integration tests."""

from __future__ import annotations

import time
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import ConsumerRecord

from streams.topics import Topic


async def produce(bootstrap: str, topic: Topic, key: bytes, value: bytes | None) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic.topic_name, value, key=key)
    finally:
        await producer.stop()


async def collect(
    bootstrap: str,
    topics: list[Topic],
    until: Callable[[list[ConsumerRecord[bytes, bytes]]], bool],
    timeout_s: float = 60.0,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read `topics` from the beginning until `until(records)` is true or the timeout passes."""
    consumer = AIOKafkaConsumer(
        *(t.topic_name for t in topics),
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            for batch in (await consumer.getmany(timeout_ms=300)).values():
                records.extend(batch)
            if until(records):
                break
    finally:
        await consumer.stop()
    return records

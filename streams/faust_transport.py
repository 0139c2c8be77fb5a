"""Faust's aiokafka transport with one knob Faust hard-codes: the consumer's fetch wait.

Faust asks every fetch to wait up to 1.5 s for data. A Kafka broker answers as soon as data arrives,
but the embedded broker (tansu 0.6.0) holds a fetch over several partitions for the whole wait, so
each hop of a basket took about 0.75 s (measured: 1.23 s per record for a consumer of all 12
topics at 1500 ms, 36 ms at 100 ms). `consumer_fetch_max_wait_ms` sets it.
"""

from __future__ import annotations

from typing import Any

import faust
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread, Consumer, Transport


class _ConsumerThread(AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        wait_ms = getattr(self.app, "fetch_max_wait_ms", None)
        if wait_ms is not None:
            consumer._fetch_max_wait_ms = wait_ms  # read when the consumer starts its fetcher
        return consumer


class _Consumer(Consumer):
    def _new_consumer_thread(self) -> AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class _Transport(Transport):
    Consumer = _Consumer


class FaustApp(faust.App):
    """faust.App whose consumer waits at most `fetch_max_wait_ms` per fetch."""

    fetch_max_wait_ms: int | None = None

    def _new_transport(self) -> Any:
        return _Transport(self.conf.broker_consumer, self)

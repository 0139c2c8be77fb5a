"""Faust's aiokafka transport with the knob Faust hard-codes: the consumer's fetch wait, and a shorter
wait while work is flowing.

Faust asks every fetch to wait up to 1.5 s for data. A Kafka broker answers as soon as data arrives,
but the embedded broker (tansu 0.6.0) holds a fetch over several partitions for the whole wait, so
each hop of a basket took about 0.75 s (measured: 1.23 s per record for a consumer of all 12
topics at 1500 ms, 36 ms at 100 ms). `consumer_fetch_max_wait_ms` sets the wait while idle;
`consumer_fetch_busy_wait_ms` (unset by default; 5 ms for the workers Kitting starts on its embedded
broker, streams/runtime.py) the wait for a moment after this worker received or
produced records, when the next record is likely close behind: a basket's hops then wait a few
milliseconds each instead of up to the idle wait, and an idle worker still asks rarely. A loaded worker
(more than LIGHT_BACKLOG records received and not yet handled) keeps the idle wait: its next records
are already in hand, and short fetches would only spin (measured: +25% CPU per basket for 200 baskets
at once with a 5 ms wait throughout).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import faust
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread, Consumer, Transport

BUSY_WINDOW_S = 1.0  # how long after the last record received or produced the busy wait applies
LIGHT_BACKLOG = 8  # records in hand up to which a worker is waiting on its next hop, not loaded


class _ConsumerThread(AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        app = self.app
        if isinstance(app, FaustApp):
            app.consumers.append(consumer)
            if app.fetch_max_wait_ms is not None:
                consumer._fetch_max_wait_ms = app.fetch_max_wait_ms  # read when its fetcher starts
        return consumer


class _Consumer(Consumer):
    def _new_consumer_thread(self) -> AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class _Transport(Transport):
    Consumer = _Consumer


class FaustApp(faust.App):
    """faust.App whose consumer waits at most `fetch_max_wait_ms` per fetch, and `fetch_busy_wait_ms`
    while `busy()` was called in the last BUSY_WINDOW_S."""

    fetch_max_wait_ms: int | None = None
    fetch_busy_wait_ms: int | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.consumers: list[Any] = []  # the aiokafka consumers of this app's consumer thread
        self._busy_until = 0.0
        self._calm_down: asyncio.TimerHandle | None = None
        self._short = False  # fetching with the busy wait now
        self.in_hand = 0  # records the agents have taken and not yet handled
        self.queues: list[Any] = []  # the agents' queues of records received and not yet taken

    def _new_transport(self) -> Any:
        return _Transport(self.conf.broker_consumer, self)

    def busy(self) -> None:
        """Records are flowing: fetch with the short wait for the next BUSY_WINDOW_S, unless the worker
        is loaded (then with the idle wait). Cheap to call often."""
        idle_wait, busy_wait = self.fetch_max_wait_ms, self.fetch_busy_wait_ms
        if busy_wait is None or idle_wait is None or busy_wait == idle_wait:
            return  # no short wait, or no idle wait of ours to come back to
        self._busy_until = time.monotonic() + BUSY_WINDOW_S
        short = self.backlog() <= LIGHT_BACKLOG
        if short != self._short:
            self._short = short
            self._set_wait(busy_wait if short else idle_wait)
        if self._calm_down is None:
            self._calm_down = asyncio.get_running_loop().call_later(BUSY_WINDOW_S, self._calm)

    def backlog(self) -> int:
        """Records this worker has received and not yet handled."""
        return self.in_hand + sum(queue.qsize() for queue in self.queues)

    def _calm(self) -> None:
        left = self._busy_until - time.monotonic()
        if left > 0:
            self._calm_down = asyncio.get_running_loop().call_later(left, self._calm)
            return
        self._calm_down = None
        if self._short and self.fetch_max_wait_ms is not None:
            self._short = False
            self._set_wait(self.fetch_max_wait_ms)

    def _set_wait(self, wait_ms: int) -> None:
        """Every fetch request is built with its fetcher's current wait (aiokafka reads it per request; the
        consumer thread reads a plain int, so setting it from this thread is safe)."""
        for consumer in self.consumers:
            consumer._fetch_max_wait_ms = wait_ms
            fetcher = getattr(consumer, "_fetcher", None)
            if fetcher is not None:
                fetcher._fetch_max_wait_ms = wait_ms

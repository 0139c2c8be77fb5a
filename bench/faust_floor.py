"""The stack's own floor: what one event costs a Faust worker that does nothing with it.

A Faust worker made as Kitting's workers are (`streams.faust_transport.FaustApp`, the same producer and
consumer settings) relays every record of one topic to another: its agent takes the records already in
its queue as one batch (as `KittingApp.consume` does), queues each with the producer, waits for the
broker's answers and acks them. No decoding, no SQL, no handler. Its CPU per event, times the events of
a basket (`--events-per-basket`, 36 as bench/pipeline.py counts them), is what any basket costs on this
stack before Kitting does anything; bench/pipeline.py's `overhead` cannot go below it over `floor_ms`.

    python bench/faust_floor.py [--events 20000] [--events-per-basket 36]

Prints one JSON line: events, seconds, events_per_s, worker_cpu_ms_per_event, broker_cpu_ms_per_event,
worker_cpu_ms_per_basket (per event times events per basket).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pipeline import progress, tree_cpu_s  # bench/pipeline.py: run as `python bench/faust_floor.py`

from streams.broker import EmbeddedBroker
from streams.settings import Settings

TOPIC_IN, TOPIC_OUT = "faust-floor-in", "faust-floor-out"


def relay(bootstrap: str) -> None:
    """The child: a Faust worker relaying TOPIC_IN to TOPIC_OUT, as Kitting's agents take records."""
    import faust

    from streams.faust_transport import FaustApp

    settings = Settings()
    app = FaustApp(
        f"faust-floor-{os.getpid()}",
        broker=f"kafka://{bootstrap}",
        store="memory://",
        datadir=tempfile.mkdtemp(prefix="faust-floor-"),
        autodiscover=False,
        web_enabled=False,
        topic_partitions=1,
        topic_allow_declare=False,
        broker_session_timeout=settings.broker_session_timeout_s,
        broker_heartbeat_interval=settings.broker_heartbeat_interval_s,
        producer_max_batch_size=settings.producer_max_batch_size,
        consumer_auto_offset_reset="earliest",
    )
    app.fetch_max_wait_ms = settings.consumer_fetch_max_wait_ms
    source = app.topic(
        TOPIC_IN, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
    )
    batch_max = settings.consumer_batch_max

    async def agent(stream: Any) -> None:
        manual = stream.noack()
        queue = manual.channel.queue
        batch: list[Any] = []
        async for event in manual.events():
            batch.append(event)
            if len(batch) < batch_max and not queue.empty():
                continue
            sent = [
                await app.producer.send(TOPIC_OUT, e.message.key, e.message.value, None, None, None)
                for e in batch
            ]
            for answer in sent:
                await answer
            for done in batch:
                await manual.ack(done)
            batch = []

    agent.__name__ = "relay"
    app.agent(source, name="relay")(agent)
    faust.Worker(app, loglevel="WARNING", quiet=True).execute_from_commandline()


async def fill(bootstrap: str, events: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, 1, 1) for name in (TOPIC_IN, TOPIC_OUT)])
    finally:
        await admin.close()
    payload = json.dumps({"id": "x" * 36, "type": "bench.floor.v1", "data": {"pad": "y" * 400}}).encode()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        for i in range(events):
            await producer.send(TOPIC_IN, payload, key=str(i).encode())
        await producer.flush()
    finally:
        await producer.stop()


async def watch(bootstrap: str, events: int, worker_pid: int, broker_pid: int) -> dict[str, float]:
    """Wait for the first relayed record, then time and meter the rest."""
    consumer = AIOKafkaConsumer(
        TOPIC_OUT, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        seen, start = 0, None
        cpu_at: tuple[float, float] = (0.0, 0.0)
        last_report = time.monotonic()
        while seen < events:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                if start is None and records:
                    start, seen = time.perf_counter(), seen + len(records)
                    cpu_at = (tree_cpu_s(worker_pid), tree_cpu_s(broker_pid))
                    counted_from = seen
                    continue
                seen += len(records)
            if time.monotonic() - last_report > 5:
                progress(f"{seen}/{events} relayed")
                last_report = time.monotonic()
        assert start is not None
        moved = seen - counted_from
        return {
            "events": moved,
            "seconds": time.perf_counter() - start,
            "worker_cpu_s": tree_cpu_s(worker_pid) - cpu_at[0],
            "broker_cpu_s": tree_cpu_s(broker_pid) - cpu_at[1],
        }
    finally:
        await consumer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--events-per-basket", type=int, default=36)
    parser.add_argument("--relay", metavar="BOOTSTRAP", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.relay:
        relay(args.relay)
        return
    with tempfile.TemporaryDirectory(prefix="kitting-faust-floor-") as tmp:
        broker = EmbeddedBroker(log_path=Path(tmp) / "broker.log").start()
        worker = None
        try:
            assert broker.process is not None
            progress(f"filling {TOPIC_IN} with {args.events} records")
            asyncio.run(fill(broker.bootstrap_servers, args.events))
            progress("starting the relaying Faust worker")
            with open(Path(tmp) / "worker.log", "wb") as log:
                worker = subprocess.Popen(
                    [sys.executable, __file__, "--relay", broker.bootstrap_servers],
                    stdout=log, stderr=subprocess.STDOUT, cwd=tmp,
                )  # fmt: skip
                measured = asyncio.run(
                    watch(broker.bootstrap_servers, args.events, worker.pid, broker.process.pid)
                )
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=30)
            broker.stop()
    per_event = measured["worker_cpu_s"] * 1000 / measured["events"]
    print(
        json.dumps(
            {
                "events": measured["events"],
                "seconds": round(measured["seconds"], 2),
                "events_per_s": round(measured["events"] / measured["seconds"], 1),
                "worker_cpu_ms_per_event": round(per_event, 3),
                "broker_cpu_ms_per_event": round(measured["broker_cpu_s"] * 1000 / measured["events"], 3),
                "worker_cpu_ms_per_basket": round(per_event * args.events_per_basket, 1),
            }
        )
    )


if __name__ == "__main__":
    main()

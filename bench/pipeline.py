"""Pipeline benchmark: N baskets through every role on the embedded broker (or the configured one),
and, in the same run and on the same broker, a raw aiokafka consume-and-produce pass-through.

Prints one JSON line: baskets_per_s, events_per_s, p50_ms, p99_ms (browse to completion, for N
baskets sent at once, so queueing is included), request_to_selection_p50/p99_ms (broker timestamps
of a basket's first quote request and of its providers-selected decision), alone_p50_ms /
alone_p99_ms (baskets sent one at a time), raw_passthrough_per_s and ratio (events_per_s / raw),
worker_cpu_ms_per_basket (the worker and its sandbox processes, during the N baskets) and
cpu_ms_per_basket_beside (the broker, every PostgreSQL process on the machine, this bench), floor_ms (one
basket's own work, bench/floor.py, measured in this run) and overhead (the one over the other);
floor_cold_ms and overhead_cold: the same with nothing kept from basket to basket.
`--database postgres` runs the worker on a fresh PostgreSQL database (KITTING_TEST_POSTGRES_URL, or
postgres@127.0.0.1:5432), dropped afterwards; `--workers N --partitions P` runs N workers in one
consumer group over topics of P partitions (the CPU per basket is then theirs together).
Quote rounds close when every shop has answered, so no deadline is waited for: it is set far away,
and a basket that needed it would time out.

    python bench/pipeline.py [--baskets 200] [--raw-messages 20000] [--database sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from floor import floor_ms  # bench/floor.py: run as `python bench/pipeline.py`

from agents.cli.demo import browse_event
from agents.cli.processes import spawn_worker
from agents.privacy.demo_customer import seed_demo_customer
from streams.broker import EmbeddedBroker, ensure_topics
from streams.codec import encode_key
from streams.migrate import upgrade
from streams.processes import stop_process
from streams.runtime import EMBEDDED_FETCH_BUSY_WAIT_MS
from streams.topics import Topic

RUN = uuid.uuid4().hex[:8]
RAW_IN, RAW_OUT = f"bench-raw-in-{RUN}", f"bench-raw-out-{RUN}"  # benchmark-only topics, not Kitting's


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _process_stats() -> dict[int, tuple[str, list[str]]]:
    """Every process now: its name and the fields of /proc/PID/stat after the name."""
    stats: dict[int, tuple[str, list[str]]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                text = (entry / "stat").read_text()
            except OSError:
                continue
            stats[int(entry.name)] = (
                text[text.index("(") + 1 : text.rindex(")")],
                text[text.rindex(")") + 2 :].split(),
            )
    return stats


def tree_cpu_s(pid: int) -> float:
    """CPU seconds of a process and every descendant still running, and of those it has reaped."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats = _process_stats()
    children: dict[int, list[int]] = {}
    for child, (_, row) in stats.items():
        children.setdefault(int(row[1]), []).append(child)
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        if current not in stats:
            continue
        fields = stats[current][1]
        total += sum(int(fields[i]) for i in (11, 12, 13, 14)) / ticks  # utime stime cutime cstime
        todo.extend(children.get(current, []))
    return total


def processes_cpu_s(comm: str) -> float:
    """CPU seconds of every process named `comm` (e.g. PostgreSQL's server and backends)."""
    ticks = os.sysconf("SC_CLK_TCK")
    return sum((int(f[11]) + int(f[12])) / ticks for name, f in _process_stats().values() if name == comm)


@contextmanager
def database_for(kind: str, folder: str) -> Iterator[str]:
    if kind == "sqlite":
        yield os.environ.get("KITTING_DATABASE_URL", f"sqlite:///{folder}/bench.db")
        return
    import psycopg

    admin = os.environ.get("KITTING_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"kitting_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        base = admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def run_baskets(
    bootstrap: str,
    count: int,
    one_by_one: int,
    timeout_s: float,
    key: bytes,
    cpu: Callable[[], float],
    others: Callable[[], dict[str, float]],
) -> dict[str, Any]:
    consumer = AIOKafkaConsumer(
        *(t.topic_name for t in Topic),
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await consumer.start()
    await producer.start()
    try:
        await _wait_for(
            consumer, producer, [f"warm-up-{RUN}"], timeout_s, key
        )  # group join, imports, first queries
        progress(f"warm-up basket completed; {one_by_one} baskets one at a time")
        alone_ms = [
            (await _wait_for(consumer, producer, [f"alone-{RUN}-{i:04d}"], timeout_s, key))["p50_ms"]
            for i in range(one_by_one)
        ]
        progress(f"sending {count} baskets at once")
        ids = [f"bench-{RUN}-{i:05d}" for i in range(count)]
        cpu_before, others_before = cpu(), others()
        burst = await _wait_for(consumer, producer, ids, timeout_s, key)
        await asyncio.sleep(1.0)  # the last events relayed
        others_after = others()
        return {
            **burst,
            "worker_cpu_ms_per_basket": (cpu() - cpu_before) * 1000 / count,
            "cpu_ms_per_basket_beside": {
                name: round((others_after[name] - others_before[name]) * 1000 / count, 1)
                for name in others_after
            },
            "alone_p50_ms": statistics.median(alone_ms),
            "alone_p99_ms": percentile(alone_ms, 0.99),
        }
    finally:
        await producer.stop()
        await consumer.stop()


async def _wait_for(
    consumer: AIOKafkaConsumer, producer: AIOKafkaProducer, ids: list[str], timeout_s: float, key: bytes
) -> dict[str, Any]:
    wanted = {encode_key(basket): basket for basket in ids}
    sent_at: dict[str, float] = {}
    done_at: dict[str, float] = {}
    asked_ms: dict[str, int] = {}  # broker timestamp of a basket's first quote request
    selected_ms: dict[str, int] = {}  # ... and of its providers-selected decision
    providers: list[int] = []
    events = 0
    by_topic: Counter[str] = Counter()
    started = time.time()
    for basket in ids:
        await producer.send(
            Topic.METHOD_BROWSED.topic_name, browse_event(basket, key=key), key=encode_key(basket)
        )
        sent_at[basket] = time.time()
    await producer.flush()
    deadline = time.monotonic() + timeout_s
    last_report = time.monotonic()
    while len(done_at) < len(ids):
        if time.monotonic() > deadline:
            raise SystemExit(f"timeout: {len(done_at)} of {len(ids)} baskets finished")
        for records in (await consumer.getmany(timeout_ms=200)).values():
            for record in records:
                owner = wanted.get(record.key or b"")
                if owner is None:
                    continue
                events += 1
                by_topic[record.topic] += 1
                if record.topic == Topic.QUOTE_REQUESTED.topic_name:
                    asked_ms.setdefault(owner, record.timestamp)
                elif record.topic == Topic.PROVIDERS_SELECTED.topic_name:
                    selected_ms[owner] = record.timestamp
                    providers.append(len(json.loads(record.value or b"{}")["data"]["providers"]))
                elif record.topic == Topic.BASKET_STATUS.topic_name:
                    status = json.loads(record.value or b"{}")["data"]["status"]
                    if status == "failed":
                        raise SystemExit(f"basket {owner} failed: {record.value!r}")
                    if status == "completed":  # when the worker said so, not when this observer heard it
                        done_at[owner] = record.timestamp / 1000
        if time.monotonic() - last_report > 5:
            progress(f"{len(done_at)}/{len(ids)} baskets completed")
            last_report = time.monotonic()
    elapsed = max(done_at.values()) - started
    latencies_ms = [(done_at[b] - sent_at[b]) * 1000 for b in ids]
    selection_ms = [float(selected_ms[b] - asked_ms[b]) for b in ids]
    return {
        "request_to_selection_p50_ms": statistics.median(selection_ms),
        "request_to_selection_p99_ms": percentile(selection_ms, 0.99),
        "mean_providers_chosen": statistics.mean(providers),
        "baskets": len(ids),
        "events": events,
        "by_topic": {topic: round(n / len(ids), 2) for topic, n in sorted(by_topic.items())},
        "seconds": elapsed,
        "p50_ms": statistics.median(latencies_ms),
        "p99_ms": percentile(latencies_ms, 0.99),
    }


async def raw_passthrough(bootstrap: str, messages: int) -> float:
    """aiokafka alone: consume every record of one topic and produce it to another."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, 1, 1) for name in (RAW_IN, RAW_OUT)])
    finally:
        await admin.close()
    payload = json.dumps(
        {"id": "x" * 36, "type": "bench.raw.v1", "data": {"n": 1, "pad": "y" * 100}}
    ).encode()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        for i in range(messages):
            await producer.send(RAW_IN, payload, key=str(i).encode())
        await producer.flush()
        consumer = AIOKafkaConsumer(
            RAW_IN, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
        )
        await consumer.start()
        moved = 0
        started = time.perf_counter()
        try:
            while moved < messages:
                for records in (await consumer.getmany(timeout_ms=500, max_records=2000)).values():
                    for record in records:
                        await producer.send(RAW_OUT, record.value, key=record.key)
                        moved += 1
            await producer.flush()
        finally:
            await consumer.stop()
        return messages / (time.perf_counter() - started)
    finally:
        await producer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--baskets", type=int, default=200)
    parser.add_argument("--one-by-one", type=int, default=20, help="baskets sent alone, for unloaded latency")
    parser.add_argument("--raw-messages", type=int, default=20000)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--workers", type=int, default=1, help="worker processes in one consumer group")
    parser.add_argument(
        "--partitions", type=int, default=1, help="partitions of every topic (embedded broker)"
    )
    parser.add_argument(
        "--keep-logs", type=Path, help="copy the workers' and the broker's logs to this folder"
    )
    args = parser.parse_args()
    progress("timing the floor: one basket's own work, in this process")
    floor = floor_ms()

    configured = os.environ.get("KITTING_KAFKA_BOOTSTRAP_SERVERS")
    with tempfile.TemporaryDirectory(prefix="kitting-bench-") as tmp, database_for(args.database, tmp) as url:
        broker = None if configured else EmbeddedBroker(log_path=Path(tmp) / "broker.log").start()
        bootstrap = configured or (broker.bootstrap_servers if broker else "")
        workers = []
        try:
            asyncio.run(ensure_topics(bootstrap, None if configured else args.partitions))
            env = dict(os.environ)
            env.update(
                KITTING_KAFKA_BOOTSTRAP_SERVERS=bootstrap,
                KITTING_DATABASE_URL=url,
                KITTING_APP_ID=f"kitting-bench-{os.getpid()}",
                KITTING_QUOTE_DEADLINE_S="600",
                KITTING_VAULT_KEY=os.environ.get(
                    "KITTING_VAULT_KEY", base64.b64encode(os.urandom(32)).decode()
                ),
                KITTING_VAR_DIR=os.environ.get("KITTING_VAR_DIR", f"{tmp}/var"),
            )
            if not configured:  # the workers' tables are declared with the topics' own partition count
                env["KITTING_TOPIC_PARTITIONS"] = str(args.partitions)
                env.setdefault("KITTING_CONSUMER_FETCH_BUSY_WAIT_MS", str(EMBEDDED_FETCH_BUSY_WAIT_MS))
            upgrade(env["KITTING_DATABASE_URL"])  # the demo customer the baskets name
            seed_demo_customer(env["KITTING_DATABASE_URL"], base64.b64decode(env["KITTING_VAULT_KEY"]))
            progress(f"broker {bootstrap}; starting {args.workers} worker(s), {args.partitions} partition(s)")
            workers = [spawn_worker(env, Path(tmp) / f"worker{n}.log") for n in range(args.workers)]
            key = base64.b64decode(env["KITTING_VAULT_KEY"])
            pids = [worker.pid for worker in workers]
            progress(f"worker pid(s) {' '.join(str(pid) for pid in pids)}")
            baskets = asyncio.run(
                run_baskets(
                    bootstrap, args.baskets, args.one_by_one, args.timeout, key,
                    lambda: sum(tree_cpu_s(pid) for pid in pids),
                    lambda: {
                        "broker": tree_cpu_s(broker.process.pid) if broker and broker.process else 0.0,
                        "postgres": processes_cpu_s("postgres"),
                        "bench": sum(os.times()[:2]),  # this process alone
                    },
                )
            )  # fmt: skip
            progress(f"pipeline done; raw aiokafka pass-through of {args.raw_messages} records")
            raw = asyncio.run(raw_passthrough(bootstrap, args.raw_messages))
        finally:
            for worker in workers:
                stop_process(worker)
            if broker:
                broker.stop()
            if args.keep_logs:
                args.keep_logs.mkdir(parents=True, exist_ok=True)
                for log_file in Path(tmp).glob("*.log"):
                    shutil.copy(log_file, args.keep_logs / log_file.name)
    events_per_s = baskets["events"] / baskets["seconds"]
    print(
        json.dumps(
            {
                "baskets": baskets["baskets"],
                "events": baskets["events"],
                "events_per_basket": baskets["by_topic"],
                "baskets_per_s": round(baskets["baskets"] / baskets["seconds"], 2),
                "events_per_s": round(events_per_s, 1),
                "p50_ms": round(baskets["p50_ms"], 1),
                "p99_ms": round(baskets["p99_ms"], 1),
                "request_to_selection_p50_ms": round(baskets["request_to_selection_p50_ms"], 1),
                "request_to_selection_p99_ms": round(baskets["request_to_selection_p99_ms"], 1),
                "mean_providers_chosen": round(baskets["mean_providers_chosen"], 2),
                "alone_p50_ms": round(baskets["alone_p50_ms"], 1),
                "alone_p99_ms": round(baskets["alone_p99_ms"], 1),
                "raw_passthrough_per_s": round(raw, 1),
                "ratio": round(events_per_s / raw, 4),
                "worker_cpu_ms_per_basket": round(baskets["worker_cpu_ms_per_basket"], 1),
                "cpu_ms_per_basket_beside": baskets["cpu_ms_per_basket_beside"],
                "floor_ms": floor["floor_ms"],
                "overhead": round(baskets["worker_cpu_ms_per_basket"] / floor["floor_ms"], 2),
                "floor_cold_ms": floor["floor_cold_ms"],
                "overhead_cold": round(baskets["worker_cpu_ms_per_basket"] / floor["floor_cold_ms"], 2),
                "floor": floor,
                "database": args.database,
                "workers": args.workers,
                "partitions": args.partitions,
                "broker": "configured" if configured else "embedded",
            }
        )
    )


if __name__ == "__main__":
    main()

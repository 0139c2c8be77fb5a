"""Running Kitting's processes: the broker in use (embedded or configured) and the children it starts.

Every child is started in its own session, asked to die with its parent (Linux PDEATHSIG) and
stopped by its pid when Kitting exits, on Ctrl-C and on errors alike.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from streams.broker import EmbeddedBroker, ensure_topics
from streams.processes import stop_process
from streams.settings import Settings

EMBEDDED_FETCH_BUSY_WAIT_MS = 5  # the embedded broker holds a fetch for its whole wait: keep it short
# while a basket's hops follow one another (a loaded worker keeps the long wait: streams/faust_transport)


@dataclass(frozen=True)
class BrokerInUse:
    bootstrap_servers: str
    embedded_pid: int | None = None
    log_epoch: str | None = None  # an embedded broker's log lives as long as it: a fresh id per start


@contextmanager
def broker_in_use(settings: Settings, log_dir: Path, announce: bool = True) -> Iterator[BrokerInUse]:
    """The configured cluster, or an embedded broker started here and stopped when the block ends."""
    if settings.kafka_bootstrap_servers:
        asyncio.run(
            ensure_topics(
                settings.kafka_bootstrap_servers, settings.topic_partitions, settings.topic_replication_factor
            )
        )
        yield BrokerInUse(settings.kafka_bootstrap_servers)
        return
    log_dir.mkdir(parents=True, exist_ok=True)
    broker = EmbeddedBroker(port=settings.embedded_broker_port, log_path=log_dir / "broker.log")
    with broker:
        assert broker.process is not None
        pid = broker.process.pid
        if announce:
            print(
                f"embedded broker (tansu, memory storage) pid {pid} on {broker.bootstrap_servers}",
                file=sys.stderr,
            )
        asyncio.run(ensure_topics(broker.bootstrap_servers, settings.topic_partitions))
        yield BrokerInUse(broker.bootstrap_servers, pid, uuid.uuid4().hex[:16])


def child_env(
    settings: Settings, bootstrap_servers: str, log_epoch: str | None = None, **overrides: str
) -> dict[str, str]:
    env = dict(os.environ)
    env["KITTING_KAFKA_BOOTSTRAP_SERVERS"] = bootstrap_servers
    if log_epoch:
        env["KITTING_LOG_EPOCH"] = log_epoch
    env["KITTING_DATABASE_URL"] = settings.database_url
    if settings.embedded_broker and settings.consumer_fetch_busy_wait_ms is None:
        env["KITTING_CONSUMER_FETCH_BUSY_WAIT_MS"] = str(EMBEDDED_FETCH_BUSY_WAIT_MS)
    env.update(overrides)
    return env


@contextmanager
def children() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Collect started children; stop every one of them when the block ends, however it ends."""
    started: list[subprocess.Popen[bytes]] = []
    try:
        yield started
    finally:
        for process in reversed(started):
            stop_process(process)

"""Integration fixtures: a real broker (embedded, or KITTING_KAFKA_BOOTSTRAP_SERVERS), a real
PostgreSQL database, and `kitting worker` subprocesses."""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from agents.privacy.demo_customer import seed_demo_customer
from streams.broker import EmbeddedBroker, ensure_topics
from streams.migrate import upgrade
from streams.processes import spawn, stop_process

POSTGRES_ADMIN_URL = os.environ.get(
    "KITTING_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="module")
def bootstrap() -> Iterator[str]:
    """A broker for this module: the configured cluster, or a fresh embedded one."""
    configured = os.environ.get("KITTING_KAFKA_BOOTSTRAP_SERVERS")
    if configured:
        asyncio.run(ensure_topics(configured, None))
        yield configured
        return
    with EmbeddedBroker() as broker:
        asyncio.run(ensure_topics(broker.bootstrap_servers, 1))
        yield broker.bootstrap_servers


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards."""
    name = f"kitting_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL does not answer at {POSTGRES_ADMIN_URL}: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    yield f"{base}/{name}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


TEST_VAULT_KEY = base64.b64encode(bytes(range(32, 64))).decode()
WorkerFactory = Callable[..., subprocess.Popen[bytes]]


@pytest.fixture
def start_worker(tmp_path: Path, bootstrap: str) -> Iterator[WorkerFactory]:
    """Start `kitting worker` subprocesses against the module's broker; all are stopped afterwards."""
    started: list[subprocess.Popen[bytes]] = []

    def start(database_url: str | None = None, **env_overrides: str) -> subprocess.Popen[bytes]:
        env = dict(os.environ)
        env.update(
            KITTING_KAFKA_BOOTSTRAP_SERVERS=bootstrap,
            KITTING_DATABASE_URL=database_url or f"sqlite:///{tmp_path / 'worker.db'}",
            KITTING_APP_ID=f"kitting-it-{uuid.uuid4().hex[:8]}",
            KITTING_QUOTE_DEADLINE_S="3",
            KITTING_VAULT_KEY=TEST_VAULT_KEY,
            KITTING_VAR_DIR=str(tmp_path / "var"),
        )
        if not os.environ.get("KITTING_KAFKA_BOOTSTRAP_SERVERS"):
            env["KITTING_TOPIC_PARTITIONS"] = "1"  # as the module's embedded broker made them
        env.update(env_overrides)
        upgrade(env["KITTING_DATABASE_URL"])  # the demo customer for the demo baskets
        seed_demo_customer(env["KITTING_DATABASE_URL"], base64.b64decode(env["KITTING_VAULT_KEY"]))
        process = spawn(
            [sys.executable, "-m", "agents.cli", "worker"], env, tmp_path / f"worker{len(started)}.log"
        )
        started.append(process)
        return process

    yield start
    for process in started:
        stop_process(process)
    for log in tmp_path.glob("worker*.log"):
        print(f"--- {log.name} ---\n{log.read_text()[-3000:]}")

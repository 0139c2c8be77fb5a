"""Two `kitting worker` replicas in one consumer group, three partitions, one PostgreSQL database:
the partitions are shared out and every basket completes exactly once."""

from __future__ import annotations

import asyncio
import base64
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka.structs import ConsumerRecord
from sqlalchemy import create_engine, text

from agents.cli.demo import browse_event
from agents.privacy.demo_customer import seed_demo_customer
from streams.broker import EmbeddedBroker, ensure_topics
from streams.migrate import upgrade
from streams.processes import spawn, stop_process
from streams.topics import Topic
from tests.integration.conftest import TEST_VAULT_KEY
from tests.integration.kafka_helpers import collect, produce

PARTITIONS = 3
BASKETS = 12


@pytest.fixture
def partitioned_bootstrap() -> Iterator[str]:
    configured = os.environ.get("KITTING_KAFKA_BOOTSTRAP_SERVERS")
    if configured:
        pytest.skip("needs fresh topics with 3 partitions; runs on the embedded broker only")
    with EmbeddedBroker() as broker:
        asyncio.run(ensure_topics(broker.bootstrap_servers, PARTITIONS))
        yield broker.bootstrap_servers


def test_two_workers_share_the_work(partitioned_bootstrap: str, postgres_url: str, tmp_path: Path) -> None:
    env = dict(
        os.environ,
        KITTING_KAFKA_BOOTSTRAP_SERVERS=partitioned_bootstrap,
        KITTING_DATABASE_URL=postgres_url,
        KITTING_APP_ID=f"kitting-scale-{uuid.uuid4().hex[:6]}",
        KITTING_TOPIC_PARTITIONS=str(PARTITIONS),
        KITTING_VAULT_KEY=TEST_VAULT_KEY,
        KITTING_VAR_DIR=str(tmp_path / "var"),
    )
    upgrade(postgres_url)
    seed_demo_customer(postgres_url, base64.b64decode(TEST_VAULT_KEY))
    command = [sys.executable, "-m", "agents.cli", "worker"]
    workers = [spawn(command, env, tmp_path / f"worker{i}.log") for i in range(2)]
    try:
        baskets = [f"scale-{i:02d}" for i in range(BASKETS)]
        for basket in baskets:
            asyncio.run(
                produce(
                    partitioned_bootstrap,
                    Topic.METHOD_BROWSED,
                    basket.encode(),
                    browse_event(basket, key=base64.b64decode(TEST_VAULT_KEY)),
                )
            )

        def all_done(records: list[ConsumerRecord[bytes, bytes]]) -> bool:
            return len({r.key for r in records if b'"completed"' in (r.value or b"")}) >= BASKETS

        records = asyncio.run(collect(partitioned_bootstrap, [Topic.BASKET_STATUS], all_done, timeout_s=120))
        completed = [r.key for r in records if b'"completed"' in (r.value or b"")]
        assert sorted(completed) == sorted(b.encode() for b in baskets)  # each once
        assert {r.partition for r in records} == set(range(PARTITIONS))  # keys spread over partitions
        assert all(w.poll() is None for w in workers), "a worker died"
    finally:
        for worker in workers:
            stop_process(worker)
    engine = create_engine(postgres_url)
    with engine.connect() as connection:
        orders = connection.execute(text("select count(*) from orders")).scalar()
    engine.dispose()
    assert orders == BASKETS

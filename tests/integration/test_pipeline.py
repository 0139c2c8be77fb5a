"""A `kitting worker` on a real broker and a real PostgreSQL database: a basket completes, repeats
are no-ops, malformed records on every input topic are dead-lettered and the worker goes on."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable

from aiokafka.structs import ConsumerRecord
from sqlalchemy import create_engine, text

from agents.cli.demo import browse_event
from streams.handling import DLQ_HEADER_ERROR, DLQ_HEADER_TOPIC
from streams.topics import CONTRACT_TOPICS, Topic
from tests.integration.conftest import TEST_VAULT_KEY, WorkerFactory
from tests.integration.kafka_helpers import collect, produce

KEY = base64.b64decode(TEST_VAULT_KEY)
Records = list[ConsumerRecord[bytes, bytes]]

INPUT_TOPICS = [
    topic
    for topic in Topic
    if topic not in (Topic.BASKET_STATUS, Topic.ORDER_STATE, Topic.DEAD_LETTER) and not topic.spec.changelog
]


def basket_done(basket: str) -> Callable[[Records], bool]:
    def done(records: Records) -> bool:
        return any(
            r.topic == Topic.BASKET_STATUS.topic_name
            and r.key == basket.encode()
            and json.loads(r.value)["data"]["status"] in ("completed", "failed")
            for r in records
        )

    return done


def last_status(records: Records, basket: str) -> str:
    statuses = [
        json.loads(r.value)["data"]["status"]
        for r in records
        if r.topic == Topic.BASKET_STATUS.topic_name and r.key == basket.encode()
    ]
    return statuses[-1] if statuses else "none"


def test_basket_completes_on_postgres_and_a_repeat_changes_nothing(
    bootstrap: str, postgres_url: str, start_worker: WorkerFactory
) -> None:
    start_worker(postgres_url)
    raw = browse_event("it-basket-1", key=KEY)
    asyncio.run(produce(bootstrap, Topic.METHOD_BROWSED, b"it-basket-1", raw))
    records = asyncio.run(collect(bootstrap, list(Topic), basket_done("it-basket-1"), timeout_s=90))
    assert last_status(records, "it-basket-1") == "completed"
    mine = [r for r in records if r.key == b"it-basket-1"]
    assert {t.topic_name for t in CONTRACT_TOPICS} <= {r.topic for r in mine}

    asyncio.run(produce(bootstrap, Topic.METHOD_BROWSED, b"it-basket-1", raw))  # the same event again
    marker = browse_event("it-basket-2", key=KEY)
    asyncio.run(produce(bootstrap, Topic.METHOD_BROWSED, b"it-basket-2", marker))
    records = asyncio.run(collect(bootstrap, list(Topic), basket_done("it-basket-2"), timeout_s=90))
    # a warm worker takes a basket through its hops in well under a second (bench/pipeline.py). With
    # the consumer waiting out its 1.5 s fetches again (see streams/faust_transport.py) each of the
    # dozen hops would add that wait. Measured by the records' own timestamps, so that a slow
    # collector on a loaded machine does not count.
    hops = sorted(r.timestamp for r in records if r.key == b"it-basket-2")
    assert len(hops) > 10
    assert (hops[-1] - hops[0]) / 1000 < 6.0
    again = [r for r in records if r.key == b"it-basket-1"]
    assert len(again) == len(mine) + 1  # only the repeated browse record itself

    engine = create_engine(postgres_url)
    with engine.connect() as connection:
        statuses: dict[str, str] = dict(
            connection.execute(text("select basket_id, status from baskets")).all()
        )
        orders = connection.execute(
            text("select count(*) from orders where basket_id = 'it-basket-1'")
        ).scalar()
    deadline = time.monotonic() + 10  # sent records are marked in the outbox once a second
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            unsent = connection.execute(text("select count(*) from outbox where sent_at is null")).scalar()
        if unsent == 0:
            break
        time.sleep(0.5)
    engine.dispose()
    assert statuses["it-basket-1"] == "completed"
    assert orders == 1
    assert unsent == 0


def test_malformed_records_on_every_input_topic_are_dead_lettered_and_work_goes_on(
    bootstrap: str, start_worker: WorkerFactory
) -> None:
    start_worker()
    bad_values = [b"\x00not json at all", b'{"type": "dev.kitting.method.browsed.v1"}', b"[]"]
    for index, topic in enumerate(INPUT_TOPICS):
        asyncio.run(produce(bootstrap, topic, f"bad-{index}".encode(), bad_values[index % len(bad_values)]))
    asyncio.run(produce(bootstrap, Topic.METHOD_BROWSED, b"after-bad", browse_event("after-bad", key=KEY)))

    def done(records: Records) -> bool:
        return basket_done("after-bad")(records) and len(
            {r.key for r in records if r.topic == Topic.DEAD_LETTER.topic_name}
        ) >= len(INPUT_TOPICS)

    records = asyncio.run(collect(bootstrap, list(Topic), done, timeout_s=120))
    assert last_status(records, "after-bad") == "completed"
    # (the module's broker also holds the other test's events, which this worker's empty database rejects)
    dead = [r for r in records if r.topic == Topic.DEAD_LETTER.topic_name and r.key.startswith(b"bad-")]
    by_key = {r.key: r for r in dead}
    assert len(dead) == len(by_key) == len(INPUT_TOPICS)  # once each, though several agents read a topic
    for index, topic in enumerate(INPUT_TOPICS):
        record = by_key[f"bad-{index}".encode()]
        headers = dict(record.headers)
        assert record.value == bad_values[index % len(bad_values)]  # original bytes kept
        assert headers[DLQ_HEADER_TOPIC] == topic.topic_name.encode()
        assert headers[DLQ_HEADER_ERROR], f"no reason for {topic.topic_name}"

"""`kitting dlq list|show|redrive` against a real broker: dead letters say where they came from and why,
and a redrive puts the whole original back on its topic, read from there when only its start was kept."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiokafka import AIOKafkaProducer
from typer.testing import CliRunner

from agents.cli.main import cli
from streams.handling import Pipeline, RawRecord
from streams.persistence import Database
from streams.topics import Topic
from tests.integration.kafka_helpers import collect


def test_dead_letters_are_listed_shown_and_sent_again(bootstrap: str, database: Database) -> None:
    small = b"{not json"
    big = b'{"pad": "' + b"x" * 100_000 + b'"}'

    async def dead_letter_two() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_request_size=2_000_000)
        await producer.start()
        try:
            sent = await producer.send_and_wait(Topic.METHOD_BROWSED.topic_name, big, key=b"b-big")

            async def produce(topic: Topic, key: bytes | None, value: bytes | None, headers: Any) -> None:
                await producer.send_and_wait(topic.topic_name, value, key=key, headers=headers)

            pipeline = Pipeline(database, produce, source="urn:test")
            topic = Topic.METHOD_BROWSED.topic_name
            await pipeline.dead_letter(
                RawRecord(topic, 0, 99, b"b-small", small, []), "extractor", "not JSON"
            )
            await pipeline.dead_letter(
                RawRecord(topic, sent.partition, sent.offset, b"b-big", big, []), "extractor", "too large"
            )
        finally:
            await producer.stop()

    asyncio.run(dead_letter_two())
    runner = CliRunner(env={"KITTING_KAFKA_BOOTSTRAP_SERVERS": bootstrap})
    listed = runner.invoke(cli, ["dlq", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    entries = json.loads(listed.stdout)[-2:]
    assert [(e["from"].split("[")[0], e["consumer"], e["reason"]) for e in entries] == [
        ("method-browsed", "extractor", "not JSON"),
        ("method-browsed", "extractor", "too large"),
    ]
    assert [e["whole"] for e in entries] == [True, False] and entries[1]["bytes"] == len(big)
    shown = runner.invoke(cli, ["dlq", "show", entries[0]["entry"]])
    assert shown.exit_code == 0 and "{not json" in shown.stdout
    redriven = runner.invoke(cli, ["dlq", "redrive", *(e["entry"] for e in entries)])
    assert redriven.exit_code == 0, redriven.output
    assert redriven.output.count("sent again to method-browsed") == 2

    def both_back(records: list[Any]) -> bool:
        return len([r for r in records if dict(r.headers or []).get("kitting-redriven-from")]) >= 2

    records = asyncio.run(collect(bootstrap, [Topic.METHOD_BROWSED], both_back, timeout_s=20))
    back = {r.key: r.value for r in records if dict(r.headers or []).get("kitting-redriven-from")}
    assert back == {b"b-small": small, b"b-big": big}  # the whole original, though only its start was kept
    unknown = runner.invoke(cli, ["dlq", "redrive", "0:999999"])
    assert unknown.exit_code == 2 and "kitting dlq list" in unknown.output

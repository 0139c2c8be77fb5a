"""Schema evolution: an event of an older version in the archive is read as the current version."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agents.analytics.replay import replay
from schemas.events import EVENT_TYPES, BasketStatusChanged
from schemas.upcasting import UPCASTERS, upcast
from streams.archive import ArchiveWriter, read_archive
from streams.codec import UndecodableEvent, decode, encode
from streams.topics import Topic

V1 = {
    "specversion": "1.0",
    "id": "e-old-1",
    "source": "urn:kitting:kitting",
    "type": "dev.kitting.basket.status-changed.v1",
    "time": "2026-05-04T10:00:00Z",
    "subject": "b-old",
    "datacontenttype": "application/json",
    "data": {"basket_id": "b-old", "status": "completed"},  # v1: no `at`
}


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]] = field(default_factory=list)


def test_a_v1_event_reads_as_v2_with_its_time_as_at() -> None:
    envelope = decode(json.dumps(V1).encode(), Topic.BASKET_STATUS)
    assert envelope.type == "dev.kitting.basket.status-changed.v2"
    assert isinstance(envelope.data, BasketStatusChanged)
    assert envelope.data.at == datetime(2026, 5, 4, 10, tzinfo=UTC)
    assert b'"dev.kitting.basket.status-changed.v2"' in encode(envelope)  # written back as current


def test_a_v1_event_that_gave_at_keeps_it() -> None:
    given = {**V1, "data": {**V1["data"], "at": "2026-05-04T09:59:00Z"}}  # type: ignore[dict-item]
    changed = decode(json.dumps(given).encode(), Topic.BASKET_STATUS).data
    assert isinstance(changed, BasketStatusChanged) and changed.at.minute == 59


def test_v2_requires_at() -> None:
    current = {**V1, "type": "dev.kitting.basket.status-changed.v2"}
    with pytest.raises(UndecodableEvent, match="at"):
        decode(json.dumps(current).encode(), Topic.BASKET_STATUS)


def test_every_upcaster_ends_at_a_current_type() -> None:
    for old in UPCASTERS:
        assert old not in EVENT_TYPES
        assert upcast({"type": old, "time": V1["time"], "data": {}})["type"] in EVENT_TYPES


def test_replay_reads_a_v1_event_from_the_archive(tmp_path: Path) -> None:
    writer = ArchiveWriter(tmp_path, epoch="old")
    writer.add(
        Record(Topic.BASKET_STATUS.topic_name, 0, 0, 1_777_888_800_000, b"b-old", json.dumps(V1).encode())
    )
    writer.flush()
    records = list(read_archive(tmp_path))
    assert records[0].type == "dev.kitting.basket.status-changed.v1"  # archived as it was written
    report = replay(records)
    assert (report.events, report.undecodable, len(report.baskets)) == (1, 0, 1)

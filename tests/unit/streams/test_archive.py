"""The archive's files: durable parts named by the offsets they hold, read back once each in log order."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from streams.archive import ArchiveWriter, archived_up_to, read_archive

DAY_MS = 1_795_000_000_000  # 2026-11-18, UTC


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]] = field(default_factory=list)


def records(topic: str, first: int, count: int, at: int = DAY_MS) -> list[Record]:
    return [
        Record(topic, 0, n, at + n, f"b-{n}".encode(), b'{"type": "dev.kitting.x.v1"}', [("h", b"\x00\x01")])
        for n in range(first, first + count)
    ]


def test_flushed_files_name_their_offsets_and_read_back_in_order(tmp_path: Path) -> None:
    writer = ArchiveWriter(tmp_path, epoch="e1", max_records=10)
    for record in records("quote-offered", 0, 4) + records("method-browsed", 0, 3):
        writer.add(record)
    assert writer.pending == 7 and not writer.due()
    written = writer.flush()
    assert sorted(p.name for p in written) == [
        "part-e1-0-000000000000-000000000002.parquet",
        "part-e1-0-000000000000-000000000003.parquet",
    ]
    assert archived_up_to(tmp_path, "e1") == {("quote-offered", 0): 3, ("method-browsed", 0): 2}
    assert archived_up_to(tmp_path, "other") == {}
    back = list(read_archive(tmp_path))
    assert len(back) == 7
    # same time: ties go by topic, then partition and offset
    assert [(r.topic, r.offset) for r in back][:2] == [("method-browsed", 0), ("quote-offered", 0)]
    assert back[0].headers == [("h", b"\x00\x01")] and back[0].type == "dev.kitting.x.v1"
    assert not list(tmp_path.rglob("*.tmp"))  # drafts renamed away


def test_a_range_archived_twice_is_read_once_and_epochs_stay_apart(tmp_path: Path) -> None:
    first = ArchiveWriter(tmp_path, epoch="e1")
    for record in records("order-placed", 0, 5):
        first.add(record)
    first.flush()
    again = ArchiveWriter(tmp_path, epoch="e1")  # a restart before the last file was complete
    for record in records("order-placed", 3, 4):
        again.add(record)
    again.flush()
    other_broker = ArchiveWriter(tmp_path, epoch="e2")  # a new embedded broker starts at offset 0 again
    for record in records("order-placed", 0, 2, at=DAY_MS + 86_400_000):
        other_broker.add(record)
    other_broker.flush()
    back = list(read_archive(tmp_path, topics=["order-placed"]))
    assert [(r.epoch, r.offset) for r in back] == [("e1", n) for n in range(7)] + [("e2", 0), ("e2", 1)]
    days = {p.parent.name for p in tmp_path.rglob("*.parquet")}
    assert days == {"day=2026-11-18", "day=2026-11-19"}
    assert [r.offset for r in read_archive(tmp_path, baskets=["b-4"])] == [4]

"""`kitting report` and `kitting export`: the archive for analysts, as an HTML report or as records in
Parquet, JSON Lines or CSV."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
import pyarrow.parquet as pq
import typer
from rich.console import Console

from agents.analytics.metrics import compute_metrics
from agents.analytics.report import render_report
from agents.cli.common import fail
from agents.cli.options import parse_time
from streams.archive import ARCHIVED_TOPICS, ArchivedRecord, read_archive
from streams.settings import Settings
from streams.topics import by_name

out = Console()

EXPORT_COLUMNS = (
    "epoch", "topic", "partition", "offset", "timestamp", "key", "type", "basket_id", "value", "headers",
)  # fmt: skip
EXPORT_SCHEMA = pa.schema(
    [
        ("epoch", pa.string()),
        ("topic", pa.string()),
        ("partition", pa.int32()),
        ("offset", pa.int64()),
        ("timestamp", pa.timestamp("ms", tz="UTC")),
        ("key", pa.string()),
        ("type", pa.string()),
        ("basket_id", pa.string()),
        ("value", pa.string()),
        ("headers", pa.string()),
    ]
)
BATCH = 10_000


class ExportFormat(StrEnum):
    parquet = "parquet"
    jsonl = "jsonl"
    csv = "csv"


def _archive(archive: Path | None) -> Path:
    root = archive or Settings().archive_path
    if not root.is_dir():
        raise fail(f"no archive at {root}: run a worker (it archives every event) or give --archive DIR")
    if not any(root.glob("topic=*/day=*/*.parquet")):
        raise fail(f"the archive at {root} is empty: no Parquet files under topic=*/day=*/")
    return root


def _text(raw: bytes | None) -> str | None:
    return None if raw is None else raw.decode("utf-8", "replace")


def export_row(record: ArchivedRecord) -> dict[str, Any]:
    """One record as an export row; keys, values and header values as UTF-8 text (bad bytes replaced),
    the headers as a JSON list of [name, value] pairs."""
    return {
        "epoch": record.epoch,
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "timestamp": record.time,
        "key": _text(record.key),
        "type": record.type,
        "basket_id": record.basket_id,
        "value": _text(record.value),
        "headers": json.dumps([[name, _text(value)] for name, value in record.headers], ensure_ascii=False),
    }


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    moment: datetime = row["timestamp"]
    return {**row, "timestamp": moment.isoformat(timespec="milliseconds")}


def _batches(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def write_export(records: Iterable[ArchivedRecord], fmt: ExportFormat, path: Path) -> int:
    """Write the records to `path` in `fmt`; returns how many were written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = (export_row(record) for record in records)
    count = 0
    if fmt is ExportFormat.parquet:
        with pq.ParquetWriter(path, EXPORT_SCHEMA) as writer:
            for batch in _batches(rows):
                writer.write_table(pa.Table.from_pylist(batch, schema=EXPORT_SCHEMA))
                count += len(batch)
            if not count:
                writer.write_table(EXPORT_SCHEMA.empty_table())
    elif fmt is ExportFormat.jsonl:
        with path.open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(_flat(row), ensure_ascii=False) + "\n")
                count += 1
    else:
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer_csv = csv.DictWriter(handle, fieldnames=EXPORT_COLUMNS)
            writer_csv.writeheader()
            for row in rows:
                writer_csv.writerow(_flat(row))
                count += 1
    return count


def register(cli: typer.Typer) -> None:
    @cli.command("report")
    def report(
        archive: Annotated[
            Path | None, typer.Option(help="Archive folder (default: the configured one)")
        ] = None,
        out_path: Annotated[Path, typer.Option("--out", help="The HTML file to write")] = Path("report.html"),
        since: Annotated[
            str | None, typer.Option(help="From this time (ISO 8601; no offset means UTC)")
        ] = None,
        until: Annotated[
            str | None, typer.Option(help="Until this time, excluded (ISO 8601; no offset means UTC)")
        ] = None,
    ) -> None:
        """Write an HTML report of the archive: funnel, conversion per site, providers, mixes,
        dead letters."""
        start, end = parse_time(since, "--since"), parse_time(until, "--until")
        root = _archive(archive)
        metrics = compute_metrics(read_archive(root, since=start, until=end))
        window = f" ({start.isoformat() if start else '…'} to {end.isoformat() if end else '…'})"
        html = render_report(metrics, "Kitting report" + (window if start or end else ""), source=str(root))
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(html, encoding="utf-8")
        dead = sum(d.count for d in metrics.dead_letters)
        out.print(str(out_path), highlight=False, soft_wrap=True, markup=False)
        out.print(
            f"{metrics.records} records, {metrics.baskets} baskets: {metrics.funnel.browsed} browsed, "
            f"{metrics.funnel.ordered} ordered, {metrics.funnel.completed} completed; "
            f"{len(metrics.providers)} providers; {dead} dead letters",
            highlight=False,
            soft_wrap=True,
        )

    @cli.command("export")
    def export(
        fmt: Annotated[ExportFormat, typer.Option("--format", help="Output format")],
        out_path: Annotated[Path, typer.Option("--out", help="The file to write")],
        topic: Annotated[list[str] | None, typer.Option(help="Only this topic (repeat)")] = None,
        since: Annotated[
            str | None, typer.Option(help="From this time (ISO 8601; no offset means UTC)")
        ] = None,
        until: Annotated[
            str | None, typer.Option(help="Until this time, excluded (ISO 8601; no offset means UTC)")
        ] = None,
        basket: Annotated[list[str] | None, typer.Option(help="Only this basket (repeat)")] = None,
        archive: Annotated[
            Path | None, typer.Option(help="Archive folder (default: the configured one)")
        ] = None,
    ) -> None:
        """Export archived records (repeats dropped, in log order) as Parquet, JSON Lines or CSV."""
        for name in topic or []:
            try:
                by_name(name)
            except LookupError:
                known = ", ".join(t.topic_name for t in ARCHIVED_TOPICS)
                raise fail(f"unknown topic {name!r}; the archived topics are: {known}") from None
        start, end = parse_time(since, "--since"), parse_time(until, "--until")
        root = _archive(archive)
        records = read_archive(root, topic or None, start, end, basket or None)
        count = write_export(records, fmt, out_path)
        out.print(f"wrote {count} records to {out_path}", highlight=False, soft_wrap=True, markup=False)

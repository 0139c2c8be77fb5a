"""`kitting replay`: run every recorded decision again from the archive or a Kafka cluster."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from agents.analytics.replay import replay
from agents.analytics.sources import read_kafka
from agents.cli.common import err, fail
from agents.cli.options import parse_time
from streams.archive import ArchivedRecord, read_archive
from streams.settings import Settings
from streams.topics import by_name


def _mentions(record: ArchivedRecord, provider: str) -> bool:
    return bool(record.value) and f'"{provider}"'.encode() in (record.value or b"")


def register(cli: typer.Typer) -> None:
    @cli.command("replay")
    def replay_command(
        archive: Annotated[
            Path | None, typer.Option(help="Archive folder (default: the configured one)")
        ] = None,
        kafka: Annotated[
            str | None, typer.Option(help="Read a Kafka cluster instead (bootstrap servers), from --since")
        ] = None,
        since: Annotated[
            str | None, typer.Option(help="From this time (ISO 8601; without an offset, UTC)")
        ] = None,
        until: Annotated[
            str | None, typer.Option(help="Until this time (ISO 8601; without an offset, UTC)")
        ] = None,
        basket: Annotated[list[str] | None, typer.Option(help="Only these baskets")] = None,
        provider: Annotated[
            list[str] | None, typer.Option(help="Only baskets this provider took part in")
        ] = None,
        topic: Annotated[list[str] | None, typer.Option(help="Only these topics")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON")] = False,
    ) -> None:
        """Read the log into a fresh state and run every recorded decision (extraction, selection, pack
        rounding) again with its recorded inputs; report each that differs. Exit 1 if any does."""
        start, end = parse_time(since, "--since"), parse_time(until, "--until")
        for name in topic or []:
            try:
                by_name(name)
            except LookupError as exc:
                raise fail(str(exc)) from None
        if kafka:
            records = [r for r in read_kafka(kafka, topic, start) if end is None or r.time < end]
            if basket:
                records = [r for r in records if r.basket_id in set(basket)]
        else:
            root = archive or Settings().archive_path
            if not root.exists():
                raise fail(f"no archive at {root}: run a worker (it archives every event) or give --archive")
            records = list(read_archive(root, topic, start, end, basket))
        if provider:
            involved = {r.basket_id for r in records if any(_mentions(r, p) for p in provider)}
            records = [r for r in records if r.basket_id in involved]
        with Progress(
            TextColumn("replaying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=err, disable=as_json, transient=True,
        ) as bar:  # fmt: skip
            task = bar.add_task("replay", total=len(records))
            report = replay(records, progress=lambda done: bar.update(task, completed=done))
        summary = report.summary()
        if as_json:
            print(json.dumps(summary, indent=2, default=str))
        else:
            err.print(
                f"{summary['events']} events, {summary['baskets']} baskets, "
                f"decisions {summary['decisions']}, [bold]{summary['differences']} differing[/bold] "
                f"({summary['events_per_s']} events/s)"
            )
            for difference in summary["differing"]:
                err.print(difference)
        raise typer.Exit(1 if report.differences else 0)

"""How the analysts' commands (`kitting replay`, `export`, `report`) read a --since/--until time:
ISO 8601; without an offset it is UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from agents.cli.common import fail


def parse_time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"{option} {value!r} is not an ISO 8601 time, e.g. 2026-11-23T12:00:00+00:00") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

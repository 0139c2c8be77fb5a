"""Quote round ids are UUIDv7 (RFC 9562): unique, and carrying the round's opening time, so every
event of a round (the requests, and the offers that echo the id) falls in the same time window."""

from __future__ import annotations

import os
import time
import uuid


def new_round_id(now_ms: int | None = None) -> str:
    ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    rand = int.from_bytes(os.urandom(10), "big")
    value = (
        (ms & (2**48 - 1)) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64 | 0b10 << 62 | rand & (2**62 - 1)
    )
    return str(uuid.UUID(int=value))


def opened_at_s(round_id: str) -> float | None:
    """The opening time (Unix seconds) of a UUIDv7 round id, or None for another kind of id."""
    try:
        value = uuid.UUID(round_id)
    except ValueError:
        return None
    if value.version != 7:
        return None
    return (value.int >> 80) / 1000

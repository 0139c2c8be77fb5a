"""Publishing for an HTTP request: the bus's refusals become answers a client can act on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import HTTPException

from streams.publishing import EventTooLarge, PublishFailed


@contextmanager
def bus_answers() -> Iterator[None]:
    """Inside it, a too-large event answers 413 and a bus that did not take the event 503 (retry)."""
    try:
        yield
    except EventTooLarge as exc:
        raise HTTPException(413, str(exc)) from None
    except PublishFailed as exc:
        raise HTTPException(503, str(exc)) from None

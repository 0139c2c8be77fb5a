"""Publishing for an HTTP request: the bus's refusals become the answers a client can act on."""

from __future__ import annotations

from fastapi import HTTPException

from streams.publishing import EventTooLarge, Publisher, PublishFailed
from streams.topics import Topic


async def publish_for_http(publisher: Publisher, topic: Topic, key: str, value: bytes) -> None:
    """Publish for an HTTP request: a too-large event answers 413, a bus that did not take it 503."""
    try:
        await publisher.publish(topic, key, value)
    except EventTooLarge as exc:
        raise HTTPException(413, str(exc)) from None
    except PublishFailed as exc:
        raise HTTPException(503, str(exc)) from None

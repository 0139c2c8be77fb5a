"""JSON codec for CloudEvents on Kafka: bytes in, typed envelope out, or a reason why not."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from schemas.envelope import Envelope
from schemas.events import EVENT_TYPES, EventData
from schemas.upcasting import upcast
from streams.topics import Topic

MAX_EVENT_BYTES = 900_000  # below Kafka's default 1 MiB message limit, envelope included


class UndecodableEvent(ValueError):
    """The record is not an event Kitting accepts on that topic. The message is the reason."""


def encode(envelope: Envelope[Any]) -> bytes:
    return envelope.model_dump_json(exclude_none=True).encode()


def encode_key(key: str) -> bytes:
    return key.encode()


def decode(raw: bytes | None, topic: Topic) -> Envelope[EventData]:
    """Parse and validate a record value read from `topic`."""
    if raw is None:
        raise UndecodableEvent("empty record value (tombstone)")
    if len(raw) > MAX_EVENT_BYTES:  # not even parsed: a record this large is nobody's event
        raise UndecodableEvent(f"the record is {len(raw)} bytes: events are at most {MAX_EVENT_BYTES}")
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # bad UTF-8 or JSON, too deep, a number too long
        raise UndecodableEvent(f"not JSON: {type(exc).__name__}: {exc}"[:500]) from None
    if not isinstance(document, dict):
        raise UndecodableEvent(f"not a CloudEvent: a JSON {type(document).__name__}, expected an object")
    document = upcast(document)  # an older version of an event reads as the current one
    event_type = document.get("type")
    model = EVENT_TYPES.get(event_type) if isinstance(event_type, str) else None
    if model is None:
        raise UndecodableEvent(f"unknown event type {event_type!r}")
    if model not in topic.spec.events:
        raise UndecodableEvent(f"event type {event_type!r} does not belong on topic {topic.topic_name!r}")
    try:
        return Envelope[model].model_validate(document)  # type: ignore[valid-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()
        )
        raise UndecodableEvent(f"invalid {event_type}: {problems}"[:2000]) from None
    except (ValueError, OverflowError, RecursionError) as exc:  # raised past pydantic by a validator
        raise UndecodableEvent(f"invalid {event_type}: {type(exc).__name__}: {exc}"[:2000]) from None

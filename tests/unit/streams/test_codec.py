import json

import pytest

from schemas.events import EVENT_TYPES, MethodBrowsed
from schemas.examples import example_json
from streams.codec import UndecodableEvent, decode
from streams.topics import TOPIC_OF_EVENT, Topic


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_example_decodes_on_its_topic(event_type: str) -> None:
    model = EVENT_TYPES[event_type]
    raw = json.dumps(example_json(model)).encode()
    envelope = decode(raw, TOPIC_OF_EVENT[model])
    assert isinstance(envelope.data, model)
    assert envelope.type == event_type


def _browsed(**changes: object) -> bytes:
    document = example_json(MethodBrowsed)
    document.update(changes)
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "expected an object"),
        (None, "tombstone"),
        (_browsed(type="dev.kitting.unknown.v1"), "unknown event type"),
        (_browsed(type="dev.kitting.quote.offered.v1"), "does not belong on topic 'method-browsed'"),
        (_browsed(time="2026-11-23T12:00:00"), "time"),
        (_browsed(data={"basket_id": "b"}), "data.url"),
        (b"\xff\xfe", "not JSON"),
    ],
)
def test_bad_records_are_refused_with_a_reason(raw: bytes | None, reason: str) -> None:
    with pytest.raises(UndecodableEvent, match=reason.replace("(", r"\(").replace(")", r"\)")):
        decode(raw, Topic.METHOD_BROWSED)


def test_unknown_fields_are_ignored_and_time_is_utc() -> None:
    document = example_json(MethodBrowsed)
    document["traceparent"] = "00-abc"
    document["time"] = "2026-11-23T13:00:00+01:00"
    document["data"]["future_field"] = 1  # type: ignore[index]
    envelope = decode(json.dumps(document).encode(), Topic.METHOD_BROWSED)
    assert envelope.time.isoformat() == "2026-11-23T12:00:00+00:00"


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000 + b"]" * 100_000,  # nesting deeper than the parser allows
        b'{"type": "dev.kitting.method.browsed.v1", "n": ' + b"1" * 5000 + b"}",  # a number too long
        _browsed(time="0001-01-01T00:00:00+01:00"),  # before year 1 in UTC
        _browsed(subject="another-basket"),  # record key and basket disagree
    ],
)
def test_pathological_records_are_refused_not_crashed_on(raw: bytes) -> None:
    with pytest.raises(UndecodableEvent):
        decode(raw, Topic.METHOD_BROWSED)

"""The provider adapter SDK, without a broker."""

from decimal import Decimal

from agents.providers.sdk import ProviderAdapter
from schemas import events as ev
from schemas.envelope import new_envelope
from schemas.examples import example
from schemas.values import Money
from streams.codec import decode, encode, encode_key
from streams.topics import Topic


def offer_for(request: ev.QuoteRequested, provider_id: str) -> ev.QuoteOffered:
    return example(ev.QuoteOffered).model_copy(
        update={
            "basket_id": request.basket_id, "request_id": request.request_id, "provider_id": provider_id,
            "lines": [], "missing": [line.line_id for line in request.lines],
            "subtotal": Money(amount=Decimal(0), currency="EUR"),
        }
    )  # fmt: skip


def raw(data: ev.EventData) -> bytes:
    return encode(new_envelope(data, source="urn:test", subject=data.basket_id))


def test_an_adapter_answers_only_what_is_addressed_to_it_and_only_once() -> None:
    adapter = ProviderAdapter("sdk-shop")
    asked: list[str] = []

    @adapter.on_quote
    def quote(request: ev.QuoteRequested) -> ev.QuoteOffered:
        asked.append(request.request_id)
        return offer_for(request, "sdk-shop")

    assert adapter.topics == [Topic.QUOTE_REQUESTED]
    mine = raw(example(ev.QuoteRequested).model_copy(update={"provider_id": "sdk-shop"}))
    replies = adapter.answers_to(Topic.QUOTE_REQUESTED, mine)
    assert len(replies) == 1
    topic, key, value = replies[0]
    answer = decode(value, Topic.QUOTE_OFFERED)
    assert (topic, key) == (Topic.QUOTE_OFFERED, encode_key(answer.subject))
    assert isinstance(answer.data, ev.QuoteOffered) and answer.source == "urn:kitting:provider:sdk-shop"
    assert answer.data.provider_id == "sdk-shop"
    assert adapter.answers_to(Topic.QUOTE_REQUESTED, mine) == []  # a redelivery is not answered twice
    other = raw(example(ev.QuoteRequested).model_copy(update={"provider_id": "someone-else"}))
    assert adapter.answers_to(Topic.QUOTE_REQUESTED, other) == []
    assert adapter.answers_to(Topic.QUOTE_REQUESTED, b"not json") == []
    assert len(asked) == 1

"""Quote rounds in the coordinator's table: when they are due, repeats, late offers, round ids."""

import uuid
from datetime import UTC, datetime, timedelta

from agents.quoting.round_ids import new_round_id, opened_at_s
from agents.quoting.rounds import with_offer, with_request
from schemas import events as ev
from schemas.examples import example

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def request(deadline: datetime = NOW + timedelta(seconds=5)) -> ev.QuoteRequested:
    return example(ev.QuoteRequested).model_copy(
        update={"addressed": ["a", "b"], "provider_id": "a", "deadline": deadline}
    )


def offer(provider: str) -> ev.QuoteOffered:
    return example(ev.QuoteOffered).model_copy(update={"provider_id": provider})


def test_the_table_aggregates_who_was_asked_and_who_answered() -> None:
    value = with_request(None, request(), partition=2)
    value = with_offer(value, offer("a"), 2, NOW)
    value = with_offer(value, offer("b"), 2, NOW)
    assert value["addressed"] == ["a", "b"] and sorted(value["offers"]) == ["a", "b"]


def test_offers_before_their_request_wait_and_a_repeat_changes_nothing() -> None:
    value = with_offer(None, offer("a"), 0, NOW)
    assert "addressed" not in value  # the round is not known yet
    again = with_offer(
        value, offer("a").model_copy(update={"missing": ["c9"]}), 0, NOW + timedelta(seconds=3)
    )
    assert again == value
    value = with_request(value, request(), 0)
    assert set(value["offers"]) == {"a"} and value["addressed"] == ["a", "b"]


def test_round_ids_are_uuid7_carrying_their_opening_time() -> None:
    round_id = new_round_id(now_ms=1_795_000_000_123)
    assert uuid.UUID(round_id).version == 7
    assert opened_at_s(round_id) == 1_795_000_000.123
    assert opened_at_s(str(uuid.uuid4())) is None and opened_at_s("r-51d2e0") is None
    assert len({new_round_id(now_ms=1) for _ in range(1000)}) == 1000


def test_why_a_kit_cannot_be_supplied_names_the_components_never_their_line_ids() -> None:
    from agents.quoting.decisions import named_reasons
    from schemas.events import QuoteLine

    needs = [QuoteLine(line_id="c1", name="red lentils"), QuoteLine(line_id="c2", name="coriander")]
    why = named_reasons({"c2": "not offered by the shops chosen", "c1": "out of stock"}, needs)
    assert why == "red lentils: out of stock; coriander: not offered by the shops chosen"
    assert named_reasons({"c9": "gone"}, needs) == "a component: gone"

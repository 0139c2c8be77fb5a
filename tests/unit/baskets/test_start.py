"""Every basket starts in one place (agents/baskets/start.py), whatever the entry point."""

from __future__ import annotations

import ast
import asyncio

import pytest

from agents.baskets.start import basket_event, new_basket_id, start_basket
from schemas.events import Channel, MethodBrowsed
from streams.codec import decode
from streams.publishing import MAX_EVENT_BYTES, EventTooLarge
from streams.topics import Topic
from tests.conftest import ROOT
from tests.fakes import RecordingPublisher

# who may wrap an event in an envelope by hand, or make an event to publish outside a unit of work
WRAPS_BY_HAND: set[str] = set()  # a party's answers are wrapped and signed by streams/signing.py
MAKES_EVENTS = {"agents/baskets/start.py", "agents/http/routes/terminal.py"}  # baskets; the confirm command


def calls_of(path: str) -> set[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                names.add(func.id)
            elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                names.add(f"{func.value.id}.{func.attr}")
    return names


def test_no_entry_point_builds_a_basket_event_by_hand() -> None:
    for path in sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "agents").rglob("*.py")):
        calls = calls_of(path)
        if path not in WRAPS_BY_HAND:
            assert "new_envelope" not in calls, f"{path} wraps an event by hand: use agents/baskets/start.py"
        if path not in MAKES_EVENTS:
            assert "Outgoing.of" not in calls, f"{path} makes its own event to publish"


def test_a_basket_event_is_its_job_from_its_entry_point() -> None:
    job = MethodBrowsed(
        basket_id=new_basket_id(), url="https://x.example/p", channel=Channel.web, origin="api"
    )
    event = basket_event(job, source="urn:kitting:test", event_id="once")
    envelope = decode(event.value, Topic.METHOD_BROWSED)
    assert (event.topic, event.key, event.event_id) == (Topic.METHOD_BROWSED, job.basket_id, "once")
    assert envelope.source == "urn:kitting:test" and envelope.data == job


def test_a_basket_too_large_for_the_bus_is_refused_before_anything_is_published() -> None:
    publisher = RecordingPublisher()
    job = MethodBrowsed(basket_id="b", url="https://x.example/p", html="x" * MAX_EVENT_BYTES)
    with pytest.raises(EventTooLarge):
        asyncio.run(start_basket(publisher, job, source="urn:kitting:test"))
    assert publisher.sent == []

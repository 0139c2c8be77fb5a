"""The extractor role: the page from the event, else fetched before the transaction; every outcome
is a components-extracted event, empty with a reason when nothing was found."""

from __future__ import annotations

import asyncio
import json

from agents.extractor.fetch import FetchedPage, FetchFailed
from agents.extractor.handlers import Extractor
from schemas.envelope import new_envelope
from schemas.events import MethodBrowsed
from streams.codec import encode, encode_key
from streams.demo import demo_page
from streams.persistence import Database
from streams.topics import Topic
from tests.fakes import InMemoryBus


def bus_with(database: Database, extractor: Extractor) -> InMemoryBus:
    bus = InMemoryBus(database)
    bus.consume(Topic.METHOD_BROWSED, "extractor", extractor.on_method_browsed, prepare=extractor.prepare)
    return bus


def browse(basket: str, url: str) -> bytes:
    return encode(new_envelope(MethodBrowsed(basket_id=basket, url=url), source="urn:test", subject=basket))


def test_a_page_not_in_the_event_is_fetched(database: Database) -> None:
    asked: list[str] = []

    async def fetch(url: str) -> FetchedPage:
        asked.append(url)
        return FetchedPage(url, demo_page())

    bus = bus_with(database, Extractor(fetch=fetch))
    bus.publish(Topic.METHOD_BROWSED, encode_key("b1"), browse("b1", "https://recipes.example/p"))
    extracted = json.loads(bus.values(Topic.COMPONENTS_EXTRACTED)[0])["data"]
    assert asked == ["https://recipes.example/p"]
    assert len(extracted["components"]) == 6 and extracted["source"] == "json-ld"


def test_a_blocked_fetch_gives_an_empty_list_with_the_http_status(database: Database) -> None:
    async def fetch(url: str) -> FetchedPage:
        raise FetchFailed("HTTP 403 from recipes.example")

    bus = bus_with(database, Extractor(fetch=fetch))
    bus.publish(Topic.METHOD_BROWSED, encode_key("b2"), browse("b2", "https://recipes.example/p"))
    extracted = json.loads(bus.values(Topic.COMPONENTS_EXTRACTED)[0])["data"]
    assert extracted["components"] == []
    assert extracted["reason"] == "the page could not be fetched: HTTP 403 from recipes.example"


def test_private_addresses_are_not_fetched() -> None:
    from agents.extractor.fetch import fetch_page

    for url in ("http://127.0.0.1:5432/", "http://localhost/", "file:///etc/passwd"):
        try:
            asyncio.run(fetch_page(url))
        except FetchFailed as exc:
            assert "non-public" in str(exc) or "not an http" in str(exc)
        else:
            raise AssertionError(f"{url} was fetched")

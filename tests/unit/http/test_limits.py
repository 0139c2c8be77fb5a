"""What one client can make the HTTP service hold or do: a body over a route's limit is refused as its
bytes arrive (before anything reads it whole), live streams are few per client and bounded in all,
baskets (and page fetches) start at a bounded pace per client and per site; each refusal a clear 4xx,
nothing published, and the service goes on serving others."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from agents.http.app import create_app
from agents.http.limits import BASKETS_PER_CLIENT, STREAMS_PER_CLIENT, StreamSlots
from agents.http.services import Services
from schemas.events import MethodBrowsed
from streams.migrate import upgrade
from streams.persistence import Database, OutboxRecord
from streams.publishing import MAX_EVENT_BYTES, EventTooLarge
from streams.settings import Settings
from tests.fakes import TEST_HOSTS, TEST_VAULT_KEY, RecordingPublisher

PAGE = {"url": "https://recipes.example/p", "html": "<ul><li>2 eggs</li></ul>"}


@pytest.fixture
def parts(tmp_path: Path) -> tuple[TestClient, RecordingPublisher, Services]:
    url = f"sqlite:///{tmp_path / 'limits.db'}"
    upgrade(url)
    settings = Settings(
        database_url=url, vault_key=TEST_VAULT_KEY, allowed_hosts=TEST_HOSTS, var_dir=tmp_path
    )
    publisher = RecordingPublisher()
    client = TestClient(create_app(settings, publisher=publisher))
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    return client, publisher, services


def test_a_50_mb_body_is_refused_as_it_arrives(
    parts: tuple[TestClient, RecordingPublisher, Services],
) -> None:
    client, publisher, _ = parts
    big = b"x" * 50_000_000
    said = client.post("/v1/baskets", content=big, headers={"content-type": "application/json"})
    assert said.status_code == 413 and "larger than the" in said.json()["detail"]
    read: list[int] = []

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as the chunks come
        for _ in range(50):
            read.append(1)
            yield b"x" * 1_000_000

    chunked = client.post("/v1/baskets", content=chunks(), headers={"content-type": "application/json"})
    assert chunked.status_code == 413
    upload = client.post("/v1/channels/text", content=big)  # channels take 20 MB, not 50
    assert upload.status_code == 413, upload.text
    assert publisher.sent == []
    assert client.post("/v1/baskets", json=PAGE).status_code == 202  # and it goes on serving


def test_streams_are_few_per_client_and_bounded_in_all() -> None:
    slots = StreamSlots(per_client=2, in_all=3)
    slots.take("a")
    slots.take("a")
    with pytest.raises(HTTPException) as refused:
        slots.take("a")
    assert refused.value.status_code == 429 and "close another tab" in str(refused.value.detail)
    slots.take("b")
    with pytest.raises(HTTPException, match="too many people"):
        slots.take("c")
    slots.give_back("a")
    slots.take("c")


def test_a_stream_over_the_clients_share_is_refused(
    parts: tuple[TestClient, RecordingPublisher, Services],
) -> None:
    client, _, services = parts
    started = client.post("/v1/terminal/open", json={"url": "https://recipes.example/pancakes"}).json()
    for _ in range(STREAMS_PER_CLIENT):
        services.streams.take("testclient")  # streams this client holds open already
    path = f"/v1/terminal/baskets/{started['basket_id']}/stream"
    refused = client.get(path, params={"token": started["token"]})
    assert refused.status_code == 429 and refused.headers["retry-after"]


def test_baskets_start_at_a_bounded_pace_per_client(
    parts: tuple[TestClient, RecordingPublisher, Services],
) -> None:
    client, publisher, _ = parts
    burst = BASKETS_PER_CLIENT[1]
    answers = [client.post("/v1/baskets", json=PAGE).status_code for _ in range(burst + 1)]
    assert answers == [202] * burst + [429]
    assert len(publisher.sent) == burst
    refused = client.post("/v1/terminal/open", json={"url": "https://recipes.example/other"})
    assert refused.status_code == 429 and "try again in" in refused.json()["detail"]
    assert int(refused.headers["retry-after"]) >= 1


def test_an_event_over_the_bus_limit_is_refused_before_it_is_stored(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    upgrade(url)
    database = Database(url)
    huge = MethodBrowsed(basket_id="b", url="https://x.example/", html="x" * (MAX_EVENT_BYTES + 1))
    with pytest.raises(EventTooLarge), database.unit_of_work("urn:test") as uow:
        uow.emit(huge)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxRecord)) == 0


def test_an_unusable_address_is_limited_per_client_without_failing(
    parts: tuple[TestClient, RecordingPublisher, Services],
) -> None:
    client, _, _ = parts
    answer = client.post("/v1/terminal/open", json={"url": "https://[not-an-address"})
    assert answer.status_code in (202, 422), answer.text  # never a 500

"""The browse-event collector over a migrated SQLite database and a recording publisher."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from agents.http.claims import claim_code
from agents.http.rate_limit import TokenBuckets
from agents.http.routes.collector import BATCH_PATH, BROWSE_PATH, MAX_BATCH, SNIPPET_PATH, router
from agents.http.services import Services
from agents.http.sites import SiteKeys, create_site, set_enabled
from agents.privacy.vault import Vault
from schemas.events import Channel, MethodBrowsed
from streams.codec import decode
from streams.persistence import Database
from streams.publishing import MAX_EVENT_BYTES
from streams.settings import Settings
from streams.topics import Topic
from tests.fakes import TEST_VAULT_KEY, RecordingPublisher

ORIGIN = "https://recipes.example"
PAGE = f"{ORIGIN}/soup"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Collector:
    client: TestClient
    publisher: RecordingPublisher
    database: Database
    clock: Clock
    key: str

    def post(
        self, body: object = None, key: str | None = "", path: str = BROWSE_PATH, **headers: str
    ) -> httpx.Response:
        sent = dict(headers)
        if key is not None:
            sent["X-Kitting-Site-Key"] = key or self.key
        if body is None:
            body = {"url": PAGE, "title": "Soup", "html": "<h1>Soup</h1>"}
        return self.client.post(path, content=json.dumps(body).encode(), headers=sent)


@pytest.fixture
def collector(database: Database) -> Iterator[Collector]:
    clock = Clock()
    with database.session() as session:
        key = create_site(session, "recipes", "Recipes", [ORIGIN], rate_per_s=1.0, burst=5)
    publisher = RecordingPublisher()
    keys = SiteKeys(database, refresh_s=5.0, clock=clock)
    with TestClient(collector_app(database, publisher, keys, TokenBuckets(clock=clock))) as client:
        yield Collector(client, publisher, database, clock, key)


def collector_app(
    database: Database, publisher: RecordingPublisher, keys: SiteKeys, buckets: TokenBuckets
) -> FastAPI:
    """The collector's routes alone, with these keys and rate limits."""
    settings = Settings(database_url=database.url, vault_key=TEST_VAULT_KEY)
    app = FastAPI()
    key = base64.b64decode(TEST_VAULT_KEY)
    app.state.services = Services(settings, database, publisher, Vault(key), keys, buckets, "", key)
    app.include_router(router)
    return app


def browsed(value: bytes) -> MethodBrowsed:
    data = decode(value, Topic.METHOD_BROWSED).data
    assert isinstance(data, MethodBrowsed)
    return data


def test_a_good_key_publishes_one_browse_event(collector: Collector) -> None:
    answer = collector.post(Origin=ORIGIN)
    assert answer.status_code == 202, answer.text
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    got = answer.json()
    assert set(got) == {"basket_id", "event_id", "terminal_url"}
    # the link carries a claim, never the basket's token: the page's scripts see it
    token = Vault(base64.b64decode(TEST_VAULT_KEY)).basket_token(got["basket_id"])
    claim = claim_code(base64.b64decode(TEST_VAULT_KEY), got["basket_id"])
    assert got["terminal_url"] == f"/terminal/?basket={got['basket_id']}&claim={claim}"
    assert token not in json.dumps(got)
    [(topic, key, value)] = collector.publisher.sent
    assert topic is Topic.METHOD_BROWSED and key == got["basket_id"]
    envelope = decode(value, Topic.METHOD_BROWSED)
    assert envelope.id == got["event_id"] and envelope.subject == got["basket_id"]
    data = browsed(value)
    assert (data.url, data.html, data.site, data.channel, data.origin) == (
        PAGE, "<h1>Soup</h1>", "recipes", Channel.upstream, "recipes",
    )  # fmt: skip


def test_the_key_may_come_as_a_bearer_token(collector: Collector) -> None:
    answer = collector.post(key=None, Authorization=f"Bearer {collector.key}")
    assert answer.status_code == 202, answer.text


@pytest.mark.parametrize("key", [None, "ks_not-a-key", "x" * 5000])
def test_no_or_an_unknown_key_is_401_naming_the_header(collector: Collector, key: str | None) -> None:
    answer = collector.post(key=key, Origin=ORIGIN)
    assert answer.status_code == 401
    assert "X-Kitting-Site-Key" in answer.json()["detail"]
    assert answer.headers["access-control-allow-origin"] == ORIGIN  # the snippet can read the reason
    assert collector.publisher.sent == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"title": "no url"}, "url: Field required"),
        ({"url": "ftp://recipes.example/soup"}, "url: Value error, url must be an absolute http"),
        ({"url": "/soup"}, "url: Value error"),
        ({"url": PAGE, "cookies": "x"}, "cookies: Extra inputs are not permitted"),
        ({"url": PAGE, "html": 5}, "html: Input should be a valid string"),
        ({"url": PAGE + "x" * 2000}, "url: String should have at most 2000 characters"),
        ([1, 2], "Input should be an object"),
    ],
)
def test_a_malformed_body_is_422_with_the_reason(collector: Collector, body: object, reason: str) -> None:
    answer = collector.post(body)
    assert answer.status_code == 422
    assert reason in answer.json()["detail"]
    assert collector.publisher.sent == []


def test_a_body_that_is_not_json_is_422(collector: Collector) -> None:
    answer = collector.client.post(
        BROWSE_PATH, content=b"url=x", headers={"X-Kitting-Site-Key": collector.key}
    )
    assert answer.status_code == 422 and "JSON" in answer.json()["detail"]
    assert collector.publisher.sent == []


def test_over_the_rate_is_429_with_retry_after(collector: Collector) -> None:
    assert [collector.post().status_code for _ in range(5)] == [202] * 5
    answer = collector.post(Origin=ORIGIN)
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "1"
    assert "retry after 1 s" in answer.json()["detail"]
    assert "retry-after" in answer.headers["access-control-expose-headers"].lower()
    assert len(collector.publisher.sent) == 5
    collector.clock.now += 1.0
    assert collector.post().status_code == 202


def test_a_page_or_origin_off_the_site_is_403(collector: Collector) -> None:
    answer = collector.post(Origin="https://evil.example")
    assert answer.status_code == 403 and "https://evil.example" in answer.json()["detail"]
    answer = collector.post({"url": "https://elsewhere.example/soup"})
    assert answer.status_code == 403 and "origins" in answer.json()["detail"]
    assert collector.post(Origin="null").status_code == 403
    assert collector.publisher.sent == []
    assert collector.post({"url": "https://RECIPES.example:443/x"}, Origin=ORIGIN).status_code == 202


def test_a_site_without_origins_takes_any(collector: Collector) -> None:
    with collector.database.session() as session:
        key = create_site(session, "open", "Open", [])
    collector.clock.now += 5
    answer = collector.post({"url": "https://anywhere.example/"}, key=key, Origin="https://x.example")
    assert answer.status_code == 202


def test_preflight_answers_any_origin(collector: Collector) -> None:
    for path in (BROWSE_PATH, BATCH_PATH):
        answer = collector.client.options(
            path,
            headers={
                "Origin": "https://any.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type, x-kitting-site-key",
            },
        )
        assert answer.status_code == 204
        assert answer.headers["access-control-allow-origin"] == "https://any.example"
        assert answer.headers["access-control-allow-methods"] == "POST"
        allowed = answer.headers["access-control-allow-headers"]
        assert "content-type" in allowed and "x-kitting-site-key" in allowed


def test_a_failing_bus_is_503_retry(collector: Collector) -> None:
    collector.publisher.fail = "the event bus did not take the event (KafkaTimeoutError); retry"
    answer = collector.post(Origin=ORIGIN)
    assert answer.status_code == 503 and "retry" in answer.json()["detail"]
    assert answer.headers["access-control-allow-origin"] == ORIGIN


def test_too_large_is_413_and_nothing_is_published(collector: Collector) -> None:
    answer = collector.post({"url": PAGE, "html": "é" * (MAX_EVENT_BYTES - 100)})
    assert answer.status_code == 413 and "bytes" in answer.json()["detail"]
    answer = collector.client.post(
        BROWSE_PATH, content=b"x" * (3 * MAX_EVENT_BYTES), headers={"X-Kitting-Site-Key": collector.key}
    )
    assert answer.status_code == 413
    assert collector.publisher.sent == []


def test_a_batch_publishes_each_event(collector: Collector) -> None:
    events = [{"url": f"{PAGE}/{i}", "html": f"<h1>{i}</h1>"} for i in range(3)]
    answer = collector.post({"events": events}, path=BATCH_PATH)
    assert answer.status_code == 202, answer.text
    ids = answer.json()["basket_ids"]
    assert len(set(ids)) == 3 and [e["basket_id"] for e in answer.json()["events"]] == ids
    assert sorted(key for _, key, _ in collector.publisher.sent) == sorted(ids)
    assert sorted(browsed(v).url for _, _, v in collector.publisher.sent) == [e["url"] for e in events]
    # the bucket was charged per event: 2 tokens are left of 5
    assert collector.post({"events": events}, path=BATCH_PATH).status_code == 429
    assert collector.post({"events": events[:2]}, path=BATCH_PATH).status_code == 202


def test_a_batch_is_all_or_nothing_on_errors(collector: Collector) -> None:
    good, bad = {"url": PAGE}, {"url": "https://elsewhere.example/"}
    answer = collector.post({"events": [good, bad]}, path=BATCH_PATH)
    assert answer.status_code == 403 and "events.1" in answer.json()["detail"]
    answer = collector.post({"events": [good, {"url": PAGE, "x": 1}]}, path=BATCH_PATH)
    assert answer.status_code == 422 and "events.1.x" in answer.json()["detail"]
    answer = collector.post({"events": [good] * (MAX_BATCH + 1)}, path=BATCH_PATH)
    assert answer.status_code == 422
    answer = collector.post({"events": [good] * 6}, path=BATCH_PATH)  # more than the burst of 5
    assert answer.status_code == 413 and "burst" in answer.json()["detail"]
    collector.publisher.fail = "the event bus did not take the event; retry"
    answer = collector.post({"events": [good, good]}, path=BATCH_PATH)
    assert answer.status_code == 503 and answer.json()["basket_ids"] == [None, None]
    assert collector.publisher.sent == []


def test_a_disabled_site_stops_after_the_cache_refresh(collector: Collector) -> None:
    assert collector.post().status_code == 202
    with collector.database.session() as session:
        set_enabled(session, "recipes", False)
    assert collector.post().status_code == 202  # cached for up to 5 s
    collector.clock.now += 5
    answer = collector.post()
    assert answer.status_code == 401 and "disabled" in answer.json()["detail"]
    assert len(collector.publisher.sent) == 2


def test_the_snippet_is_served(collector: Collector) -> None:
    answer = collector.client.get(SNIPPET_PATH)
    assert answer.status_code == 200 and "javascript" in answer.headers["content-type"]
    assert "window.Kitting" in answer.text and "v1/collect/browse" in answer.text


def test_the_openapi_document_describes_the_bodies(collector: Collector) -> None:
    document = collector.client.app.openapi()  # type: ignore[attr-defined]
    body = document["paths"][BROWSE_PATH]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert "url" in body["properties"] and "$defs" not in json.dumps(body)


def test_sites_that_cannot_be_read_are_503(tmp_path: Path) -> None:
    unreadable = Database(f"sqlite:///{tmp_path}/no-tables.db")  # never migrated
    app = collector_app(unreadable, RecordingPublisher(), SiteKeys(unreadable), TokenBuckets())
    answer = TestClient(app).post(BROWSE_PATH, json={"url": PAGE}, headers={"X-Kitting-Site-Key": "ks_x"})
    assert answer.status_code == 503 and "retry" in answer.json()["detail"]
    unreadable.engine.dispose()

"""Every request's checks before a route sees it: the operator's token always (no loopback exception),
the Host allow-list, and no change from another site; a stranger is refused and nothing is published."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from agents.http.app import create_app
from agents.http.guards import admin_token, token_fits
from streams.migrate import upgrade
from streams.settings import Settings
from tests.fakes import TEST_HOSTS, TEST_VAULT_KEY, RecordingPublisher

SHOP = {"provider_id": "guard-shop", "name": "Guard Shop", "categories": ["grocery"], "regions": ["east"]}


@pytest.fixture
def app_parts(tmp_path: Path) -> tuple[TestClient, RecordingPublisher, Settings]:
    url = f"sqlite:///{tmp_path / 'guards.db'}"
    upgrade(url)
    settings = Settings(
        database_url=url, vault_key=TEST_VAULT_KEY, allowed_hosts=TEST_HOSTS, var_dir=tmp_path / "var"
    )
    publisher = RecordingPublisher()
    return TestClient(create_app(settings, publisher=publisher)), publisher, settings


def test_the_operators_token_is_made_once_owner_only_and_compared_whole(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    token = admin_token(settings)
    assert token.startswith("kt_admin_") and admin_token(settings) == token
    mode = stat.S_IMODE(os.stat(tmp_path / "var" / "admin.token").st_mode)
    assert mode == 0o600
    assert token_fits(f"Bearer {token}", token)
    assert not token_fits(f"Bearer {token[:-1]}", token) and not token_fits(token, token)
    assert not token_fits(None, token) and not token_fits("Bearer ", token)
    assert admin_token(Settings(var_dir=tmp_path / "var", admin_token="given")) == "given"


def test_operator_routes_take_the_token_even_from_loopback(
    app_parts: tuple[TestClient, RecordingPublisher, Settings],
) -> None:
    client, publisher, settings = app_parts
    loopback = TestClient(client.app, client=("127.0.0.1", 50123))
    for caller in (client, loopback):
        refused = caller.post("/v1/providers", json=SHOP)
        assert refused.status_code == 401 and "operator's token" in refused.json()["detail"]
        wrong = caller.post("/v1/providers", json=SHOP, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert caller.post("/v1/channels/text", json={"text": "2 eggs"}).status_code == 401
    assert publisher.sent == []
    token = admin_token(settings)
    made = client.post("/v1/providers", json=SHOP, headers={"Authorization": f"Bearer {token}"})
    assert made.status_code == 201, made.text


def test_a_host_the_service_does_not_answer_to_is_refused(
    app_parts: tuple[TestClient, RecordingPublisher, Settings],
) -> None:
    client, _, _ = app_parts
    assert client.get("/v1/terminal/regions").status_code == 200
    rebound = client.get("/v1/terminal/regions", headers={"Host": "attacker.example"})
    assert rebound.status_code == 400


@pytest.mark.parametrize(
    "headers",
    [{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://attacker.example"}, {"Origin": "null"}],
)
def test_a_change_from_another_site_is_refused_and_nothing_published(
    app_parts: tuple[TestClient, RecordingPublisher, Settings], headers: dict[str, str]
) -> None:
    client, publisher, _ = app_parts
    answer = client.post("/v1/terminal/open", json={"url": "https://recipes.example/p"}, headers=headers)
    assert answer.status_code == 403 and "cannot change anything here" in answer.json()["detail"]
    assert publisher.sent == []


def test_the_same_site_and_the_collector_are_not_refused_as_cross_site(
    app_parts: tuple[TestClient, RecordingPublisher, Settings],
) -> None:
    client, _, _ = app_parts
    same = {"Origin": "http://localhost:8000", "Host": "localhost:8000", "Sec-Fetch-Site": "same-origin"}
    opened = client.post("/v1/terminal/open", json={"url": "https://recipes.example/p"}, headers=same)
    assert opened.status_code == 202, opened.text
    # another web app on the same machine (another port) is another site
    other_app = {**same, "Origin": "http://localhost:1234", "Sec-Fetch-Site": "same-site"}
    refused = client.post("/v1/terminal/open", json={"url": "https://recipes.example/q"}, headers=other_app)
    assert refused.status_code == 403, refused.text
    collect = client.post(
        "/v1/collect/browse", json={"url": "https://recipes.example/p"},
        headers={"Origin": "https://recipes.example", "Sec-Fetch-Site": "cross-site"},
    )  # fmt: skip
    assert collect.status_code == 401  # its own check (the site's key), not the same-site one

"""The provider registry: SQL entries, the CLI and the HTTP API over them, health, managers."""

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from typer.testing import CliRunner

from agents.composition import create_http_app
from agents.registry.providers import (
    DuplicateProvider,
    UnknownProvider,
    add_provider,
    address_of,
    get_provider,
    note_round,
    providers_for,
    set_enabled,
)
from agents.registry.secrets import webhook_secret
from schemas.providers import Provider, ProviderKind
from streams.persistence import Database
from streams.settings import Settings
from streams.signing import verify_key_of
from tests.fakes import TEST_HOSTS, TEST_VAULT_KEY

SHOP = Provider(provider_id="test-shop", name="Test Shop", categories=["grocery"], regions=["east"])


def test_add_list_disable_and_region_filter(database: Database) -> None:
    with database.session() as session:
        add_provider(session, SHOP)
        with pytest.raises(DuplicateProvider):
            add_provider(session, SHOP)
        assert [p.provider_id for p in providers_for(session, ProviderKind.component, "east")] == [
            "test-shop"
        ]
        assert providers_for(session, ProviderKind.component, "west") == []
        set_enabled(session, "test-shop", False)
        assert providers_for(session, ProviderKind.component, "east") == []
        with pytest.raises(UnknownProvider):
            get_provider(session, "nobody")


def test_a_member_is_reached_at_its_managers_address(database: Database) -> None:
    manager = Provider(provider_id="chain", name="Chain HQ", address="https://chain.example/kitting")
    member = SHOP.model_copy(update={"provider_id": "chain-store-1", "address": "", "manager_id": "chain"})
    with database.session() as session:
        with pytest.raises(UnknownProvider):
            add_provider(session, member)  # the manager must exist first
        add_provider(session, manager)
        add_provider(session, member)
        assert address_of(session, "chain-store-1") == "https://chain.example/kitting"


def test_health_counts_requests_answers_and_mean_answer_time(database: Database) -> None:
    seen = datetime(2026, 11, 23, 12, tzinfo=UTC)
    with database.session() as session:
        add_provider(session, SHOP)
        note_round(session, ["test-shop"], {"test-shop": 300}, seen)
        note_round(session, ["test-shop"], {}, seen)
        health = get_provider(session, "test-shop").health
    assert (health.requests, health.answers, health.answer_rate, health.mean_answer_ms) == (2, 1, 0.5, 300)
    assert health.last_seen == seen


def test_a_round_of_several_shops_is_counted_in_two_statements(database: Database) -> None:
    """The database adds to the counts (no read, then write), so rounds decided at once on two workers
    both count, and a round costs two statements however many shops it asked."""
    seen = datetime(2026, 11, 23, 12, tzinfo=UTC)
    shops = [SHOP.model_copy(update={"provider_id": f"shop-{n}"}) for n in range(4)]
    with database.session() as session:
        for shop in shops:
            add_provider(session, shop)
    statements: list[str] = []
    event.listen(database.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with database.session() as session:
        note_round(session, [s.provider_id for s in shops], {"shop-0": 100, "shop-1": 300}, seen)
    assert len(statements) == 2, statements
    with database.session() as session:
        note_round(session, ["shop-0", "shop-3"], {"shop-0": 500}, seen)
    with database.session() as session:
        health = {s.provider_id: get_provider(session, s.provider_id).health for s in shops}
    shop_0 = health["shop-0"]
    assert (shop_0.requests, shop_0.answers, shop_0.mean_answer_ms) == (2, 2, 300)
    assert (health["shop-1"].requests, health["shop-1"].answers, health["shop-1"].last_seen) == (1, 1, seen)
    assert (health["shop-2"].requests, health["shop-2"].answers, health["shop-2"].last_seen) == (1, 0, None)
    assert (health["shop-3"].requests, health["shop-3"].answers) == (2, 0)


def test_an_address_must_be_kafka_a_webhook_or_empty() -> None:
    with pytest.raises(ValueError, match="address must be"):
        Provider(provider_id="x", name="X", address="ftp://x.example")


def test_the_cli_adds_lists_shows_and_disables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from agents.cli.main import cli

    monkeypatch.setenv("KITTING_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()
    made = runner.invoke(cli, ["providers", "keys", "--json"])
    keys = json.loads(made.stdout)
    assert verify_key_of(keys["signing_private_key"]) == keys["signing_key"]
    added = runner.invoke(
        cli,
        ["providers", "add", "--id", "diy-depot", "--name", "DIY Depot", "--category", "hardware",
         "--region", "default", "--delivery", "pickup", "--payment", "pay-at-pickup",
         "--signing-key", keys["signing_key"], "--json"],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)[0]["categories"] == ["hardware"]
    assert json.loads(added.stdout)[0]["signing_key"] == keys["signing_key"]
    unusable = runner.invoke(
        cli, ["providers", "add", "--id", "x", "--name", "X", "--signing-key", "bm90IGEga2V5"]
    )
    assert unusable.exit_code == 2 and "Ed25519 public key" in unusable.output
    again = runner.invoke(cli, ["providers", "add", "--id", "diy-depot", "--name", "DIY Depot"])
    assert again.exit_code == 2 and "exists" in again.output
    assert runner.invoke(cli, ["providers", "disable", "diy-depot"]).exit_code == 0
    shown = runner.invoke(cli, ["providers", "show", "diy-depot", "--json"])
    assert json.loads(shown.stdout)["enabled"] is False
    listed = runner.invoke(cli, ["providers", "list", "--json"])
    assert [p["provider_id"] for p in json.loads(listed.stdout)] == ["diy-depot"]
    missing = runner.invoke(cli, ["providers", "show", "nobody"])
    assert missing.exit_code == 2 and "no provider 'nobody'" in missing.output

    monkeypatch.setenv("KITTING_VAULT_KEY", TEST_VAULT_KEY)
    hook = ["providers", "add", "--id", "hook", "--name", "Hook", "--address", "https://hook.example/k"]
    assert runner.invoke(cli, hook).exit_code == 0
    shown = runner.invoke(cli, ["providers", "secret", "hook"])
    key = base64.b64decode(TEST_VAULT_KEY)
    assert shown.exit_code == 0 and shown.stdout.strip() == webhook_secret(key, "hook", 0)
    rotated = runner.invoke(cli, ["providers", "rotate-secret", "hook"])
    assert rotated.exit_code == 0 and rotated.stdout.strip() == webhook_secret(key, "hook", 1)
    none = runner.invoke(cli, ["providers", "secret", "diy-depot"])
    assert none.exit_code == 2 and "has no secret" in none.output


def test_the_http_api_registers_and_guards_the_registry(tmp_path: Path) -> None:
    from streams.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'http.db'}"
    upgrade(url)
    app = create_http_app(
        Settings(database_url=url, admin_token="s3cret", allowed_hosts=TEST_HOSTS), "127.0.0.1:1"
    )
    client = TestClient(app)  # no `with`: the Kafka producer is not started
    body = SHOP.model_dump(mode="json")
    assert client.post("/v1/providers", json=body).status_code == 401
    auth = {"authorization": "Bearer s3cret"}
    created = client.post("/v1/providers", json=body, headers=auth)
    assert created.status_code == 201 and created.json()["health"]["requests"] == 0
    assert client.post("/v1/providers", json=body, headers=auth).status_code == 409
    bad = client.post("/v1/providers", json={**body, "provider_id": "bad id!"}, headers=auth)
    assert bad.status_code == 422
    assert client.post("/v1/providers/test-shop/disable", headers=auth).json()["enabled"] is False
    assert client.get("/v1/providers/test-shop").json()["enabled"] is False
    assert [p["provider_id"] for p in client.get("/v1/providers").json()] == ["test-shop"]
    assert client.get("/v1/providers/nobody").status_code == 404


def test_addresses_keys_and_webhook_secrets_are_for_the_operator_only(tmp_path: Path) -> None:
    from streams.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'http.db'}"
    upgrade(url)
    settings = Settings(
        database_url=url, admin_token="s3cret", allowed_hosts=TEST_HOSTS, vault_key=TEST_VAULT_KEY
    )
    client = TestClient(create_http_app(settings, "127.0.0.1:1"))
    auth = {"authorization": "Bearer s3cret"}
    hook = {"provider_id": "hook-shop", "name": "Hook", "address": "https://hook.example/kitting"}
    created = client.post("/v1/providers", json=hook, headers=auth)
    assert created.status_code == 201, created.text
    secret = created.json()["webhook_secret"]
    key = base64.b64decode(TEST_VAULT_KEY)
    assert secret == webhook_secret(key, "hook-shop", 0)
    for path in ("/v1/providers", "/v1/providers/hook-shop"):
        shown = client.get(path).json()
        entry = shown[0] if isinstance(shown, list) else shown
        assert entry["provider_id"] == "hook-shop" and "hook.example" not in json.dumps(shown)
        assert not {"address", "public_key", "signing_key", "webhook_secret"} & set(entry)
        assert client.get(path, headers=auth).text.count("hook.example") == 1
    assert client.post("/v1/providers/hook-shop/rotate-secret").status_code == 401
    rotated = client.post("/v1/providers/hook-shop/rotate-secret", headers=auth)
    assert rotated.status_code == 200
    assert rotated.json()["webhook_secret"] == webhook_secret(key, "hook-shop", 1)
    assert rotated.json()["webhook_secret"] != secret
    kafka = client.post("/v1/providers", json={"provider_id": "k", "name": "K"}, headers=auth)
    assert kafka.json()["webhook_secret"] is None
    assert client.post("/v1/providers/k/rotate-secret", headers=auth).status_code == 409

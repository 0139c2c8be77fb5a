"""End to end: the `kitting` command as a user runs it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from agents.cli.demo import demo_page
from agents.cli.main import cli
from streams.broker import free_port
from streams.topics import CONTRACT_TOPICS
from tests.e2e.running import kitting_up

KITTING = [sys.executable, "-m", "agents.cli"]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KITTING_")}
    env.update(extra)
    return env


@pytest.mark.parametrize(
    ("fulfilment", "payment", "paid"),
    [("pickup", "pay-at-pickup", "cash-collected")],  # every pair runs in tests/integration/test_saga.py
)
def test_demo_json_completes_through_every_topic_and_leaves_no_process(
    fulfilment: str, payment: str, paid: str
) -> None:
    result = subprocess.run(
        [*KITTING, "demo", "--json", "--fulfilment", fulfilment, "--payment", payment],
        capture_output=True, text=True, timeout=240, env=clean_env(),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "completed"
    assert (summary["fulfilment"], summary["payment"]) == (fulfilment, payment)
    assert summary["orders"] and {(o["order"], o["delivery"], o["payment"]) for o in summary["orders"]} == {
        ("completed", "delivered", paid)
    }
    assert summary["broker"] == "embedded"
    for topic in CONTRACT_TOPICS:
        assert summary["topics"][topic.topic_name] >= 1, topic
    assert summary["topics"]["dead-letter"] == 0
    for name, pid in summary["pids"].items():
        assert pid and not alive(pid), f"{name} (pid {pid}) outlived kitting demo"


def test_demo_refuses_a_payment_that_does_not_fit_the_fulfilment() -> None:
    result = subprocess.run(  # `at-pickup`: an older spelling of pay-at-pickup, still read
        [*KITTING, "demo", "--fulfilment", "courier", "--payment", "at-pickup"],
        capture_output=True, text=True, timeout=60, env=clean_env(),
    )  # fmt: skip
    assert result.returncode == 2 and "needs --fulfilment pickup" in result.stderr


COMMANDS = [
    "up", "worker", "demo", "asyncapi", "topics", "serve", "migrate", "privacy audit", "archive", "replay",
    "export", "report", "providers list", "select", "extract",
]  # fmt: skip


def test_the_command_runs_and_lists_its_commands() -> None:
    result = subprocess.run([*KITTING, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    for command in COMMANDS:
        assert command.split()[0] in result.stdout, command


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(cli, [*command.split(), "--help"], terminal_width=200)
    assert result.exit_code == 0 and "Usage" in result.output, result.output


def children_of(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            child = int(stat.parent.name)
            found |= {child} | children_of(child)
    return found


def test_up_serves_http_completes_a_basket_and_ctrl_c_stops_everything(tmp_path: Path) -> None:
    port = free_port()
    env = clean_env(
        KITTING_HTTP_PORT=str(port),
        KITTING_VAR_DIR=str(tmp_path / "var"),
        KITTING_DATABASE_URL=f"sqlite:///{tmp_path / 'var' / 'kitting.db'}",
    )
    up = subprocess.Popen([*KITTING, "up"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    started: set[int] = set()
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            started |= children_of(up.pid)
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail("HTTP service did not come up")
        started |= children_of(up.pid)
        assert len(started) >= 2, "expected the broker and the worker as children"
        bad = httpx.post(f"{base}/v1/events/method-browsed", content=b"{nope", timeout=10)
        assert bad.status_code == 422 and "not JSON" in bad.json()["detail"]
        person = {"name": "Ute Up", "street_address": "2 Test Road, Sampletown", "phone": "+44 20 7946 0123"}
        refused = httpx.post(f"{base}/v1/customers", json=person, timeout=10)  # loopback, no token
        assert refused.status_code == 401, refused.text
        token = (tmp_path / "var" / "admin.token").read_text().strip()  # made by `kitting up`
        operator = {"Authorization": f"Bearer {token}"}
        customer = httpx.post(f"{base}/v1/customers", json=person, headers=operator, timeout=10)
        assert customer.status_code == 201, customer.text
        quote = {
            "customer_ref": customer.json()["customer_ref"],
            "delivery": "pickup",
            "payment": "pay-at-pickup",
        }
        job = {"url": "https://recipes.example/p", "html": demo_page(), "quote": quote}
        # the customer reference alone orders nothing: the person's token goes with it
        stranger = httpx.post(f"{base}/v1/baskets", json=job, timeout=10)
        assert stranger.status_code == 401 and "customer token" in stranger.json()["detail"]
        person_token = {"X-Kitting-Customer-Token": customer.json()["customer_token"]}
        response = httpx.post(f"{base}/v1/baskets", json=job, headers=person_token, timeout=10)
        assert response.status_code == 202
        basket, basket_token = response.json()["basket_id"], response.json()["token"]
        assert httpx.get(f"{base}/v1/baskets/{basket}", timeout=5).status_code == 403  # no token
        status = None
        deadline = time.monotonic() + 120
        while status not in ("completed", "failed") and time.monotonic() < deadline:
            time.sleep(0.5)
            reply = httpx.get(f"{base}/v1/baskets/{basket}", params={"token": basket_token}, timeout=5)
            status = reply.json()["status"] if reply.status_code == 200 else None
        assert status == "completed"
        orders = httpx.get(
            f"{base}/v1/baskets/{basket}/orders", params={"token": basket_token}, timeout=5
        ).json()
        assert orders and all(o["status"] == "completed" and o["pickup_code"].isdigit() for o in orders)
        # the demo method provider on the HTTP service answers for its DIY guides: no scraping
        listed = subprocess.run(
            [*KITTING, "extract", "--jsonl", "https://diy.kitting.example/hang-a-shelf"],
            capture_output=True, text=True, timeout=60, env=env,
        )  # fmt: skip
        assert listed.returncode == 0, listed.stderr
        result = json.loads(listed.stdout)
        assert result["source"] == "method-provider:kitting-demo-site"
        assert [c["kind"] for c in result["components"]].count("tool") == 3
    finally:
        up.send_signal(signal.SIGINT)
        output = up.communicate(timeout=60)[0].decode()
    assert up.returncode == 0, output
    time.sleep(0.5)
    assert [pid for pid in started if alive(pid)] == [], output
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_up_starts_as_many_workers_as_asked(tmp_path: Path) -> None:
    with kitting_up(tmp_path, KITTING_WORKERS="2", KITTING_ARCHIVE="false"):
        logs = sorted(path.name for path in (tmp_path / "var").glob("worker*.log"))
    assert logs == ["worker.log", "worker2.log"]

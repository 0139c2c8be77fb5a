"""The chaos drill (agents/cli/chaos.py, also `kitting demo --chaos`) on the embedded broker with
PostgreSQL: 200 baskets while the worker is SIGKILLed three times, a shop, the courier and the
accounting agent go silent for a while, a 5 MB page, a 2 MB event and garbage on every event topic
arrive. Every basket ends, none fails (the crash and the silences included), no order is lost or
doubled, no money is captured without a delivery or left captured on a cancelled order, the ledger
balances, every dead letter says why, the worker is alive; the big input costs the other baskets
under a second."""

from __future__ import annotations

import json

import pytest

from agents.cli.chaos import run_chaos
from streams.settings import Settings
from tests.integration.test_saga import KEY_B64


@pytest.mark.timeout(900)  # about 2 minutes on 2 cores
def test_the_chaos_drill_keeps_every_promise(postgres_url: str) -> None:
    report = run_chaos(Settings(database_url=postgres_url, vault_key=KEY_B64), baskets=200)
    print(json.dumps(report, indent=2))
    assert report["checks"] == {}, report["checks"]
    assert report["passed"] and set(report["final_states"]) <= {"completed", "completed-partially", "failed"}
    assert sum(report["final_states"].values()) == 200
    assert len(report["kills"]) == 3 and all(k["recovered_after_s"] < 60 for k in report["kills"])
    assert report["big_page"][0] == "failed" and report["big_page"][1]  # with its reason
    assert report["median_s_beside_big_input"] <= report["median_s_quiet"] + 1.0

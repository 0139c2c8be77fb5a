"""The analysts' acceptance: `kitting demo` with 100 baskets and a worker restart in the middle, then
`kitting replay` over the archive: no decision differs, and the archive holds every event the topics
held."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.e2e.test_commands import KITTING, clean_env

BASKETS = 100


@pytest.mark.timeout(1200)  # 2-5 minutes on 2 cores, by the machine's speed
def test_demo_with_a_restart_then_replay_finds_no_difference(tmp_path: Path) -> None:
    env = clean_env(KITTING_ARCHIVE_DIR=str(tmp_path / "archive"), KITTING_VAR_DIR=str(tmp_path / "var"))
    demo = subprocess.run(
        [*KITTING, "demo", "--json", "--baskets", str(BASKETS), "--restart-worker", "--timeout", "600"],
        capture_output=True, text=True, timeout=900, env=env,
    )  # fmt: skip
    assert demo.returncode in (0, 1), demo.stderr
    summary = json.loads(demo.stdout)
    assert summary["restarted_worker"] is True
    assert sum(summary["baskets"].values()) == BASKETS and "timeout" not in summary["baskets"]
    archive = summary["archive"]
    assert archive["complete"], archive  # every record the topics held, each once
    assert archive["archived"] == archive["topics"]

    replay = subprocess.run(
        [*KITTING, "replay", "--archive", str(tmp_path / "archive"), "--json"],
        capture_output=True, text=True, timeout=600, env=env,
    )  # fmt: skip
    assert replay.returncode == 0, replay.stdout + replay.stderr
    result = json.loads(replay.stdout)
    assert result["differences"] == 0
    assert result["events"] == sum(archive["archived"].values())
    assert result["decisions"]["selection"] >= BASKETS and result["decisions"]["extraction"] == BASKETS

"""The child processes `kitting up` and `kitting demo` start: the worker and the archiver, each a
`kitting` command of its own (see streams/runtime.py for how children are started and stopped)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from streams.processes import spawn

KITTING = [sys.executable, "-m", "agents.cli"]


def spawn_worker(env: dict[str, str], log_path: Path | None) -> subprocess.Popen[bytes]:
    return spawn([*KITTING, "worker"], env, log_path)


def spawn_archiver(env: dict[str, str], log_path: Path | None) -> subprocess.Popen[bytes]:
    return spawn([*KITTING, "archive"], env, log_path)

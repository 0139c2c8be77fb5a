"""`kitting up` as a user starts it, for end-to-end tests: on a free port, in a temporary folder,
stopped with Ctrl-C (SIGINT) by its process id; yields the base URL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from streams.broker import free_port

KITTING = [sys.executable, "-m", "agents.cli"]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KITTING_")}
    env.update(extra)
    return env


@contextmanager
def kitting_up(folder: Path, **settings: str) -> Iterator[str]:
    port = free_port()
    env = clean_env(
        KITTING_HTTP_PORT=str(port),
        KITTING_VAR_DIR=str(folder / "var"),
        KITTING_DATABASE_URL=f"sqlite:///{folder / 'var' / 'kitting.db'}",
        **{"KITTING_DEMO_PACE": "0", **settings},  # the reference parties answer at once unless asked
    )
    up = subprocess.Popen([*KITTING, "up"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
            if up.poll() is not None:
                break
        else:
            pytest.fail("the HTTP service of `kitting up` did not come up in 90 s")
        if up.poll() is not None:
            pytest.fail(f"`kitting up` exited with {up.returncode}: {up.communicate()[0].decode()[-3000:]}")
        yield base
    finally:
        up.send_signal(signal.SIGINT)
        try:
            up.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            up.kill()
            up.communicate()

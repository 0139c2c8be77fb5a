"""The sandbox runs heavy or untrusted work in other processes, within a time and a memory budget: a
job past either ends with a reason for a person, its process is replaced, and the next job runs."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from streams.handling import TransientFailure
from streams.sandbox import JobTooHeavy, ProcessSandbox, SandboxStopped


def spin(seconds: float) -> int:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass
    return os.getpid()


def hog(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


def test_a_job_past_its_time_is_stopped_and_the_next_job_runs() -> None:
    sandbox = ProcessSandbox(workers=1, timeout_s=1.0, memory_mb=0)

    async def drill() -> tuple[float, int, int]:
        first = await sandbox.run(spin, 0.0)
        started = time.monotonic()
        with pytest.raises(JobTooHeavy, match="longer than 1 s"):
            await sandbox.run(spin, 60.0)
        stopped_after = time.monotonic() - started
        return stopped_after, first, await sandbox.run(spin, 0.0)

    try:
        stopped_after, first, then = asyncio.run(drill())
    finally:
        sandbox.close()
    assert stopped_after < 5  # killed at its limit, not run for a minute
    assert first != then != os.getpid()  # the stuck process was replaced; nothing ran in the worker


def test_a_job_past_its_memory_is_stopped_with_the_reason() -> None:
    sandbox = ProcessSandbox(workers=1, timeout_s=60.0, memory_mb=2048)

    async def drill() -> int:
        with pytest.raises(JobTooHeavy, match="more than 2048 MB"):
            await sandbox.run(hog, 4096)
        return await sandbox.run(hog, 10)

    try:
        assert asyncio.run(drill()) == 10 * 1024 * 1024
    finally:
        sandbox.close()


def stopped_by(sig: int) -> int:
    os.kill(os.getpid(), sig)
    time.sleep(30)
    return 0


def test_a_job_stopped_with_its_worker_is_tried_again_not_judged_too_heavy() -> None:
    """A stop signal reaches the worker's whole process group, the sandbox first: the job is not at
    fault and must not end its basket ("may have needed more than 4096 MB" failed baskets at every
    restart); a process killed otherwise (the system's memory killer) still ends the job with a reason."""
    sandbox = ProcessSandbox(workers=1, timeout_s=60.0, memory_mb=0)

    async def drill() -> int:
        with pytest.raises(SandboxStopped) as stopped:
            await sandbox.run(stopped_by, signal.SIGTERM)
        assert isinstance(stopped.value, TransientFailure)  # the pipeline retries, never dead-letters
        with pytest.raises(JobTooHeavy, match="its process stopped"):
            await sandbox.run(stopped_by, signal.SIGKILL)
        return await sandbox.run(hog, 1)

    try:
        assert asyncio.run(drill()) == 1024 * 1024
    finally:
        sandbox.close()

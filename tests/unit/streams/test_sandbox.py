"""The sandbox runs heavy or untrusted work in other processes, within a time and a memory budget: a
job past either ends with a reason for a person, its process is replaced, and the next job runs."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from streams.sandbox import JobTooHeavy, ProcessSandbox


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

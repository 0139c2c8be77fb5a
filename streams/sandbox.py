"""Heavy or untrusted work (reading a page, a fax, selecting among offers) off the event loop and
outside any transaction: each job runs in a worker process (pebble's pool), with a time limit after
which the process is killed, a cap on its memory, and a lower CPU priority than the worker itself, so
one hostile page costs a basket its answer and nobody else their time. Tests and single-shot commands
run jobs inline (`InlineSandbox`): same interface, same errors."""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import signal
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from multiprocessing import get_context
from typing import Any, Protocol, TypeVar

from pebble import ProcessExpired, ProcessPool

from streams.handling import TransientFailure

log = logging.getLogger(__name__)

T = TypeVar("T")
NICENESS = 10  # jobs yield the CPU to the worker's own loop


class JobTooHeavy(Exception):
    """A job ran past its time or memory budget; the message says which, in words for a person."""


class SandboxStopped(TransientFailure):
    """The job's process was stopped from outside, not by its budget: the worker is shutting down (a
    stop signal reaches its whole process group, the sandbox's processes first). Nothing is wrong with
    the job: its record is not done, and it is tried again here or by the worker that takes over."""


# how a pool process stopped by a stop signal ends: killed by it (minus the signal), or, for SIGTERM,
# exiting with the signal's number (pebble's process handles SIGTERM so); never an ordinary exit code
STOPPED_EXIT_CODES = frozenset({-signal.SIGTERM, signal.SIGTERM, -signal.SIGINT, -signal.SIGHUP})


class Sandbox(Protocol):
    async def run(self, job: Callable[..., T], *args: Any) -> T:
        """`job(*args)` within the budget; raises JobTooHeavy, SandboxStopped (its process was stopped with
        the worker: try again), or the job's own exception."""
        ...

    def warm_up(self, job: Callable[[], object]) -> None:
        """Run `job` once in each process now, so the first real job does not pay for its imports."""
        ...

    def close(self) -> None: ...


def _limit(memory_bytes: int) -> None:
    """In each pool process: cap its address space, and let the worker's own loop go first."""
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    os.nice(NICENESS)


class ProcessSandbox:
    """`workers` processes (spawned, not forked: the worker has threads); `timeout_s` per job."""

    def __init__(self, workers: int, timeout_s: float, memory_mb: int) -> None:
        self.workers = workers
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.closing = False
        self.pool = ProcessPool(
            max_workers=workers,
            initializer=_limit,
            initargs=(memory_mb * 1024 * 1024,),
            context=get_context("spawn"),
        )

    async def run(self, job: Callable[..., T], *args: Any) -> T:
        future = self.pool.schedule(job, args=args, timeout=self.timeout_s)
        try:
            result: T = await asyncio.wrap_future(future)
        except (TimeoutError, FutureTimeout):
            raise JobTooHeavy(f"it took longer than {self.timeout_s:g} s") from None
        except MemoryError:
            raise JobTooHeavy(f"it needed more than {self.memory_mb} MB") from None
        except ProcessExpired as exc:  # killed by the system or crashed (e.g. the memory cap in C code)
            if self.closing or exc.exitcode in STOPPED_EXIT_CODES:
                raise SandboxStopped("the sandbox stopped with its worker; the job is tried again") from None
            log.warning("a sandboxed job's process ended: %s", exc)
            raise JobTooHeavy(
                f"its process stopped (it may have needed more than {self.memory_mb} MB)"
            ) from None
        return result

    def warm_up(self, job: Callable[[], object]) -> None:
        for _ in range(self.workers):
            self.pool.schedule(job, timeout=max(self.timeout_s, 60.0))

    def close(self) -> None:
        self.closing = True
        self.pool.stop()
        self.pool.join(timeout=5)


class InlineSandbox:
    """Runs each job right here, on the caller's loop (tests, commands that read one page): no limits."""

    async def run(self, job: Callable[..., T], *args: Any) -> T:
        return job(*args)

    def warm_up(self, job: Callable[[], object]) -> None:
        pass

    def close(self) -> None:
        pass

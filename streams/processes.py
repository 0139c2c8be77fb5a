"""Child processes Kitting starts: each in its own session, told to die with its parent (Linux
PR_SET_PDEATHSIG), logged to a file, and stopped by its pid."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
from pathlib import Path

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Runs in a child between fork and exec: the kernel sends it SIGTERM if Kitting dies."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def spawn(args: list[str], env: dict[str, str] | None, log_path: Path | None) -> subprocess.Popen[bytes]:
    """Start `args` in its own session; its output goes to `log_path` (or is discarded)."""
    out = open(log_path, "ab") if log_path else None
    try:
        return subprocess.Popen(
            args,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
    finally:
        if out:
            out.close()


def stop_process(process: subprocess.Popen[bytes] | None, timeout_s: float = 10.0) -> None:
    """Stop a child we started in its own session: SIGTERM to its group, then SIGKILL if it lingers."""
    if process is None or process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, timeout_s), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue

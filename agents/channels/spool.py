"""A fax server's spool folder (or any folder a mail or text gateway drops jobs into), watched by
polling: every job file found becomes one `method-browsed` event.

    *.tif *.tiff *.pdf *.png *.jpg *.jpeg   a fax, read by OCR
    *.eml                                   an e-mail (RFC 822)
    *.txt                                   a typed list

Delivery is at least once. A file is moved into `done/` only after its event is published, so a
crash before publishing reads it again at the next start; a crash between publishing and the move
publishes it a second time, as the same basket (its id comes from the file's name, size and time)
with the same event id, which the roles drop as a repeat. A file whose
publishing fails stays where it is and is tried again at the next scan. A fax that cannot be read
is still published (with `unreadable`), so its basket fails with the reason instead of vanishing;
only a file that is no job at all goes to `failed/`, beside a `<name>.reason.txt` saying why.

A fax server may still be writing a file: a file is taken only once its size has stayed the same
between two scans, or once it has not changed for `settle_s` seconds. Temporary names (".x", "~x",
"x.part", "x.tmp") are left alone, since the server renames them when it is done."""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from agents.channels import ocr
from agents.channels.jobs import job_from_email, job_from_fax, job_from_text, unreadable_job
from agents.channels.mail import MAX_MAIL_BYTES
from agents.channels.ocr import OcrUnavailable
from schemas.events import MAX_JOB_TEXT, Channel, MethodBrowsed

log = logging.getLogger(__name__)

FAX_SUFFIXES = (".tif", ".tiff", ".pdf", ".png", ".jpg", ".jpeg")
TEMPORARY_SUFFIXES = (".part", ".partial", ".tmp", ".filepart", ".crdownload", ".swp")
LIMITS = {Channel.fax: ocr.MAX_BYTES, Channel.email: MAX_MAIL_BYTES, Channel.text: MAX_JOB_TEXT * 4}

Publish = Callable[[MethodBrowsed], Awaitable[None]]
Outcome = Literal["published", "failed", "retry"]


@dataclass(frozen=True)
class SpoolResult:
    name: str  # the file's name in the spool
    outcome: Outcome  # published (now in done/), failed (now in failed/), retry (left in place)
    job: MethodBrowsed | None = None
    reason: str | None = None


def channel_of(path: Path) -> Channel | None:
    """The channel a spool file belongs to, by its suffix; None for a file that is no job."""
    suffix = path.suffix.lower()
    if suffix in FAX_SUFFIXES:
        return Channel.fax
    if suffix == ".eml":
        return Channel.email
    if suffix == ".txt":
        return Channel.text
    return None


class Spool:
    """The folder, its `done/` and `failed/` subfolders, and the sizes seen at the last scan."""

    def __init__(self, folder: Path, publish: Publish, settle_s: float = 2.0) -> None:
        self.folder = folder
        self.publish = publish
        self.settle_s = settle_s
        self.done = folder / "done"
        self.failed = folder / "failed"
        self._sizes: dict[str, int] = {}

    async def run(self, interval_s: float = 2.0, stop: asyncio.Event | None = None) -> None:
        """Scan every `interval_s` seconds until `stop` is set; a failed scan is logged, not fatal."""
        stop = stop or asyncio.Event()
        log.info("watching the spool folder %s", self.folder)
        while not stop.is_set():
            try:
                await self.scan_once()
            except Exception:
                log.exception("scanning the spool folder %s failed; trying again", self.folder)
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval_s)
            except TimeoutError:
                pass

    async def scan_once(self) -> list[SpoolResult]:
        """Take every settled job file once, in name order."""
        self.done.mkdir(parents=True, exist_ok=True)
        self.failed.mkdir(parents=True, exist_ok=True)
        ready, sizes, results = [], {}, []
        for path in sorted(self.folder.iterdir()):
            if _temporary(path) or (path.is_dir() and not path.is_symlink()):
                continue
            refusal = _not_a_plain_file(path)
            if refusal is not None:
                results.append(self._fail(path, refusal))
                continue
            size = path.stat().st_size
            sizes[path.name] = size
            if self._settled(path, size):
                ready.append(path)
        self._sizes = sizes
        for path in ready:
            results.append(await self._take(path))
        return results

    def _settled(self, path: Path, size: int) -> bool:
        """Same size as at the last scan, or untouched for `settle_s` seconds."""
        if self._sizes.get(path.name) == size:
            return True
        return time.time() - path.stat().st_mtime >= self.settle_s

    async def _take(self, path: Path) -> SpoolResult:
        channel = channel_of(path)
        if channel is None:
            reason = (
                f"{path.name} is not a job file: Kitting reads faxes ({', '.join(FAX_SUFFIXES)}), "
                "e-mails (.eml) and typed lists (.txt); rename it or send it through another channel"
            )
            return self._fail(path, reason)
        try:
            job = await asyncio.to_thread(_read_job, path, channel)
        except (OcrUnavailable, OSError) as exc:  # the operator's problem or a passing one: keep the file
            if _not_a_plain_file(path) is not None:
                return self._fail(path, _not_a_plain_file(path) or "not a plain file")
            log.error("%s stays in the spool: %s", path.name, exc)
            return SpoolResult(path.name, "retry", None, str(exc))
        except Exception as exc:  # a file that breaks the reader must not block the spool for ever
            log.exception("reading %s failed", path.name)
            return self._fail(path, f"reading {path.name} failed: {type(exc).__name__}: {exc}")
        try:
            await self.publish(job)
        except Exception as exc:
            log.warning("publishing %s failed, it stays in the spool to be tried again: %s", path.name, exc)
            return SpoolResult(path.name, "retry", job, f"publishing failed: {exc}")
        log.info("published %s as basket %s (%s)", path.name, job.basket_id, job.unreadable or "read")
        try:
            path.replace(_free_name(self.done / path.name))
        except OSError as exc:  # it would be published again at the next scan: say so
            log.error(
                "%s was published but could not be moved to done/ (%s): it will be sent again", path, exc
            )
        return SpoolResult(path.name, "published", job, job.unreadable)

    def _fail(self, path: Path, reason: str) -> SpoolResult:
        log.warning("%s moved to failed/: %s", path.name, reason)
        target = _free_name(self.failed / path.name)
        path.replace(target)
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
        return SpoolResult(path.name, "failed", None, reason)


SPOOL_IDS = uuid.UUID("0b6f6c43-6b9e-4f0e-8a8c-5f1f3c2d9e71")


def spool_basket_id(path: Path) -> str:
    """The same file (name, size, modification time) is the same basket: a file published again after
    a crash (before it was moved to done/) repeats its basket, and its event, instead of adding one."""
    info = path.lstat()
    return str(uuid.uuid5(SPOOL_IDS, f"{path.name}:{info.st_size}:{info.st_mtime_ns}"))


def _not_a_plain_file(path: Path) -> str | None:
    """Why the spool does not read `path`: only a file of its own folder is a job. A link (to
    var/vault.key, say), a file with another name elsewhere (a hard link), a device or a pipe is not."""
    try:
        info = path.lstat()
    except OSError as exc:
        return f"{path.name} cannot be looked at: {exc.strerror}"
    if stat.S_ISLNK(info.st_mode):
        return f"{path.name} is a link: the spool reads only files put in the folder itself"
    if not stat.S_ISREG(info.st_mode):
        return f"{path.name} is not a regular file"
    if info.st_nlink > 1:
        return f"{path.name} has other names elsewhere (a hard link): copy the file into the folder"
    return None


def _read_plain(path: Path, limit: int) -> bytes | None:
    """The file's bytes, opened without following a link (it may have changed since the scan); None
    when it is larger than `limit`."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(descriptor, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1:
            raise OSError(f"{path.name} is no longer a plain file of the spool")
        data = file.read(limit + 1)
    return None if len(data) > limit else data


def _read_job(path: Path, channel: Channel) -> MethodBrowsed:
    """The job in one spool file, read in a worker thread (OCR takes seconds a page)."""
    origin = f"spool:{path.name}"
    basket_id = spool_basket_id(path)
    size = path.lstat().st_size
    data = None if size > LIMITS[channel] else _read_plain(path, LIMITS[channel])
    if data is None:
        limit_mb = LIMITS[channel] / 1024 / 1024
        reason = (
            f"{path.name} is {size / 1024 / 1024:.1f} MB, over the {limit_mb:.0f} MB limit for a {channel}"
        )
        return unreadable_job(channel, origin, reason, basket_id)
    if channel is Channel.fax:
        return job_from_fax(data, path.name, origin, basket_id)
    if channel is Channel.email:
        return job_from_email(data, origin, basket_id)
    return job_from_text(_decode(data), origin, basket_id)


def _decode(data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark), else Windows-1252, as older gateways write."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _temporary(path: Path) -> bool:
    return path.name.startswith((".", "~")) or path.suffix.lower() in TEMPORARY_SUFFIXES


def _free_name(target: Path) -> Path:
    """`target`, or `name-2.tif`, `name-3.tif`... when a file of that name is already there."""
    candidate, number = target, 1
    while candidate.exists():
        number += 1
        candidate = target.with_name(f"{target.stem}-{number}{target.suffix}")
    return candidate

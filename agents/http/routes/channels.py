"""Jobs from the other channels over HTTP: a fax (TIFF, PDF or an image, read by OCR), an e-mail (an
RFC 822 message) or plain text, posted by a fax server, a mail gateway or another server. Each job
records its channel and origin; one that cannot be read still becomes a job, which fails with the
reason. Fax servers that only write files use the spool folder instead (agents/channels/spool.py)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Depends, HTTPException, Request, UploadFile

from agents.channels.jobs import job_from_email, job_from_fax, job_from_text
from agents.channels.ocr import OcrUnavailable
from schemas.events import MAX_JOB_TEXT, MethodBrowsed

MAX_UPLOAD_BYTES = 20_000_000

Publish = Callable[[MethodBrowsed], Awaitable[None]]


def _origin(request: Request, name: str) -> str:
    sender = request.client.host if request.client else "unknown"
    return f"upload:{name[:200]} from {sender}"


def _safe_name(name: str | None) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", (name or "upload").rsplit("/", 1)[-1])[:120] or "upload"


async def _body(request: Request) -> bytes:
    data = await request.body()
    if not data:
        raise HTTPException(422, "the request body is empty: send the job itself as the body")
    if len(data) > MAX_UPLOAD_BYTES:
        raise HTTPException(413, f"the job is {len(data)} bytes; at most {MAX_UPLOAD_BYTES} are accepted")
    return data


def channels_router(
    publish: Publish, guard: Callable[..., None], basket_token: Callable[[str], str]
) -> APIRouter:
    router = APIRouter(tags=["channels"], dependencies=[Depends(guard)])

    async def accepted(job: MethodBrowsed) -> dict[str, str | None]:
        await publish(job)
        token = basket_token(job.basket_id)
        return {
            "basket_id": job.basket_id, "channel": job.channel, "origin": job.origin,
            "unreadable": job.unreadable, "token": token,
            "terminal_url": f"/terminal/?basket={job.basket_id}&token={token}",
        }  # fmt: skip

    @router.post("/v1/channels/fax", status_code=202)
    async def fax(file: UploadFile, request: Request) -> dict[str, str | None]:
        """A faxed job as a TIFF, PDF, PNG or JPEG file (multipart field `file`). It is read by OCR; an
        unreadable fax still becomes a job, which fails with the reason (`unreadable`)."""
        data = await file.read(MAX_UPLOAD_BYTES + 1)
        if not data:
            raise HTTPException(422, "the uploaded fax is empty")
        if len(data) > MAX_UPLOAD_BYTES:
            raise HTTPException(413, f"the fax is over {MAX_UPLOAD_BYTES} bytes")
        name = _safe_name(file.filename)
        try:
            job = await asyncio.to_thread(job_from_fax, data, name, _origin(request, name))
        except OcrUnavailable as exc:
            raise HTTPException(503, str(exc)) from None
        return await accepted(job)

    @router.post("/v1/channels/email", status_code=202)
    async def email(request: Request) -> dict[str, str | None]:
        """A job sent by e-mail: the whole RFC 822 message as the body (Content-Type: message/rfc822)."""
        raw = await _body(request)
        try:
            job = await asyncio.to_thread(job_from_email, raw, _origin(request, "message"))
        except OcrUnavailable as exc:
            raise HTTPException(503, str(exc)) from None
        return await accepted(job)

    @router.post("/v1/channels/text", status_code=202)
    async def text(request: Request) -> dict[str, str | None]:
        """A job as plain text (Content-Type: text/plain, UTF-8): one component per line."""
        raw = await _body(request)
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HTTPException(422, f"the text is not UTF-8 ({exc.reason} at byte {exc.start})") from None
        if len(body) > MAX_JOB_TEXT:
            raise HTTPException(413, f"the text has {len(body)} characters; at most {MAX_JOB_TEXT}")
        return await accepted(job_from_text(body, _origin(request, "text")))

    return router

"""Jobs from the other channels over HTTP: a fax (TIFF, PDF or an image, read by OCR), an e-mail (an
RFC 822 message) or plain text, posted by a fax server, a mail gateway or another server. Each job
records its channel and origin; one that cannot be read still becomes a job, which fails with the
reason. Fax servers that only write files use the spool folder instead (agents/channels/spool.py). Every
channel takes the operator's token."""

from __future__ import annotations

import asyncio
import re
import uuid

from fastapi import APIRouter, HTTPException, Request, UploadFile

from agents.baskets.start import start_basket
from agents.channels.jobs import job_from_email, job_from_fax, job_from_text
from agents.channels.ocr import OcrUnavailable
from agents.http.publishing import bus_answers
from agents.http.services import ADMIN, Services, ServicesDep
from schemas.events import MAX_JOB_TEXT, MethodBrowsed

MAX_UPLOAD_BYTES = 20_000_000
SOURCE = "urn:kitting:channels"
SPOOL_EVENTS = uuid.UUID("d2a5f9d4-3c1b-4f62-9a0e-2b7f4e8c6a15")

router = APIRouter(tags=["channels"], dependencies=ADMIN)


def _origin(request: Request, name: str) -> str:
    """Where a job came from, as it travels on the bus: the channel and the file's name, never the
    sender's address."""
    return f"upload:{name[:200]}"


def _safe_name(name: str | None) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", (name or "upload").rsplit("/", 1)[-1])[:120] or "upload"


async def _body(request: Request) -> bytes:
    data = await request.body()
    if not data:
        raise HTTPException(422, "the request body is empty: send the job itself as the body")
    if len(data) > MAX_UPLOAD_BYTES:
        raise HTTPException(413, f"the job is {len(data)} bytes; at most {MAX_UPLOAD_BYTES} are accepted")
    return data


async def accepted(services: Services, job: MethodBrowsed) -> dict[str, str | None]:
    with bus_answers():
        await start_basket(services.publisher, job, source=SOURCE)
    token = services.vault.basket_token(job.basket_id)
    return {
        "basket_id": job.basket_id, "channel": job.channel, "origin": job.origin,
        "unreadable": job.unreadable, "token": token,
        "terminal_url": f"/terminal/?basket={job.basket_id}&token={token}",
    }  # fmt: skip


async def start_spooled(services: Services, job: MethodBrowsed) -> None:
    """A job from the fax server's spool folder (agents/channels/spool.py). A file sent again (after a
    crash, before it was moved to done/) is the same basket and the same event; any error leaves the
    file in place, to try again."""
    event_id = str(uuid.uuid5(SPOOL_EVENTS, job.basket_id))
    await start_basket(services.publisher, job, source=SOURCE, event_id=event_id)


@router.post("/v1/channels/fax", status_code=202)
async def fax(file: UploadFile, request: Request, services: ServicesDep) -> dict[str, str | None]:
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
    return await accepted(services, job)


@router.post("/v1/channels/email", status_code=202)
async def email(request: Request, services: ServicesDep) -> dict[str, str | None]:
    """A job sent by e-mail: the whole RFC 822 message as the body (Content-Type: message/rfc822)."""
    raw = await _body(request)
    try:
        job = await asyncio.to_thread(job_from_email, raw, _origin(request, "message"))
    except OcrUnavailable as exc:
        raise HTTPException(503, str(exc)) from None
    return await accepted(services, job)


@router.post("/v1/channels/text", status_code=202)
async def text(request: Request, services: ServicesDep) -> dict[str, str | None]:
    """A job as plain text (Content-Type: text/plain, UTF-8): one component per line."""
    raw = await _body(request)
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HTTPException(422, f"the text is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    if len(body) > MAX_JOB_TEXT:
        raise HTTPException(413, f"the text has {len(body)} characters; at most {MAX_JOB_TEXT}")
    return await accepted(services, job_from_text(body, _origin(request, "text")))

"""A job from a channel (fax, e-mail, typed text) as the `method-browsed` event every job starts as.

The channel only reads: the text goes on the event and the extractor turns it into components, as it
does for a page. A job the channel cannot read still goes out, with `unreadable` saying why, so its
basket fails with that reason where the person can see it; nothing is dropped on the floor."""

from __future__ import annotations

import logging
import uuid

from agents.channels.mail import MailJob, UnreadableMail, read_email
from agents.channels.ocr import MAX_PAGES, PageBudget, UnreadableFax, read_fax
from agents.extraction.text import list_lines
from schemas.events import MAX_JOB_TEXT, Channel, MethodBrowsed

log = logging.getLogger(__name__)

MAX_ORIGIN = 500
MAX_REASON = 1000


def job_from_fax(data: bytes, filename: str, origin: str, basket_id: str | None = None) -> MethodBrowsed:
    """A fax (TIFF, PDF, PNG or JPEG) read by OCR; `origin` says where it came from, e.g.
    "spool:shopping.tif" or "upload:shopping.pdf". Raises OcrUnavailable without Tesseract: that is the
    operator's problem, not the job's, and must not fail the person's basket."""
    try:
        text = read_fax(data, filename).text
    except UnreadableFax as exc:
        log.info("fax %s could not be read: %s", origin, exc)
        return _job(Channel.fax, origin, basket_id, unreadable=str(exc))
    return _job(Channel.fax, origin, basket_id, text=text)


def job_from_email(raw: bytes, origin: str | None = None, basket_id: str | None = None) -> MethodBrowsed:
    """An e-mail: the subject and the sender's own words; when those hold no list but the message
    carries a fax (as fax-to-mail gateways send it), the fax read by OCR. The event's origin is
    "mail:<message-id>", after `origin` when given (e.g. "spool:job.eml mail:<id>")."""
    try:
        mail = read_email(raw)
    except UnreadableMail as exc:
        log.info("e-mail %s could not be read: %s", origin, exc)
        return _job(Channel.email, origin or "mail:unknown", basket_id, unreadable=str(exc))
    where = " ".join(
        part for part in (origin, f"mail:<{mail.message_id}>" if mail.message_id else None) if part
    )
    where = where or "mail:unknown"
    faxes = mail.fax_attachments()
    if _has_list_lines(mail.text) or not faxes:
        return _job(Channel.email, where, basket_id, text=_mail_text(mail, mail.text))
    return _job_from_attachments(mail, faxes, where, basket_id)


def job_from_text(text: str, origin: str, basket_id: str | None = None) -> MethodBrowsed:
    """A list typed as plain text (a text message, a form's text box, a .txt file). An empty text
    goes out as it is: the extractor answers it with the reason."""
    return _job(Channel.text, origin, basket_id, text=text)


def unreadable_job(channel: Channel, origin: str, reason: str, basket_id: str | None = None) -> MethodBrowsed:
    """A job the channel could not read (e.g. a file over the size limit), sent so its basket fails with
    the reason."""
    return _job(channel, origin, basket_id, unreadable=reason)


def _job_from_attachments(
    mail: MailJob, faxes: list[tuple[str, str, bytes]], origin: str, basket_id: str | None
) -> MethodBrowsed:
    """The body has no list: read the attached faxes, all of them, in order. Any that reads is enough;
    when none does, the reasons of all go on the job."""
    texts, reasons, skipped = [], [], 0
    budget = PageBudget()  # the pages of all the attachments together: one job's allowance
    for filename, _, data in faxes:
        if budget.left == 0:
            skipped += 1
            continue
        try:
            texts.append(read_fax(data, filename, budget).text)
        except UnreadableFax as exc:
            reasons.append(f"{filename}: {exc}")
    if skipped:
        reasons.insert(0, f"{skipped} attachment(s) not read: a job has at most {MAX_PAGES} pages in all")
        log.info("e-mail %s: %d attachment(s) past the job's %d pages not read", origin, skipped, MAX_PAGES)
    if not texts:
        return _job(
            Channel.email,
            origin,
            basket_id,
            unreadable="the attached fax could not be read: " + "; ".join(reasons),
        )
    return _job(Channel.email, origin, basket_id, text=_mail_text(mail, "\n\n".join(texts)))


def _has_list_lines(text: str) -> bool:
    """Whether the body names anything to buy (a body of "See attached." does not)."""
    return bool(list_lines(text))


def _mail_text(mail: MailJob, body: str) -> str:
    """The subject titles the job ("Subject: Shopping for Saturday"), the body lists it."""
    return f"Subject: {mail.subject}\n\n{body}" if mail.subject else body


def _job(
    channel: Channel,
    origin: str,
    basket_id: str | None,
    text: str | None = None,
    unreadable: str | None = None,
) -> MethodBrowsed:
    basket = basket_id or str(uuid.uuid4())
    return MethodBrowsed(
        basket_id=basket,
        url=f"urn:kitting:{channel.value}:{basket}",
        channel=channel,
        origin=origin[:MAX_ORIGIN],
        text=text[:MAX_JOB_TEXT] if text is not None else None,
        unreadable=unreadable[:MAX_REASON] if unreadable is not None else None,
    )

"""Reading a job sent by e-mail (an RFC 822 message, as a mail server delivers it): the subject, the
body the sender wrote (not the message they replied to, not their signature) and any attachments,
since a fax-to-mail gateway sends the fax as a TIFF or PDF attachment with an empty body.

Of the sender only the domain is kept: it tells a shop's own gateway from a person without being
personal data on the bus."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage, Message

import lxml.html

from agents.channels.ocr import sniff
from agents.extraction.lines import clean

MAX_MAIL_BYTES = 30 * 1024 * 1024  # a 20 MB fax, base64-encoded, and the message around it
ATTRIBUTION = re.compile(
    r"^(?:on .{1,200} wrote|-{2,} ?original message ?-{2,}|from: .+ sent: .+)\s*:?$", re.I
)
BLOCKS = ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table")

Attachment = tuple[str, str, bytes]  # file name, content type, content


class UnreadableMail(Exception):
    """The message cannot be read as a job: not a message, or nothing in it to read."""


@dataclass(frozen=True)
class MailJob:
    subject: str
    text: str  # the sender's own words: no quoted reply, no signature
    message_id: str | None
    sender_domain: str | None
    attachments: list[Attachment] = field(default_factory=list)

    def fax_attachments(self) -> list[Attachment]:
        """The attachments that are a scan or a fax by their content (TIFF, PDF, PNG, JPEG)."""
        return [attachment for attachment in self.attachments if is_fax_like(attachment[2])]


def is_fax_like(data: bytes) -> bool:
    return sniff(data) is not None


def read_email(raw: bytes) -> MailJob:
    """The job in the message. Raises UnreadableMail when it is not a message or holds neither body
    text nor a TIFF, PDF, PNG or JPEG attachment."""
    if not raw.strip():
        raise UnreadableMail("the message is empty")
    if len(raw) > MAX_MAIL_BYTES:
        raise UnreadableMail(
            f"the message is {len(raw) / 1024 / 1024:.1f} MB, over the {MAX_MAIL_BYTES // 1024 // 1024} MB "
            "limit: send the fax in fewer pages"
        )
    message = message_from_bytes(raw, policy=policy.default)
    if not isinstance(message, EmailMessage) or not message.keys():
        raise UnreadableMail("not an e-mail message: it has no headers (From, Subject, ...)")
    try:
        body = _body(message)
        attachments = _attachments(message)
    except (LookupError, ValueError, AssertionError) as exc:  # an unknown charset, a broken MIME tree
        raise UnreadableMail(f"the message's MIME structure cannot be read: {exc}") from exc
    job = MailJob(
        subject=clean(_header(message, "Subject")),
        text=body,
        message_id=_message_id(message),
        sender_domain=_sender_domain(message),
        attachments=attachments,
    )
    if not job.text and not job.fax_attachments():
        found = ", ".join(f"{name} ({ctype})" for name, ctype, _ in attachments) or "none"
        raise UnreadableMail(
            "the message has no text of its own and no TIFF, PDF, PNG or JPEG attachment "
            f"(attachments: {found})"
        )
    return job


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # a header the parser cannot make sense of
        return ""
    return str(value) if value is not None else ""


def _message_id(message: EmailMessage) -> str | None:
    value = _header(message, "Message-ID").strip().strip("<>").strip()
    return value or None


def _sender_domain(message: EmailMessage) -> str | None:
    """The domain of the first From address, lower-cased; never the name or the mailbox."""
    try:
        header = message.get("From")
        addresses: tuple[Address, ...] = getattr(header, "addresses", ())
    except (ValueError, IndexError, TypeError):
        return None
    domains = [address.domain.lower() for address in addresses if address.domain]
    return domains[0] if domains else None


def _body(message: EmailMessage) -> str:
    """The plain-text body when there is one, else the HTML body as text; only the sender's own lines."""
    part = message.get_body(preferencelist=("plain",))
    if part is not None:
        return own_words(_content(part))
    part = message.get_body(preferencelist=("html",))
    if part is not None:
        return own_words(html_text(_content(part)))
    return ""


def _content(part: Message) -> str:
    content = part.get_content() if isinstance(part, EmailMessage) else part.get_payload(decode=False)
    return content if isinstance(content, str) else ""


def own_words(text: str) -> str:
    """The text without quoted lines ("> ..."), the "On ... wrote:" line that introduces them, and the
    signature after the "-- " line; blank lines at either end dropped."""
    kept: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.rstrip() == "--":  # RFC 3676: "-- " starts the signature (some clients drop the space)
            break
        if line.lstrip().startswith(">") or ATTRIBUTION.match(line.strip()):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


def html_text(html: str) -> str:
    """An HTML body as lines of text: blocks and <br> on lines of their own, quoted replies
    (<blockquote>), scripts and styles left out."""
    if not html.strip():
        return ""
    try:
        root = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return ""
    for element in root.iter("script", "style", "head", "blockquote"):
        element.drop_tree()
    for element in root.iter(*BLOCKS):
        element.tail = "\n" + (element.tail or "")
    lines = (clean(line) for line in root.text_content().split("\n"))
    return "\n".join(line for line in lines if line)


def _attachments(message: EmailMessage) -> list[Attachment]:
    """Every part that is a file rather than the body, decoded."""
    found: list[Attachment] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        if not filename and part.get_content_disposition() != "attachment":
            continue
        content = part.get_payload(decode=True)
        if isinstance(content, bytes):
            found.append((clean(filename or "attachment"), part.get_content_type(), content))
    return found

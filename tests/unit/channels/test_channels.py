import asyncio
import io
import os
import re
import shutil
import time
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from agents.channels import ocr
from agents.channels.jobs import job_from_email, job_from_fax, job_from_text
from agents.channels.mail import UnreadableMail, read_email
from agents.channels.ocr import OcrUnavailable, UnreadableFax, despeckle, prepare, read_fax, sniff
from agents.channels.spool import Spool
from agents.extraction.text import extract_text
from schemas.events import Channel, Component, ComponentKind, MethodBrowsed
from tests.faxes import blank_fax, fax_image, fax_pdf, fax_tiff

needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="tesseract is not installed: `make install` installs it"
)

SHOPPING = [
    "Shopping list - lentil curry",
    "2 onions",
    "400 g red lentils",
    "1 tin chopped tomatoes",
    "3 cloves garlic",
    "Tools:",
    "1 wooden spoon",
]
EXPECTED = {  # name (normalised) -> amount, unit, kind
    "onion": ("2", "piece", ComponentKind.ingredient),
    "red lentil": ("400", "g", ComponentKind.ingredient),
    "chopped tomato": ("1", "can", ComponentKind.ingredient),
    "garlic": ("3", "clove", ComponentKind.ingredient),
    "wooden spoon": ("1", "piece", ComponentKind.tool),
}


def _normal(name: str) -> str:
    return re.sub(r"\(s\)|(?<=[a-z])(es|s)\b", "", name.lower()).strip()


def assert_shopping_list(text: str | None) -> None:
    """The text, run through the extractor, gives exactly the list the fax was written with."""
    assert text is not None
    method = extract_text(text, "fax-text")
    assert method.title == "Shopping list - lentil curry"
    found: dict[str, Component] = {}
    for component in method.components:
        match = next((key for key in EXPECTED if key in _normal(component.name)), None)
        assert match is not None, f"unexpected component {component.text!r} in {text!r}"
        found[match] = component
    assert set(found) == set(EXPECTED), text
    for key, (amount, unit, kind) in EXPECTED.items():
        quantity = found[key].quantity
        assert quantity is not None and (quantity.amount, quantity.unit) == (Decimal(amount), unit), key
        assert found[key].kind is kind, key


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


# --- faxes ---------------------------------------------------------------------------------------


@needs_tesseract
@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("shopping.tif", fax_tiff(SHOPPING)),  # fine mode, 204x196 dpi, CCITT G4
        ("normal.tif", fax_tiff(SHOPPING, dpi=(204, 98))),  # normal mode: pixels twice as tall as wide
        ("shopping.pdf", fax_pdf(SHOPPING)),
        ("photo.png", _png(fax_image(SHOPPING))),  # no resolution recorded
    ],
)
def test_a_scanned_shopping_list_fax_becomes_a_job_with_its_list(filename: str, data: bytes) -> None:
    job = job_from_fax(data, filename, f"upload:{filename}")
    assert job.channel is Channel.fax and job.origin == f"upload:{filename}"
    assert job.unreadable is None and job.url == f"urn:kitting:fax:{job.basket_id}"
    assert_shopping_list(job.text)


@needs_tesseract
def test_read_fax_reads_every_page_and_reports_its_confidence() -> None:
    fax = read_fax(fax_tiff(["2 onions", "3 cloves garlic"], pages=2), "two.tif")
    assert fax.pages == 2 and fax.text.count("2 onions") == 2 and "\n\n" in fax.text
    assert fax.mean_confidence >= 80 and fax.words >= 6


@needs_tesseract
def test_a_page_fed_upside_down_is_turned_round() -> None:
    page = fax_image(SHOPPING).rotate(180)
    buffer = io.BytesIO()
    page.save(buffer, "TIFF", compression="group4", dpi=(204, 196))
    assert_shopping_list(read_fax(buffer.getvalue(), "upside-down.tif").text)


@needs_tesseract
def test_a_blank_fax_is_still_a_job_with_the_reason() -> None:
    job = job_from_fax(blank_fax(), "blank.tif", "spool:blank.tif")
    assert job.text is None
    assert job.unreadable == "OCR found no text on 1 page(s): blank or too faint a scan"


@needs_tesseract
def test_a_fax_read_with_too_little_confidence_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "MIN_CONFIDENCE", 99.5)  # the generated fax reads at about 90%
    with pytest.raises(
        UnreadableFax, match=r"OCR confidence \d+% is too low to trust \(at least 100% is needed\)"
    ):
        read_fax(fax_tiff(["2 onions"]), "faint.tif")


def test_an_upload_that_is_no_image_gets_a_clear_reason() -> None:
    job = job_from_fax(b"PK\x03\x04 a word document", "list.docx", "upload:list.docx")
    assert job.text is None and job.channel is Channel.fax
    assert job.unreadable == "not a TIFF, PDF, PNG or JPEG: list.docx starts with 50 4b 03 04 20 61 20 77"
    assert job_from_fax(b"", "empty.tif", "upload:empty.tif").unreadable == (
        "not a TIFF, PDF, PNG or JPEG: empty.tif starts with an empty file"
    )


def test_the_format_is_told_by_content_not_by_name() -> None:
    assert sniff(fax_tiff(["x"])) == "tiff" and sniff(fax_pdf(["x"])) == "pdf"
    assert sniff(_png(Image.new("L", (4, 4)))) == "png" and sniff(b"\xff\xd8\xff\xe0") == "jpeg"
    assert sniff(b"II*") is None


def test_despeckling_removes_lone_pixels_and_keeps_strokes() -> None:
    page = Image.new("1", (20, 20), 1)
    page.putpixel((3, 3), 0)  # a speck
    for x in (10, 11):  # a two-pixel-wide stroke
        for y in range(5, 15):
            page.putpixel((x, y), 0)
    clean = despeckle(page)
    assert clean.getpixel((3, 3)) == 255
    assert all(clean.getpixel((x, y)) == 0 for x in (10, 11) for y in range(5, 15))


def test_a_transparent_screenshot_is_read_on_white_and_a_small_one_enlarged() -> None:
    shot = Image.new("RGBA", (400, 100), (0, 0, 0, 0))
    ImageDraw.Draw(shot).text((10, 10), "2 onions", fill=(0, 0, 0, 255))
    page = prepare(shot)
    histogram = page.histogram()
    assert page.mode == "L" and page.size == (800, 200)
    assert sum(histogram[200:]) / sum(histogram) > 0.9 and sum(histogram[:50]) > 0


def test_a_normal_mode_fax_gets_square_pixels_at_300_dpi() -> None:
    page = prepare(Image.new("1", (1728, 1145), 1), (204.0, 98.0))
    assert page.size == (round(1728 * 300 / 204), round(1145 * 300 / 98))


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")  # Pillow, on the cut-off TIFF
@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (
            fax_tiff(["2 onions"])[:300],
            "damaged.tif is a damaged TIFF: its header cannot be read; send it again",
        ),
        (b"%PDF-1.4 nothing else", "damaged.tif cannot be opened as a PDF (Failed to load document"),
    ],
)
def test_a_damaged_fax_gets_a_clear_reason(data: bytes, reason: str) -> None:
    with pytest.raises(UnreadableFax) as raised:
        read_fax(data, "damaged.tif")
    assert str(raised.value).startswith(reason)


def test_too_many_pages_or_bytes_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "MAX_PAGES", 2)
    with pytest.raises(UnreadableFax, match=r"long\.tif has 3 pages, more than the 2 a job may have"):
        read_fax(fax_tiff(["2 onions"], pages=3), "long.tif")
    monkeypatch.setattr(ocr, "MAX_BYTES", 1024)
    with pytest.raises(UnreadableFax, match=r"big\.pdf is 0\.0 MB, over the 0 MB limit for a fax"):
        read_fax(b"%PDF-" + b"0" * 2000, "big.pdf")


def test_without_tesseract_the_operator_is_told_not_the_job(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "TESSERACT", "no-such-tesseract-binary")
    with pytest.raises(OcrUnavailable, match=r"tesseract is not installed: run `make install`"):
        job_from_fax(fax_tiff(["2 onions"]), "list.tif", "upload:list.tif")
    assert job_from_fax(b"not an image", "x.txt", "upload:x.txt").unreadable  # the job's fault still is


# --- e-mail --------------------------------------------------------------------------------------


def _email(body: str | None = None, attachment: tuple[str, bytes] | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = "Jo Bloggs <jo.bloggs@example.org>"
    message["To"] = "jobs@kitting.example"
    message["Subject"] = "Re: Shopping list for lentil curry"
    message["Message-ID"] = "<20261124.0912@example.org>"
    if body is not None:
        message.set_content(body)
    if attachment is not None:
        filename, data = attachment
        maintype, subtype = ("application", "pdf") if filename.endswith(".pdf") else ("image", "tiff")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(message)


MAIL_BODY = """Hi Sam,

Here you go:
- 2 onions
- 400 g red lentils
- 1 tin chopped tomatoes

Tools:
- 1 wooden spoon

Thanks!

On Mon, 23 Nov 2026 at 18:02, Sam <sam@kitting.example> wrote:
> What do you need for the curry?
> 5 kg of potatoes
"""
SIGNATURE = "-- \nJo Bloggs\n+44 20 7946 0000\n"  # RFC 3676: the signature starts at "-- "


def test_an_e_mail_becomes_a_job_with_its_list_and_without_the_quote_or_signature() -> None:
    job = job_from_email(_email(MAIL_BODY + SIGNATURE))
    assert job.channel is Channel.email and job.origin == "mail:<20261124.0912@example.org>"
    assert job.unreadable is None and job.text is not None
    assert "potatoes" not in job.text and "Jo Bloggs" not in job.text and "jo.bloggs" not in job.text
    method = extract_text(job.text, "email-text")
    assert method.title == "Shopping list for lentil curry"
    assert [(c.name, c.kind) for c in method.components] == [
        ("onions", ComponentKind.ingredient),
        ("red lentils", ComponentKind.ingredient),
        ("chopped tomatoes", ComponentKind.ingredient),
        ("wooden spoon", ComponentKind.tool),
    ]


def test_read_email_keeps_only_the_sender_domain() -> None:
    mail = read_email(_email(MAIL_BODY + SIGNATURE))
    assert mail.sender_domain == "example.org" and mail.message_id == "20261124.0912@example.org"
    assert mail.subject == "Re: Shopping list for lentil curry" and mail.attachments == []
    assert mail.text.startswith("Hi Sam,") and mail.text.endswith("Thanks!")


def test_an_html_only_e_mail_is_read_as_lines() -> None:
    message = EmailMessage()
    message["From"] = "shop@example.net"
    message["Subject"] = "Order"
    html = (
        "<html><body><p>Please get:</p><ul><li>2 onions</li><li>1 kg rice</li></ul>"
        "<blockquote>5 kg potatoes</blockquote></body></html>"
    )
    message.set_content(html, subtype="html")
    mail = read_email(bytes(message))
    assert mail.text == "Please get:\n2 onions\n1 kg rice"
    assert [c.text for c in extract_text(mail.text).components] == ["2 onions", "1 kg rice"]


@needs_tesseract
def test_an_e_mail_with_only_a_fax_attachment_is_read_by_ocr() -> None:
    job = job_from_email(_email("See attached.", ("fax.pdf", fax_pdf(SHOPPING))), "spool:fax.eml")
    assert job.origin == "spool:fax.eml mail:<20261124.0912@example.org>"
    assert job.unreadable is None and job.text is not None
    assert job.text.startswith("Subject: Re: Shopping list for lentil curry\n")
    assert_shopping_list(job.text.split("\n", 1)[1])  # the fax's own title line titles it


def test_an_e_mail_with_nothing_to_read_gets_the_reason() -> None:
    job = job_from_email(_email("-- \nJo"), "spool:empty.eml")
    assert job.text is None and job.origin == "spool:empty.eml"
    assert (
        job.unreadable
        == "the message has no text of its own and no TIFF, PDF, PNG or JPEG attachment (attachments: none)"
    )


@pytest.mark.parametrize("raw", [b"", b"   \r\n", b"\x89PNG\r\n\x1a\n not a message"])
def test_something_that_is_no_e_mail_is_unreadable(raw: bytes) -> None:
    with pytest.raises(UnreadableMail):
        read_email(raw)
    job = job_from_email(raw)
    assert job.channel is Channel.email and job.origin == "mail:unknown" and job.unreadable


def test_a_typed_list_becomes_a_text_job() -> None:
    job = job_from_text("2 onions\n1 kg rice", "sms:+44...", basket_id="b-1")
    assert (job.basket_id, job.url, job.channel, job.origin) == (
        "b-1",
        "urn:kitting:text:b-1",
        Channel.text,
        "sms:+44...",
    )
    assert job.text == "2 onions\n1 kg rice" and job.unreadable is None


def test_a_long_origin_or_text_is_cut_to_fit_the_event() -> None:
    job = job_from_text("2 eggs\n" * 20_000, "x" * 600)
    assert job.origin is not None and len(job.origin) == 500
    assert job.text is not None and len(job.text) == 100_000


# --- the spool folder ----------------------------------------------------------------------------


class Recorder:
    """A publish callable that keeps what it was given; `fail` makes it raise."""

    def __init__(self) -> None:
        self.jobs: list[MethodBrowsed] = []
        self.fail = False

    async def __call__(self, job: MethodBrowsed) -> None:
        if self.fail:
            raise ConnectionError("broker unreachable")
        self.jobs.append(job)


def _drop(folder: Path, name: str, data: bytes, age_s: float = 10.0) -> Path:
    """A file as the fax server leaves it, written `age_s` seconds ago."""
    path = folder / name
    path.write_bytes(data)
    then = time.time() - age_s
    os.utime(path, (then, then))
    return path


async def test_spool_files_are_published_once_and_moved_to_done(tmp_path: Path) -> None:
    recorder = Recorder()
    spool = Spool(tmp_path, recorder)
    _drop(tmp_path, "list.txt", b"2 onions\n1 kg rice\n")
    _drop(tmp_path, "mail.eml", _email(MAIL_BODY + SIGNATURE))
    _drop(tmp_path, "scan.pdf", b"%PDF-1.4 truncated")  # a fax that cannot be read still goes out
    results = await spool.scan_once()
    assert [(r.name, r.outcome) for r in results] == [
        ("list.txt", "published"),
        ("mail.eml", "published"),
        ("scan.pdf", "published"),
    ]
    by_origin = {job.origin: job for job in recorder.jobs}
    assert by_origin["spool:list.txt"].channel is Channel.text
    assert by_origin["spool:mail.eml mail:<20261124.0912@example.org>"].channel is Channel.email
    unreadable = by_origin["spool:scan.pdf"].unreadable
    assert unreadable is not None and unreadable.startswith("scan.pdf cannot be opened as a PDF")
    assert sorted(p.name for p in (tmp_path / "done").iterdir()) == ["list.txt", "mail.eml", "scan.pdf"]
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == []
    assert await spool.scan_once() == [] and len(recorder.jobs) == 3


async def test_an_unknown_file_goes_to_failed_with_the_reason(tmp_path: Path) -> None:
    recorder = Recorder()
    _drop(tmp_path, "notes.docx", b"PK\x03\x04")
    (result,) = await Spool(tmp_path, recorder).scan_once()
    assert result.outcome == "failed" and recorder.jobs == []
    assert (tmp_path / "failed" / "notes.docx").exists()
    reason = (tmp_path / "failed" / "notes.docx.reason.txt").read_text()
    assert reason.startswith("notes.docx is not a job file: Kitting reads faxes (.tif, .tiff, .pdf")


async def test_a_failing_publish_leaves_the_file_to_be_tried_again(tmp_path: Path) -> None:
    recorder = Recorder()
    recorder.fail = True
    spool = Spool(tmp_path, recorder)
    path = _drop(tmp_path, "list.txt", b"2 onions\n")
    (result,) = await spool.scan_once()
    assert result.outcome == "retry" and result.reason == "publishing failed: broker unreachable"
    assert path.exists() and not (tmp_path / "done" / "list.txt").exists()
    recorder.fail = False
    (result,) = await spool.scan_once()
    assert result.outcome == "published" and len(recorder.jobs) == 1
    assert (tmp_path / "done" / "list.txt").exists() and not path.exists()


async def test_a_file_published_again_after_a_crash_is_the_same_basket(tmp_path: Path) -> None:
    recorder = Recorder()
    path = _drop(tmp_path, "list.txt", b"2 onions\n")
    (first,) = await Spool(tmp_path, recorder).scan_once()
    (tmp_path / "done" / "list.txt").replace(path)  # as if the move to done/ had not happened
    (again,) = await Spool(tmp_path, recorder).scan_once()
    assert first.job is not None and again.job is not None
    assert first.job.basket_id == again.job.basket_id
    other = _drop(tmp_path, "other.txt", b"2 onions\n")
    (third,) = await Spool(tmp_path, recorder).scan_once()
    assert third.job is not None and third.job.basket_id != first.job.basket_id and not other.exists()


async def test_a_file_still_being_written_waits(tmp_path: Path) -> None:
    recorder = Recorder()
    spool = Spool(tmp_path, recorder)
    path = tmp_path / "list.txt"
    path.write_bytes(b"2 onions\n")  # just written
    (tmp_path / "incoming.tif.part").write_bytes(b"II*\x00")  # a temporary name: never taken
    assert await spool.scan_once() == []
    with path.open("ab") as growing:
        growing.write(b"1 kg rice\n")
    assert await spool.scan_once() == []  # it grew since the last scan
    (result,) = await spool.scan_once()  # the same size twice: the server is done with it
    assert result.outcome == "published" and recorder.jobs[0].text == "2 onions\n1 kg rice\n"
    assert (tmp_path / "incoming.tif.part").exists()


async def test_a_second_file_of_the_same_name_does_not_overwrite_the_first(tmp_path: Path) -> None:
    spool = Spool(tmp_path, Recorder())
    _drop(tmp_path, "list.txt", b"2 onions\n")
    await spool.scan_once()
    _drop(tmp_path, "list.txt", b"3 lemons\n")
    await spool.scan_once()
    assert sorted(p.name for p in (tmp_path / "done").iterdir()) == ["list-2.txt", "list.txt"]


async def test_a_missing_tesseract_leaves_faxes_in_place_and_lets_the_rest_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ocr, "TESSERACT", "no-such-tesseract-binary")
    recorder = Recorder()
    _drop(tmp_path, "fax.tif", fax_tiff(["2 onions"]))
    _drop(tmp_path, "list.txt", b"2 onions\n")
    results = await Spool(tmp_path, recorder).scan_once()
    assert [(r.name, r.outcome) for r in results] == [("fax.tif", "retry"), ("list.txt", "published")]
    assert results[0].reason is not None and results[0].reason.startswith("tesseract is not installed")
    assert (tmp_path / "fax.tif").exists()


@needs_tesseract
async def test_run_reads_a_fax_off_the_loop_until_stopped(tmp_path: Path) -> None:
    recorder = Recorder()
    stop = asyncio.Event()
    _drop(tmp_path, "shopping.tif", fax_tiff(SHOPPING))
    task = asyncio.create_task(Spool(tmp_path, recorder).run(interval_s=0.05, stop=stop))
    ticks = 0
    async with asyncio.timeout(30):
        while not recorder.jobs:  # the loop keeps turning while tesseract reads the fax in a thread
            await asyncio.sleep(0.01)
            ticks += 1
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert ticks > 5
    (job,) = recorder.jobs
    assert job.origin == "spool:shopping.tif" and job.channel is Channel.fax
    assert_shopping_list(job.text)
    assert (tmp_path / "done" / "shopping.tif").exists()


async def test_a_link_or_a_second_name_in_the_spool_is_refused_and_not_read(tmp_path: Path) -> None:
    """A link to the vault key (or any file outside the folder) must never be published."""
    secret = tmp_path / "vault.key"
    secret.write_bytes(b"2 onions\nTHE-VAULT-KEY\n")
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir()
    (spool_dir / "list.txt").symlink_to(secret)
    os.link(secret, spool_dir / "hard.txt")
    (spool_dir / "dir-link.txt").symlink_to(tmp_path)
    recorder = Recorder()
    results = await Spool(spool_dir, recorder).scan_once()
    assert sorted((r.name, r.outcome) for r in results) == [
        ("dir-link.txt", "failed"), ("hard.txt", "failed"), ("list.txt", "failed"),
    ]  # fmt: skip
    assert recorder.jobs == [] and secret.read_bytes().startswith(b"2 onions")
    reasons = {p.name: p.read_text() for p in (spool_dir / "failed").glob("*.reason.txt")}
    assert "is a link" in reasons["list.txt.reason.txt"]
    assert "other names elsewhere" in reasons["hard.txt.reason.txt"]
    assert all("THE-VAULT-KEY" not in reason for reason in reasons.values())


def test_a_tiny_low_dpi_page_is_refused_before_it_is_enlarged() -> None:
    """A bilevel page of 9 million pixels at 90x45 dpi would be read at about 200 million: refused by
    its size as read, before any of it is made."""
    page = Image.new("1", (3000, 3000), 1)
    buffer = io.BytesIO()
    page.save(buffer, "TIFF", compression="group4", dpi=(90, 45))
    assert len(buffer.getvalue()) < 100_000
    started = time.monotonic()
    with pytest.raises(UnreadableFax, match=r"bomb\.tif has 200 million pixels, more than the 60 million"):
        read_fax(buffer.getvalue(), "bomb.tif")
    assert time.monotonic() - started < 5


def test_an_e_mails_attachments_share_one_page_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    pages_read: list[str] = []

    def fake_read(executable: str, page: Image.Image, number: int, filename: str) -> list[Any]:
        pages_read.append(filename)
        return []

    monkeypatch.setattr(ocr, "_read_page", fake_read)
    monkeypatch.setattr(ocr, "_tesseract", lambda: "tesseract")
    message = EmailMessage()
    message["From"], message["Subject"] = "fax@gateway.example", "Fax"
    blank = _png(Image.new("L", (200, 200), 255))
    for n in range(100):
        message.add_attachment(blank, maintype="image", subtype="png", filename=f"page-{n:03d}.png")
    job = job_from_email(bytes(message), "upload:many.eml")
    assert len(pages_read) == ocr.MAX_PAGES == 20
    assert job.unreadable is not None
    assert job.unreadable.startswith("the attached fax could not be read: 80 attachment(s) not read")

"""Reading a fax: TIFF (multi-page, CCITT G3/G4 bilevel included), PDF, PNG or JPEG into text with
Tesseract, run as the `tesseract` command (Debian's tesseract-ocr; no Python binding needed).

Faxes are poor scans: bilevel, often 204x98 dpi ("normal" mode, pixels twice as tall as wide), skewed
and speckled, sometimes fed upside down. Each page is despeckled, made grey, given square pixels and
brought to about 300 dpi before OCR, because Tesseract is trained on text of that size; a page read
with low confidence is tried once more turned round. The mean word confidence is reported so that a
fax too poor to trust is refused with a reason instead of turning into a wrong shopping list."""

from __future__ import annotations

import csv
import io
import logging
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import pypdfium2 as pdfium
from PIL import Image, ImageChops, ImageFilter, ImageOps, ImageSequence, UnidentifiedImageError

log = logging.getLogger(__name__)

TESSERACT = "tesseract"
MAX_BYTES = 20 * 1024 * 1024
MAX_PAGES = 20
MAX_PAGE_PIXELS = 60_000_000  # a 300 dpi A3 page is 17.4 million; more is not a fax
PAGE_TIMEOUT_S = 60.0
TARGET_DPI = 300
PDF_DPI = 300
MIN_CONFIDENCE = 50.0
Format = Literal["tiff", "pdf", "png", "jpeg"]
_PDFIUM = threading.Lock()


class UnreadableFax(Exception):
    """The fax itself cannot be read (wrong format, corrupt, blank, too poor): the job's problem,
    reported on the job with this reason."""


class OcrUnavailable(RuntimeError):
    """Tesseract is missing: an operator's problem, not the job's, so it is never put on a job."""


@dataclass(frozen=True)
class FaxText:
    text: str
    pages: int
    mean_confidence: float  # 0..100, over the words Tesseract found
    words: int


@dataclass(frozen=True)
class _Word:
    page: int
    line: tuple[int, int, int]  # block, paragraph, line
    text: str
    confidence: float


def sniff(data: bytes) -> Format | None:
    """The format by its magic bytes; the file name is not trusted."""
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    return None


@dataclass
class PageBudget:
    """The pages one job may have in all, however many files they come in (an e-mail's attachments
    share one budget)."""

    left: int = MAX_PAGES

    def take(self, count: int, filename: str) -> None:
        if count > self.left:
            spent = MAX_PAGES - self.left
            raise UnreadableFax(
                f"{filename} has {count} pages; with the {spent} read before, that is more than the "
                f"{MAX_PAGES} a job may have: send fewer pages"
            )
        self.left -= count


def read_fax(data: bytes, filename: str, budget: PageBudget | None = None) -> FaxText:
    """The fax's text, page after page (pages separated by a blank line). `budget`: the pages the job
    has left (a fax alone has MAX_PAGES).

    Raises UnreadableFax with the cause and what to do about it; OcrUnavailable without Tesseract."""
    if len(data) > MAX_BYTES:
        raise UnreadableFax(
            f"{filename} is {len(data) / 1024 / 1024:.1f} MB, over the {MAX_BYTES // 1024 // 1024} MB limit "
            "for a fax: send fewer pages or a lower resolution"
        )
    kind = sniff(data)
    if kind is None:
        start = data[:8].hex(" ") if data else "an empty file"
        raise UnreadableFax(f"not a TIFF, PDF, PNG or JPEG: {filename} starts with {start}")
    words: list[_Word] = []
    pages = 0
    for number, page in enumerate(_pages(data, kind, filename, budget or PageBudget()), start=1):
        pages = number
        words.extend(_read_page(_tesseract(), page, number, filename))
    return _fax_text(words, pages)


def _tesseract() -> str:
    """Looked up only once a page is ready, so a bad upload gets its own reason even without it."""
    found = shutil.which(TESSERACT)
    if found is None:
        raise OcrUnavailable(
            "tesseract is not installed: run `make install` (it installs Debian's tesseract-ocr)"
        )
    return found


# --- pages ---------------------------------------------------------------------------------------


def _pages(data: bytes, kind: Format, filename: str, budget: PageBudget) -> Iterator[Image.Image]:
    """Each page, prepared for OCR, one at a time (a 20-page fax at 300 dpi is not held at once)."""
    if kind == "pdf":
        yield from _pdf_pages(data, filename, budget)
    else:
        yield from _image_pages(data, kind, filename, budget)


def _image_pages(data: bytes, kind: Format, filename: str, budget: PageBudget) -> Iterator[Image.Image]:
    try:
        image = Image.open(io.BytesIO(data))
        count = getattr(image, "n_frames", 1)
        _check_page_count(count, filename, budget)
        for frame in ImageSequence.Iterator(image):
            _check_pixels(frame.width * frame.height, filename)
            yield prepare(frame, frame.info.get("dpi"), filename)
    except UnidentifiedImageError as exc:
        raise UnreadableFax(
            f"{filename} is a damaged {kind.upper()}: its header cannot be read; send it again"
        ) from exc
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise UnreadableFax(f"{filename} is a damaged {kind.upper()}: {exc}; send it again") from exc


def _pdf_pages(data: bytes, filename: str, budget: PageBudget) -> Iterator[Image.Image]:
    """Each page rendered at 300 dpi; every PDFium call under one lock, since PDFium is not
    thread-safe, not even across documents, and faxes may be read in several threads at once."""
    with _PDFIUM:
        document = _open_pdf(data, filename)
        count = len(document)
    try:
        _check_page_count(count, filename, budget)
        for index in range(count):
            with _PDFIUM:
                rendered = _render_pdf_page(document, index, filename)
            yield prepare(rendered, (PDF_DPI, PDF_DPI), filename)
    finally:
        with _PDFIUM:
            document.close()


def _open_pdf(data: bytes, filename: str) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise UnreadableFax(
            f"{filename} cannot be opened as a PDF ({str(exc).rstrip('.')}): "
            "send it again, without a password"
        ) from exc


def _render_pdf_page(document: pdfium.PdfDocument, index: int, filename: str) -> Image.Image:
    """One page as a Pillow image of its own (copied out, so no PDFium bitmap outlives the lock)."""
    page = document[index]
    try:
        width, height = page.get_size()  # in points, 72 to the inch
        _check_pixels(round(width * height * (PDF_DPI / 72) ** 2), filename)
        bitmap = page.render(scale=PDF_DPI / 72, grayscale=True)
        try:
            return bitmap.to_pil().copy()
        finally:
            bitmap.close()
    except pdfium.PdfiumError as exc:
        raise UnreadableFax(f"{filename} is a damaged PDF ({str(exc).rstrip('.')}): send it again") from exc
    finally:
        page.close()


def _check_page_count(count: int, filename: str, budget: PageBudget) -> None:
    if count > MAX_PAGES:
        raise UnreadableFax(f"{filename} has {count} pages, more than the {MAX_PAGES} a job may have")
    if count < 1:
        raise UnreadableFax(f"{filename} has no pages")
    budget.take(count, filename)


def _check_pixels(pixels: int, filename: str) -> None:
    if pixels > MAX_PAGE_PIXELS:
        raise UnreadableFax(
            f"a page of {filename} has {pixels / 1e6:.0f} million pixels, more than the "
            f"{MAX_PAGE_PIXELS / 1e6:.0f} million a fax page may have: send it at a lower resolution"
        )


def prepare(page: Image.Image, dpi: object = None, filename: str = "the fax") -> Image.Image:
    """Grey, square pixels, about 300 dpi. A fax in normal mode (204x98 dpi) is stretched to 204x204
    first; a page without a recorded resolution is taken as it is unless it is small. The page as it
    will be read is held to the pixel limit before anything is made of that size (a tiny low-dpi page
    would otherwise grow many times over)."""
    x_dpi, y_dpi = _resolution(dpi)
    width, height = page.size
    if x_dpi and y_dpi:
        scale = max(1.0, min(4.0, TARGET_DPI / x_dpi))
        size = (round(width * scale), round(height * scale * x_dpi / y_dpi))
    else:
        scale = 2.0 if width < 1000 else 1.0
        size = (round(width * scale), round(height * scale))
    if page.getexif().get(0x0112, 1) in (5, 6, 7, 8):  # turned a quarter: width and height swap
        size = (size[1], size[0])
    _check_pixels(size[0] * size[1], filename)
    page = ImageOps.exif_transpose(page)  # a phone photo may be stored on its side
    grey = despeckle(page) if page.mode == "1" else _on_white(page).convert("L")
    if size != grey.size:
        grey = grey.resize(size, Image.Resampling.LANCZOS)
    return ImageOps.autocontrast(grey)


def _on_white(page: Image.Image) -> Image.Image:
    """A transparent background (a screenshot of a typed list) made white: dropping the alpha alone
    would leave black text on black."""
    if page.mode not in ("RGBA", "LA", "PA") and "transparency" not in page.info:
        return page
    white = Image.new("RGBA", page.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, page.convert("RGBA"))


def despeckle(page: Image.Image) -> Image.Image:
    """A bilevel page without its lone black pixels (line noise, dust), as grey. Only pixels with no
    black neighbour go, so no stroke of a letter is touched; Tesseract reads specks as letters and
    slows down badly on them (a 20,000-speck page took 10 s and read at 29% confidence, 0.7 s and 85%
    without them)."""
    ink = ImageOps.invert(page.convert("L"))
    neighbours = ink.filter(ImageFilter.Kernel((3, 3), [1, 1, 1, 1, 0, 1, 1, 1, 1], scale=1))
    lone = ImageChops.subtract(ink, neighbours)  # ink where no neighbour has any
    return ImageOps.invert(ImageChops.subtract(ink, lone))


def _resolution(dpi: object) -> tuple[float | None, float | None]:
    """The (x, y) dpi Pillow read, when plausible; many PNGs record 1 or 72 meaning nothing."""
    if not isinstance(dpi, tuple) or len(dpi) != 2:
        return None, None
    try:
        x_dpi, y_dpi = float(dpi[0]), float(dpi[1])
    except (TypeError, ValueError):
        return None, None
    if not (90 <= x_dpi <= 1200 and 45 <= y_dpi <= 1200):
        return None, None
    return x_dpi, y_dpi


# --- OCR -----------------------------------------------------------------------------------------


def _read_page(executable: str, page: Image.Image, number: int, filename: str) -> list[_Word]:
    """The page's words; a page read with low confidence is read again turned round (a sheet fed
    upside down reads at about 40%), and the better reading is kept."""
    words = _ocr_page(executable, page, number, filename)
    if not words or _confidence(words) >= MIN_CONFIDENCE:
        return words
    turned = _ocr_page(executable, page.rotate(180), number, filename)
    return turned if turned and _confidence(turned) > _confidence(words) else words


def _confidence(words: list[_Word]) -> float:
    """Mean confidence over real words: a speck read as "." or "'" says nothing about the list."""
    real = [word.confidence for word in words if _is_word(word.text)]
    return sum(real) / len(real) if real else 0.0


def _is_word(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _ocr_page(executable: str, page: Image.Image, number: int, filename: str) -> list[_Word]:
    """Tesseract on one page, as TSV (one row per word, with its confidence). Page segmentation 4
    (one column of lines of varied size) suits a list under a fax header."""
    buffer = io.BytesIO()
    page.save(buffer, "PNG", dpi=(TARGET_DPI, TARGET_DPI))
    command = [executable, "-", "stdout", "--psm", "4", "--dpi", str(TARGET_DPI), "-l", "eng", "tsv"]
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # several faxes may be read at once, in threads
    try:
        done = subprocess.run(
            command,
            input=buffer.getvalue(),
            capture_output=True,
            timeout=PAGE_TIMEOUT_S,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise UnreadableFax(
            f"OCR took longer than {PAGE_TIMEOUT_S:.0f} s on page {number} of {filename}: "
            "send a cleaner scan or fewer pages"
        ) from exc
    except FileNotFoundError as exc:
        raise OcrUnavailable(
            "tesseract is not installed: run `make install` (it installs Debian's tesseract-ocr)"
        ) from exc
    if done.returncode != 0:
        error = done.stderr.decode("utf-8", "replace").strip()[-300:]
        raise UnreadableFax(f"OCR failed on page {number} of {filename}: {error or done.returncode}")
    return _words(done.stdout.decode("utf-8", "replace"), number)


def _words(tsv: str, page: int) -> list[_Word]:
    words = []
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        text = (row.get("text") or "").strip()
        if row.get("level") != "5" or not text:
            continue
        try:
            confidence = float(row.get("conf") or -1)
        except ValueError:
            continue
        if confidence < 0:
            continue
        line = (int(row["block_num"]), int(row["par_num"]), int(row["line_num"]))
        words.append(_Word(page, line, text, confidence))
    return words


def _fax_text(words: list[_Word], pages: int) -> FaxText:
    """Lines as Tesseract found them, judged by the mean confidence of their real words."""
    real = sum(1 for word in words if _is_word(word.text))
    if not real:
        raise UnreadableFax(f"OCR found no text on {pages} page(s): blank or too faint a scan")
    mean = _confidence(words)
    if mean < MIN_CONFIDENCE:
        raise UnreadableFax(
            f"OCR confidence {mean:.0f}% is too low to trust (at least {MIN_CONFIDENCE:.0f}% is needed): "
            "resend the right way up, at a higher resolution (fine mode)"
        )
    return FaxText(_text(words), pages, round(mean, 1), real)


def _text(words: list[_Word]) -> str:
    """Pages apart by a blank line; each line without the specks read as "|" or "~" at its ends."""
    pages: dict[int, dict[tuple[int, int, int], list[str]]] = {}
    for word in words:
        pages.setdefault(word.page, {}).setdefault(word.line, []).append(word.text)
    return "\n\n".join(
        "\n".join(line for line in (_trim(texts) for texts in lines.values()) if line)
        for _, lines in sorted(pages.items())
    )


def _trim(texts: list[str]) -> str:
    """A list line starts with a bullet or a word and ends with a word or a closing mark."""
    while texts and not _is_word(texts[-1]) and texts[-1] not in (")", "]"):
        texts = texts[:-1]
    while texts and not _is_word(texts[0]) and texts[0] not in ("-", "*", "•", "·", "("):
        texts = texts[1:]
    return " ".join(texts)

"""Generated faxes for the channel tests: black text on white as a fax machine would scan it, with a
slight skew, a few specks and the sender's header line, so OCR is tried on something like the real
thing rather than on a clean screenshot. Deterministic: the same lines give the same bytes."""

from __future__ import annotations

import io
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FAX_HEADER = "FROM: +44 20 7946 0000   24/11/2026 09:12   P.1/1"
PAGE_INCHES = (1728 / 204, 11.69)  # a fax scan line is 1728 pixels at 204 dpi; A4 high
FONT_PT = 14
FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
)


def _font(size_px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONTS:
        if path.exists():
            return ImageFont.truetype(str(path), size_px)
    return ImageFont.load_default(size=size_px)


def fax_image(
    lines: list[str], dpi: tuple[int, int] = (204, 196), skew_deg: float = 0.5, specks: int = 400
) -> Image.Image:
    """A bilevel ("1") page at the fax's resolution, with `dpi` recorded in `info`. The page is drawn
    with square pixels at the horizontal resolution, then squashed to the vertical one, as a fax in
    "normal" mode (204x98 dpi) would send it."""
    x_dpi, y_dpi = dpi
    width, height = round(PAGE_INCHES[0] * x_dpi), round(PAGE_INCHES[1] * x_dpi)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    margin = x_dpi // 2
    small, body = _font(round(9 * x_dpi / 72)), _font(round(FONT_PT * x_dpi / 72))
    draw.text((margin, x_dpi // 4), FAX_HEADER, font=small, fill=0)
    top = x_dpi
    for line in lines:
        draw.text((margin, top), line, font=body, fill=0)
        top += round(FONT_PT * x_dpi / 72 * 1.6)
    page = page.rotate(skew_deg, resample=Image.Resampling.BICUBIC, fillcolor=255)
    if y_dpi != x_dpi:
        page = page.resize((width, round(height * y_dpi / x_dpi)), Image.Resampling.LANCZOS)
    bilevel = page.point(lambda value: 255 if value > 140 else 0).convert("1", dither=Image.Dither.NONE)
    _add_specks(bilevel, specks)
    bilevel.info["dpi"] = dpi
    return bilevel


def _add_specks(page: Image.Image, count: int) -> None:
    """Salt noise: the dust and line noise of a real transmission."""
    rng = random.Random(1728)
    for _ in range(count):
        page.putpixel((rng.randrange(page.width), rng.randrange(page.height)), 0)


def fax_tiff(lines: list[str], dpi: tuple[int, int] = (204, 196), pages: int = 1) -> bytes:
    """A CCITT Group 4 TIFF, as fax servers store received faxes; `pages` repeats the page."""
    image = fax_image(lines, dpi)
    buffer = io.BytesIO()
    more = [image.copy() for _ in range(pages - 1)]
    image.save(buffer, "TIFF", compression="group4", dpi=dpi, save_all=True, append_images=more)
    return buffer.getvalue()


def fax_pdf(lines: list[str], dpi: tuple[int, int] = (204, 196)) -> bytes:
    """The fax as a one-page PDF, as e-mail-to-fax gateways and scanners send it."""
    image = fax_image(lines, dpi)
    if dpi[0] != dpi[1]:  # a PDF page has one resolution: show it with square pixels
        image = image.resize((image.width, round(image.height * dpi[0] / dpi[1])))
    buffer = io.BytesIO()
    image.save(buffer, "PDF", resolution=float(dpi[0]))
    return buffer.getvalue()


def blank_fax() -> bytes:
    """A page with nothing on it but specks: what a fax sent face-down looks like."""
    image = Image.new("1", (1728, 2292), 1)
    _add_specks(image, 400)
    buffer = io.BytesIO()
    image.save(buffer, "TIFF", compression="group4", dpi=(204, 196))
    return buffer.getvalue()

"""A fax server's spool folder read by `kitting up`: a scanned list dropped there becomes a basket
(OCR, then the extractor), recorded as coming from the fax channel and that file."""

from __future__ import annotations

import shutil
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest

from tests.e2e.running import kitting_up
from tests.faxes import fax_tiff


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed: `make install`")
def test_a_fax_dropped_in_the_spool_folder_becomes_a_basket(tmp_path: Path) -> None:
    spool = tmp_path / "var" / "fax-spool"
    with kitting_up(tmp_path, KITTING_FAX_SPOOL_INTERVAL_S="0.5"):
        spool.mkdir(parents=True, exist_ok=True)
        (spool / "shopping.tif").write_bytes(fax_tiff(["Shopping list", "3 eggs", "250 g plain flour"]))
        database = tmp_path / "var" / "kitting.db"
        deadline = time.monotonic() + 90
        rows: list[tuple[str, str, str]] = []
        while time.monotonic() < deadline and not rows:
            time.sleep(0.5)
            with closing(sqlite3.connect(database)) as connection:
                rows = connection.execute(
                    "select status, channel, origin from baskets where channel = 'fax'"
                ).fetchall()
            rows = [r for r in rows if r[0] != "pending"]
        assert rows == [("extracted", "fax", "spool:shopping.tif")]
        assert (spool / "done" / "shopping.tif").exists()

"""Attacks through the job channels of a real `kitting up`: a fax that is tiny on the wire and huge once
enlarged for reading, an e-mail with a hundred pages attached, and files in the fax spool folder that
are not files put there (a link to the vault key or to a secret list, a hard link, a pipe).

Each is refused with its reason (a fax or e-mail still becomes a basket, which fails with it; a spool
entry goes to `failed/` beside a `.reason.txt`), nothing of what it points at is published, and the
service and its spool go on serving."""

from __future__ import annotations

import io
import os
import re
import shutil
import time
import uuid
from email.message import EmailMessage
from typing import Any

import pytest
from PIL import Image

from streams.codec import encode_key
from streams.topics import Topic
from tests.security.harness import WEB, Basket, Kitting, Mark, Record, document, on, wait_for

KITTING_SETTINGS = {"KITTING_FAX_SPOOL_INTERVAL_S": "0.5"}


def started_job(kitting: Kitting, mark: Mark, basket_id: str) -> dict[str, Any]:
    """The job the basket was started with, as it went on `method-browsed`."""

    def there(records: list[Record]) -> bool:
        return any(r.key == encode_key(basket_id) for r in on(records, Topic.METHOD_BROWSED))

    records = on(kitting.since(mark, until=there), Topic.METHOD_BROWSED)
    job: dict[str, Any] = next(document(r)["data"] for r in records if r.key == encode_key(basket_id))
    return job


def failed_with(kitting: Kitting, basket: Basket, words: str) -> dict[str, Any]:
    def view() -> dict[str, Any] | None:
        found = kitting.basket(basket)
        return found if found is not None and found["status"] == "failed" else None

    ending: dict[str, Any] = wait_for(f"basket {basket.basket_id} failed", view)
    assert words in (ending["reason"] or ""), ending
    return ending


def assert_a_legitimate_job_still_works(kitting: Kitting) -> None:
    kitting.assert_still_serving()
    job = kitting.text_job("3 carrots\n1 peeler")
    assert kitting.settled(job)["status"] == "extracted"


def test_a_tiny_low_dpi_fax_is_refused_before_it_is_enlarged(kitting: Kitting) -> None:
    page = Image.new("1", (3000, 3000), 1)
    buffer = io.BytesIO()
    page.save(buffer, "TIFF", compression="group4", dpi=(90, 45))
    bomb = buffer.getvalue()
    assert len(bomb) < 100_000  # 9 million pixels, about 200 million once read at 300 dpi
    mark = kitting.mark()
    started = time.monotonic()
    answer = WEB.post(
        kitting.url("/v1/channels/fax"),
        files={"file": ("bomb.tif", bomb, "image/tiff")},
        headers=kitting.operator,
    )
    assert time.monotonic() - started < 10  # refused by its size as read, before any of it is made
    assert answer.status_code == 202, answer.text
    reason = answer.json()["unreadable"]
    assert reason and "million pixels" in reason, answer.json()
    basket = Basket(answer.json()["basket_id"], answer.json()["token"])
    job = started_job(kitting, mark, basket.basket_id)
    assert job["unreadable"] == reason and not job.get("text") and not job.get("html")
    failed_with(kitting, basket, "million pixels")
    assert_a_legitimate_job_still_works(kitting)


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed: OCR reads no page")
def test_an_e_mail_with_100_attachments_has_at_most_20_pages_read(kitting: Kitting) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "fax@gateway.example", "jobs@kitting.example", "Fax"
    blank = io.BytesIO()
    Image.new("L", (200, 200), 255).save(blank, "PNG")
    for n in range(100):
        message.add_attachment(
            blank.getvalue(), maintype="image", subtype="png", filename=f"page-{n:03d}.png"
        )
    mark = kitting.mark()
    started = time.monotonic()
    headers = {**kitting.operator, "content-type": "message/rfc822"}
    answer = WEB.post(kitting.url("/v1/channels/email"), content=bytes(message), headers=headers, timeout=120)
    took = time.monotonic() - started
    assert answer.status_code == 202, answer.text
    reason = answer.json()["unreadable"]
    assert reason, answer.json()
    assert reason.startswith("the attached fax could not be read: 80 attachment(s) not read"), reason
    # the reason names the pages read, in order, as far as its 1000 characters go: never one past the 20th
    read = [int(n) for n in re.findall(r"page-(\d{3})\.png:", reason)]
    assert read and read == list(range(len(read))) and len(read) <= 20, read
    assert took < 90, f"reading the e-mail took {took:.0f} s"
    basket = Basket(answer.json()["basket_id"], answer.json()["token"])
    job = started_job(kitting, mark, basket.basket_id)
    assert job["unreadable"] == reason and not job.get("text")
    failed_with(kitting, basket, "80 attachment(s) not read")
    assert_a_legitimate_job_still_works(kitting)


def test_links_and_other_non_files_in_the_spool_go_to_failed_unread(kitting: Kitting) -> None:
    secret_mark = f"SECRET-{uuid.uuid4().hex}"
    secret = kitting.var / "secret-list.txt"  # beside the spool, not in it
    secret.write_text(f"2 onions\n1 wooden spoon\n{secret_mark}\n")
    vault_key = kitting.var / "vault.key"
    vault_text = vault_key.read_text().strip()
    assert vault_text
    spool = kitting.spool
    wait_for("the spool folder", lambda: (spool / "failed").is_dir(), 30)
    mark = kitting.mark()
    os.symlink(secret, spool / "list.txt")
    os.symlink(vault_key, spool / "key.txt")
    os.symlink(kitting.var, spool / "folder.txt")
    os.link(secret, spool / "hard.txt")
    os.mkfifo(spool / "pipe.txt")
    expected = {
        "list.txt": "is a link", "key.txt": "is a link", "folder.txt": "is a link",
        "hard.txt": "other names elsewhere", "pipe.txt": "not a regular file",
    }  # fmt: skip
    failed = spool / "failed"

    def reasons() -> dict[str, str] | None:
        found = {name: failed / f"{name}.reason.txt" for name in expected}
        if not all(path.exists() for path in found.values()):
            return None
        return {name: path.read_text() for name, path in found.items()}

    written = wait_for("every entry moved to failed/ with its reason", reasons, 30)
    for name, words in expected.items():
        assert words in written[name], (name, written[name])
        assert secret_mark not in written[name] and vault_text not in written[name]
        assert not (spool / name).exists() and not (spool / name).is_symlink()
    assert vault_key.read_text().strip() == vault_text and secret_mark in secret.read_text()

    # the spool still reads the next plain file put in it
    ok_mark = f"ok-{uuid.uuid4().hex[:8]}"
    (spool / "ok.txt.part").write_text(f"3 carrots\n1 peeler\n{ok_mark}\n")
    (spool / "ok.txt.part").rename(spool / "ok.txt")

    def ok_published(records: list[Record]) -> bool:
        return any(ok_mark.encode() in (r.value or b"") for r in on(records, Topic.METHOD_BROWSED))

    kitting.since(mark, until=ok_published, timeout_s=30)
    records = kitting.since(mark)
    started = on(records, Topic.METHOD_BROWSED)
    assert [document(r)["data"]["origin"] for r in started] == ["spool:ok.txt"]
    for text in (secret_mark, vault_text):
        carrying = sorted({r.topic for r in records if text.encode() in (r.value or b"")})
        assert carrying == [], f"{text!r} was published on {carrying}"
    wait_for("ok.txt moved to done/", lambda: (spool / "done" / "ok.txt").exists(), 30)
    kitting.assert_still_serving()

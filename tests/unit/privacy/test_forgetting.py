"""Forgetting a person reaches the archive: after `kitting privacy forget`, their archived events hold
nothing sealed for them and no reference to them (the sealed parts could otherwise still be opened with
keys derived from the vault key), another person's events are untouched; and the archive keeps only
KITTING_ARCHIVE_RETENTION_DAYS days."""

from __future__ import annotations

import base64
import json
import os
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from agents.cli.main import cli
from agents.ordering.tables import Order
from agents.privacy.forgetting import FORGOTTEN, redacted
from agents.privacy.vault import Contact, Vault, VaultReference
from agents.providers.sdk import SealedContactError, open_sealed
from agents.reference.entries import reference_private_key
from schemas.events import SealedContact
from schemas.vocabulary import DeliveryMethod, PaymentMethod
from streams.archive import ArchiveWriter, prune_archive, read_archive
from streams.persistence import Database
from tests.fakes import TEST_VAULT_KEY, InMemoryBus
from tests.unit.ordering.test_saga_in_memory import bus_for, run_basket
from tests.unit.streams.test_archive import Record

KEY = base64.b64decode(TEST_VAULT_KEY)


def archive_of(bus: InMemoryBus, root: Path) -> None:
    writer = ArchiveWriter(root, epoch="test")
    now = int(time.time() * 1000)
    for record in bus.log:
        writer.add(Record(record.topic, 0, record.offset, now, record.key, record.value, record.headers))
    writer.flush()


def sealed_parts(root: Path, basket: str) -> list[SealedContact]:
    parts = []
    for record in read_archive(root, baskets=[basket]):
        data = json.loads(record.value or b"{}").get("data") or {}
        parts += [
            SealedContact.model_validate(data[n])
            for n in ("contact", "payment")
            if isinstance(data.get(n), dict)
        ]
    return parts


def test_forget_leaves_nothing_of_the_person_in_the_archive(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bus = bus_for(database)
    with database.session() as session:
        other = Vault(KEY).store(
            session, Contact(name="Other One", street_address="9 Else St", phone="+1 555")
        )
    run_basket(bus, "theirs", DeliveryMethod.courier, PaymentMethod.electronic)
    archive = tmp_path / "archive"
    archive_of(bus, archive)
    before = sealed_parts(archive, "theirs")
    assert {s.recipient_id for s in before} >= {"swift-courier", "ledger-pay"}
    opened = open_sealed(
        reference_private_key("swift-courier", KEY),
        next(s for s in before if s.recipient_id == "swift-courier"),
    )
    assert opened["name"]  # before: the vault key still opens what was sealed for the courier
    with database.session() as session:
        person = session.scalars(select(Order.customer_ref)).first()
    assert person is not None

    monkeypatch.setenv("KITTING_DATABASE_URL", database.url)
    monkeypatch.setenv("KITTING_VAULT_KEY", TEST_VAULT_KEY)
    monkeypatch.setenv("KITTING_ARCHIVE_DIR", str(archive))
    monkeypatch.setenv("KITTING_VAR_DIR", str(tmp_path / "var"))
    result = CliRunner().invoke(cli, ["privacy", "forget", person])
    assert result.exit_code == 0, result.output
    assert "archived event(s)" in result.output

    assert sealed_parts(archive, "theirs") == []
    raw = b"".join(r.value or b"" for r in read_archive(archive))
    for part in before:
        assert part.ciphertext.encode() not in raw
    assert person.encode() not in raw
    with database.session() as session:
        assert set(session.scalars(select(Order.customer_ref))) == {FORGOTTEN}
        assert (
            session.scalars(select(VaultReference).where(VaultReference.customer_ref == person)).all() == []
        )
        assert Vault(KEY).contact(session, other).name == "Other One"  # another person is untouched
    again = CliRunner().invoke(cli, ["privacy", "forget", person])
    assert again.exit_code == 2


def test_redaction_drops_sealed_parts_and_references_only() -> None:
    sealed = {"recipient_id": "c", "fields": [], "ciphertext": "Zg=="}
    amount = {"amount": "1.00", "currency": "EUR"}
    event = {
        "type": "x",
        "data": {"order_id": "o", "contact": sealed, "payer_ref": "ref-1", "amount": amount},
    }
    out = json.loads(redacted(json.dumps(event).encode()))
    assert out["data"] == {
        "order_id": "o",
        "contact": None,
        "payer_ref": FORGOTTEN,
        "amount": amount,
    }
    untouched = json.dumps({"type": "x", "data": {"order_id": "o"}}).encode()
    assert redacted(untouched) == untouched and redacted(b"not json") == b"not json"
    with pytest.raises(SealedContactError):
        open_sealed(
            reference_private_key("swift-courier", KEY),
            SealedContact(recipient_id="c", fields=[], ciphertext="Zg=="),
        )


def test_days_past_the_retention_are_deleted(tmp_path: Path) -> None:
    for day in ("2026-01-01", "2026-11-01", "2026-11-29"):
        folder = tmp_path / "topic=order-placed" / f"day={day}"
        folder.mkdir(parents=True)
        (folder / "part-x.parquet").write_bytes(b"")
    assert prune_archive(tmp_path, 0, today=date(2026, 11, 30)) == []
    deleted = prune_archive(tmp_path, 30, today=date(2026, 11, 30))
    assert [p.name for p in deleted] == ["day=2026-01-01"]
    assert sorted(p.name for p in (tmp_path / "topic=order-placed").iterdir()) == [
        "day=2026-11-01",
        "day=2026-11-29",
    ]
    assert os.path.exists(tmp_path / "topic=order-placed" / "day=2026-11-29" / "part-x.parquet")

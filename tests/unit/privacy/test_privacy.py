from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from pydantic import ValidationError
from sqlalchemy import select, text
from typer.testing import CliRunner

from agents.cli.privacy import register
from agents.privacy.audit import audit_of, audit_of_basket, record
from agents.privacy.policy import PERSONAL_FIELDS, PRIVACY_TABLE, contact_values, sealed_fields
from agents.privacy.sealing import SealedContactError, new_keypair, open_sealed, seal
from agents.privacy.vault import (
    Contact,
    UnknownCustomer,
    Vault,
    VaultEntry,
    VaultKeyMismatch,
    VaultReference,
)
from schemas.providers import ProviderKind
from schemas.vocabulary import DeliveryMethod
from streams.migrate import upgrade
from streams.persistence import Database

ALICE = Contact(
    name="Alice Liddell",
    street_address="12 Rabbit Hole Lane",
    region="wonderland",
    phone="+44 20 7946 0018",
    email="alice@example.org",
    payment_instrument="4111111111111111",
)


@pytest.fixture
def db(database: Database) -> Database:
    """The migrated database (migration 0003 creates the privacy tables)."""
    return database


@pytest.fixture
def vault() -> Vault:
    return Vault(secrets.token_bytes(32))


# --- the vault ------------------------------------------------------------------------------------


def test_a_contact_round_trips_through_the_vault(db: Database, vault: Vault) -> None:
    with db.session() as session:
        ref = vault.store(session, ALICE)
    assert re.fullmatch(r"cust-[0-9a-f]{32}", ref)
    with db.session() as session:
        assert vault.contact(session, ref) == ALICE


def test_store_replaces_under_a_given_ref(db: Database, vault: Vault) -> None:
    moved = ALICE.model_copy(update={"street_address": "1 Looking Glass House"})
    with db.session() as session:
        ref = vault.store(session, ALICE)
        assert vault.store(session, moved, customer_ref=ref) == ref
        assert vault.store(session, ALICE, customer_ref="cust-chosen") == "cust-chosen"
    with db.session() as session:
        assert vault.contact(session, ref).street_address == "1 Looking Glass House"
        assert vault.contact(session, "cust-chosen") == ALICE
        assert len(session.scalars(select(VaultEntry)).all()) == 2


def test_the_stored_row_holds_no_clear_personal_data(db: Database, vault: Vault) -> None:
    with db.session() as session:
        ref = vault.store(session, ALICE)
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM vault_customers")).all()
    assert len(rows) == 1
    raw = b"|".join(v if isinstance(v, bytes) else str(v).encode() for v in rows[0])
    assert ref.encode() in raw
    for clear in (ALICE.name, ALICE.phone, ALICE.street_address, "alice@example.org", "4111111111111111"):
        assert clear.encode() not in raw
    assert b"Alice" not in raw and b"Rabbit" not in raw


def test_a_wrong_key_cannot_read_the_vault(db: Database, vault: Vault) -> None:
    with db.session() as session:
        ref = vault.store(session, ALICE)
    with db.session() as session, pytest.raises(VaultKeyMismatch, match=ref):
        Vault(secrets.token_bytes(32)).contact(session, ref)


def test_an_unknown_customer_is_named(db: Database, vault: Vault) -> None:
    with db.session() as session, pytest.raises(UnknownCustomer, match="cust-nobody"):
        vault.contact(session, "cust-nobody")


def test_forget_erases_the_contact(db: Database, vault: Vault) -> None:
    with db.session() as session:
        ref = vault.store(session, ALICE)
    with db.session() as session:
        assert vault.forget(session, ref) is True
        assert vault.forget(session, ref) is False
    with db.session() as session, pytest.raises(UnknownCustomer):
        vault.contact(session, ref)


@pytest.mark.parametrize("size", [0, 16, 31, 33, 64])
def test_the_key_must_be_32_bytes(size: int) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Vault(b"k" * size)


def test_a_contact_is_validated() -> None:
    with pytest.raises(ValidationError):
        Contact(name="", street_address="x", phone="1")
    with pytest.raises(ValidationError):
        Contact(name="n", street_address="x", phone="1", email="e" * 321)
    with pytest.raises(ValidationError):
        Contact.model_validate({"name": "n", "street_address": "x", "phone": "1", "shoe_size": "9"})
    assert Contact(name="n", street_address="x", phone="1").region == "default"


def test_references_are_deterministic_distinct_recorded_and_resolvable(db: Database, vault: Vault) -> None:
    with db.session() as session:
        first = vault.reference(session, "cust-a", "order-1", "corner-grocer")
        again = vault.reference(session, "cust-a", "order-1", "corner-grocer")
        other_order = vault.reference(session, "cust-a", "order-2", "corner-grocer")
        other_party = vault.reference(session, "cust-a", "order-1", "swift-courier")
        other_customer = vault.reference(session, "cust-b", "order-1", "corner-grocer")
    assert first == again
    assert len({first, other_order, other_party, other_customer}) == 4
    for ref in (first, other_order, other_party, other_customer):
        assert re.fullmatch(r"ref-[0-9a-f]{24}", ref)
    with db.session() as session:
        assert len(session.scalars(select(VaultReference)).all()) == 4
        resolved = vault.resolve(session, first)
        assert resolved is not None
        assert (resolved.customer_ref, resolved.order_id, resolved.party_id) == (
            "cust-a",
            "order-1",
            "corner-grocer",
        )
        assert vault.resolve(session, "ref-000000000000000000000000") is None
    # another key gives other references: they cannot be linked across deployments
    with db.session() as session:
        assert (
            Vault(secrets.token_bytes(32)).reference(session, "cust-a", "order-1", "corner-grocer") != first
        )


def test_tokens_and_pickup_codes_are_deterministic_and_well_formed(vault: Vault) -> None:
    token = vault.payment_token("cust-a", "order-1")
    assert token == vault.payment_token("cust-a", "order-1")
    assert re.fullmatch(r"tok_[0-9a-f]{24}", token)
    assert token != vault.payment_token("cust-b", "order-1")
    assert token != vault.payment_token("cust-a", "order-2")  # a person's orders do not link by it
    codes = {vault.pickup_code(f"order-{n}") for n in range(50)}
    assert all(re.fullmatch(r"[0-9]{6}", code) for code in codes)
    assert len(codes) > 40
    assert vault.pickup_code("order-1") == vault.pickup_code("order-1")
    key = secrets.token_bytes(32)
    # sub-keys, not the vault key itself, and a different one per purpose
    same_input = "cust-a:order-1"
    plain = hmac.new(key, same_input.encode(), hashlib.sha256).hexdigest()[:24]
    assert Vault(key).payment_token("cust-a", "order-1") != "tok_" + plain
    assert Vault(key).payment_token("cust-a", "order-1")[4:] != plain
    assert Vault(key).payment_token("cust-a", "o") == Vault(key).payment_token("cust-a", "o")
    assert Vault(key).pickup_code("order-1") == Vault(key).pickup_code("order-1")


# --- the policy -----------------------------------------------------------------------------------

EXPECTED_SEALED = {
    (ProviderKind.component, DeliveryMethod.own): ("phone", "street_address"),
    (ProviderKind.component, DeliveryMethod.pickup): ("name", "phone", "pickup_code"),
    (ProviderKind.component, DeliveryMethod.courier): (),
    **{(ProviderKind.delivery, m): ("name", "phone", "street_address") for m in DeliveryMethod},
    **{(ProviderKind.accounting, m): () for m in DeliveryMethod},
    **{(ProviderKind.method, m): () for m in DeliveryMethod},
}


@pytest.mark.parametrize("kind", list(ProviderKind))
@pytest.mark.parametrize("method", list(DeliveryMethod))
def test_sealed_fields_for_every_kind_and_method(kind: ProviderKind, method: DeliveryMethod) -> None:
    fields = sealed_fields(kind, method)
    assert fields == EXPECTED_SEALED[(kind, method)]
    assert list(fields) == sorted(fields)
    assert "email" not in fields and "payment_instrument" not in fields


def test_contact_values_are_exactly_the_fields() -> None:
    assert contact_values(ALICE, ("phone", "street_address")) == {
        "phone": "+44 20 7946 0018",
        "street_address": "12 Rabbit Hole Lane",
    }
    assert contact_values(ALICE, ("name", "phone", "pickup_code"), pickup_code="042137") == {
        "name": "Alice Liddell",
        "phone": "+44 20 7946 0018",
        "pickup_code": "042137",
    }
    assert contact_values(ALICE, ()) == {}
    with pytest.raises(ValueError, match="pickup code"):
        contact_values(ALICE, ("name", "pickup_code"))
    without_email = Contact(name="Bob", street_address="2 Side St", phone="555")
    with pytest.raises(ValueError, match="email"):
        contact_values(without_email, ("email",))
    with pytest.raises(ValueError, match="shoe_size"):
        contact_values(ALICE, ("shoe_size",))
    assert set(PERSONAL_FIELDS) <= set(Contact.model_fields)


def test_the_privacy_table_keeps_contact_data_from_the_wrong_parties() -> None:
    assert list(PRIVACY_TABLE) == ["name", "street address", "phone", "email", "payment instrument", "items"]
    for cells in PRIVACY_TABLE.values():
        assert list(cells) == [
            "component provider",
            "delivery service",
            "accounting agent",
            "analyst / archive",
            "upstream site",
        ]
        assert cells["upstream site"] == "no"
    assert set(PRIVACY_TABLE["email"].values()) == {"no"}
    assert PRIVACY_TABLE["payment instrument"]["accounting agent"] == "token + amount"
    assert PRIVACY_TABLE["street address"]["analyst / archive"] == "region only"


# --- sealing ---------------------------------------------------------------------------------------


def test_a_sealed_contact_opens_only_with_the_recipients_key() -> None:
    private, public = new_keypair()
    values = contact_values(ALICE, sealed_fields(ProviderKind.delivery, DeliveryMethod.courier))
    sealed = seal(public, "swift-courier", values)
    assert sealed.fields == ["name", "phone", "street_address"]
    assert ALICE.name not in sealed.model_dump_json() and ALICE.phone not in sealed.model_dump_json()
    assert open_sealed(private, sealed) == values
    other_private, _ = new_keypair()
    with pytest.raises(SealedContactError, match="swift-courier"):
        open_sealed(other_private, sealed)
    lying = sealed.model_copy(update={"fields": ["name"]})
    with pytest.raises(SealedContactError, match="other fields"):
        open_sealed(private, lying)


# --- the audit log ---------------------------------------------------------------------------------


def _audit_two(db: Database) -> None:
    with db.session() as session:
        record(
            session,
            basket_id="b-1",
            order_id="o-1",
            party_id="swift-courier",
            party_kind=ProviderKind.delivery,
            event_type="delivery.requested.v1",
            topic="delivery",
            reference="ref-aaaaaaaaaaaaaaaaaaaaaaaa",
            fields=["name", "phone", "street_address"],
            sealed=True,
        )
        record(
            session,
            basket_id="b-1",
            order_id="o-1",
            party_id="ledger",
            party_kind="accounting-agent",
            event_type="payment.requested.v1",
            topic="payments",
            reference="ref-bbbbbbbbbbbbbbbbbbbbbbbb",
            fields=["cash_to_collect"],
            sealed=False,
        )
        record(
            session,
            basket_id="b-1",
            order_id="o-2",
            party_id="corner-grocer",
            party_kind="component-provider",
            event_type="order.placed.v1",
            topic="orders",
            reference="ref-cccccccccccccccccccccccc",
            fields=[],
            sealed=False,
            withheld="no registered key",
        )


def test_the_audit_records_who_received_what(db: Database) -> None:
    _audit_two(db)
    with db.session() as session:
        views = audit_of(session, "o-1")
        basket = audit_of_basket(session, "b-1")
        assert audit_of(session, "o-9") == []
    assert [v.party_id for v in views] == ["swift-courier", "ledger"]
    assert views[0].fields == ["name", "phone", "street_address"] and views[0].sealed is True
    assert views[0].party_kind == "delivery-service"
    assert views[1].fields == ["cash_to_collect"] and views[1].sealed is False and views[1].withheld is None
    assert views[0].id < views[1].id and views[0].recorded_at.tzinfo is not None
    assert [v.order_id for v in basket] == ["o-1", "o-1", "o-2"]
    assert basket[2].withheld == "no registered key" and basket[2].fields == []


# --- the CLI -----------------------------------------------------------------------------------------


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    monkeypatch.setenv("KITTING_DATABASE_URL", url)
    monkeypatch.setenv("KITTING_VAULT_KEY", base64.b64encode(secrets.token_bytes(32)).decode())
    monkeypatch.setenv("KITTING_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("COLUMNS", "250")  # rich tables unwrapped
    upgrade(url)
    database = Database(url)
    yield database
    database.engine.dispose()


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Kitting (test app)."""

    register(app)
    return app


def test_the_cli_adds_and_forgets_a_customer(cli_db: Database) -> None:
    runner = CliRunner()
    app = _app()
    added = runner.invoke(
        app,
        [
            "privacy",
            "customer-add",
            "--name",
            "Alice Liddell",
            "--street-address",
            "12 Rabbit Hole Lane",
            "--phone",
            "+44 20 7946 0018",
            "--region",
            "wonderland",
            "--payment-instrument",
            "4111111111111111",
            "--json",
        ],
    )
    assert added.exit_code == 0, added.output
    ref = json.loads(added.stdout)["customer_ref"]
    key = base64.b64decode(os.environ["KITTING_VAULT_KEY"])
    with cli_db.session() as session:
        contact = Vault(key).contact(session, ref)
    assert contact.name == "Alice Liddell" and contact.payment_instrument == "4111111111111111"
    # the person's credential comes with it: quoting for them takes it, the reference alone does not
    token = json.loads(added.stdout)["customer_token"]
    assert Vault(key).customer_token_fits(ref, token) and not Vault(key).customer_token_fits(ref, ref)

    plain = runner.invoke(
        app, ["privacy", "customer-add", "--name", "Bob", "--street-address", "2 Side St", "--phone", "555"]
    )
    assert plain.exit_code == 0, plain.output
    ref_line, token_line = plain.stdout.split()
    assert re.fullmatch(r"cust-[0-9a-f]{32}", ref_line) and re.fullmatch(r"kc_[0-9a-f]{40}", token_line)

    bad = runner.invoke(
        app, ["privacy", "customer-add", "--name", "", "--street-address", "x", "--phone", "1"]
    )
    assert bad.exit_code == 2 and "--name" in bad.output and "Traceback" not in bad.output
    assert bad.exception is None or isinstance(bad.exception, SystemExit)

    forgotten = runner.invoke(app, ["privacy", "forget", ref])
    assert forgotten.exit_code == 0, forgotten.output
    with cli_db.session() as session, pytest.raises(UnknownCustomer):
        Vault(key).contact(session, ref)
    again = runner.invoke(app, ["privacy", "forget", ref])
    assert again.exit_code == 2 and ref in again.output


def test_the_cli_shows_the_audit_of_an_order_or_basket(cli_db: Database) -> None:
    _audit_two(cli_db)
    runner = CliRunner()
    app = _app()
    by_order = runner.invoke(app, ["privacy", "audit", "o-1", "--json"])
    assert by_order.exit_code == 0, by_order.output
    entries = json.loads(by_order.stdout)
    assert [(e["party_id"], e["fields"]) for e in entries] == [
        ("swift-courier", ["name", "phone", "street_address"]),
        ("ledger", ["cash_to_collect"]),
    ]
    by_basket = runner.invoke(app, ["privacy", "audit", "b-1", "--json"])
    assert [e["order_id"] for e in json.loads(by_basket.stdout)] == ["o-1", "o-1", "o-2"]
    as_table = runner.invoke(app, ["privacy", "audit", "o-2"])
    assert as_table.exit_code == 0 and "corner-grocer" in as_table.stdout
    missing = runner.invoke(app, ["privacy", "audit", "o-404"])
    assert missing.exit_code == 2 and "o-404" in missing.output


def test_the_cli_prints_the_privacy_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    app = _app()
    as_json = runner.invoke(app, ["privacy", "table", "--json"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout) == PRIVACY_TABLE
    shown = runner.invoke(app, ["privacy", "table"])
    assert shown.exit_code == 0 and "token + amount" in shown.stdout


def test_the_vault_key_rotates_each_entry_naming_its_key(database: Database, monkeypatch: Any) -> None:
    """Each entry records the id of its key: after a rotation the old key still opens it (named in
    KITTING_VAULT_OLD_KEYS) until `kitting privacy rekey` moves it; without it, the error names the key."""
    from typer.testing import CliRunner

    from agents.cli.main import cli
    from agents.privacy.vault import VaultKeyMismatch, key_id_of

    old, new = secrets.token_bytes(32), secrets.token_bytes(32)
    with database.session() as session:
        ref = Vault(old).store(
            session, Contact(name="Ada", street_address="1 Main St", phone="+44 20 7946 0000")
        )
    with database.session() as session, pytest.raises(VaultKeyMismatch, match=key_id_of(old)):
        Vault(new).contact(session, ref)
    with database.session() as session:
        assert Vault(new, (old,)).contact(session, ref).name == "Ada"
    b64 = base64.b64encode
    monkeypatch.setenv("KITTING_DATABASE_URL", database.url)
    monkeypatch.setenv("KITTING_VAULT_KEY", b64(new).decode())
    monkeypatch.setenv("KITTING_VAULT_OLD_KEYS", b64(old).decode())
    result = CliRunner().invoke(cli, ["privacy", "rekey"])
    assert result.exit_code == 0 and f"1 vault entry moved to key {key_id_of(new)}" in result.output
    with database.session() as session:
        assert Vault(new).contact(session, ref).name == "Ada"  # the old key is no longer needed
    monkeypatch.setenv("KITTING_VAULT_KEY", b64(secrets.token_bytes(32)).decode())
    lost = CliRunner().invoke(cli, ["privacy", "rekey"])
    assert lost.exit_code == 2 and "open with none of the keys given" in lost.output

"""`kitting privacy audit|table|customer-add|forget`: personal data for operators."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from agents.baskets.store import Basket
from agents.cli.common import command_group, err, fail, migrated_database
from agents.ordering.tables import Order
from agents.privacy.audit import AuditView, audit_of, audit_of_basket
from agents.privacy.forgetting import FORGOTTEN, forget_in_vault, redacted
from agents.privacy.keys import VaultKeyError
from agents.privacy.policy import PRIVACY_COLUMNS, PRIVACY_TABLE
from agents.privacy.vault import Contact, NotIssued, Vault, vault_of
from schemas.events import QuotePreferences
from streams.archive import rewrite_archive
from streams.settings import Settings

out = Console()


def _vault() -> Vault:
    try:
        return vault_of(Settings())
    except (VaultKeyError, ValueError, OSError) as exc:
        raise fail(f"no usable vault key: {exc}") from None


def _validation_message(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "contact"
        problems.append(f"--{where.replace('_', '-')}: {error['msg']}")
    return "; ".join(problems)


def _print_audit(views: list[AuditView], as_json: bool) -> None:
    if as_json:
        print(json.dumps([v.model_dump(mode="json") for v in views], indent=2))
        return
    table = Table("party", "kind", "event", "topic", "reference", "fields", "sealed", "withheld", "when")
    for v in views:
        table.add_row(
            v.party_id, v.party_kind, v.event_type, v.topic, v.reference, ",".join(v.fields) or "-",
            "yes" if v.sealed else "no", v.withheld or "-", v.recorded_at.isoformat(timespec="seconds"),
        )  # fmt: skip
    out.print(table)


def register(cli: typer.Typer) -> None:
    privacy = command_group(
        "Personal data: the audit of who received which fields, the privacy table, the vault."
    )
    cli.add_typer(privacy, name="privacy")

    @privacy.command("audit")
    def audit(
        order_id: Annotated[str, typer.Argument(metavar="ORDER", help="An order id (or a basket id)")],
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    ) -> None:
        """Who received which personal fields for an order (or every order of a basket)."""
        with migrated_database().session() as session:
            views = audit_of(session, order_id) or audit_of_basket(session, order_id)
        if not views:
            raise fail(f"nothing is recorded for order or basket {order_id!r}")
        _print_audit(views, as_json)

    @privacy.command("table")
    def table(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
        """The privacy table: which party sees which personal data."""
        if as_json:
            print(json.dumps(PRIVACY_TABLE, indent=2))
            return
        grid = Table("data", *PRIVACY_COLUMNS, title="Who sees what")
        for row, cells in PRIVACY_TABLE.items():
            grid.add_row(row, *(cells[column] for column in PRIVACY_COLUMNS))
        out.print(grid)

    @privacy.command("customer-add")
    def customer_add(
        name: Annotated[str, typer.Option(help="The customer's name")],
        street_address: Annotated[str, typer.Option(help="Street address for deliveries")],
        phone: Annotated[str, typer.Option(help="Phone number")],
        email: Annotated[str | None, typer.Option(help="E-mail address")] = None,
        region: Annotated[str, typer.Option(help="Delivery region used for routing")] = "default",
        payment_instrument: Annotated[
            str | None, typer.Option(help="e.g. a card number; never leaves the vault")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    ) -> None:
        """Store a customer's contact data in the encrypted vault and print the customer reference and
        the customer token that quoting and ordering for them takes (hand it to the person or their site
        only)."""
        try:
            contact = Contact(
                name=name, street_address=street_address, phone=phone, email=email, region=region,
                payment_instrument=payment_instrument,
            )  # fmt: skip
        except ValidationError as exc:
            raise fail(f"the contact is not valid: {_validation_message(exc)}") from None
        vault = _vault()
        with migrated_database().session() as session:
            ref = vault.store(session, contact)
        token = vault.customer_token(ref)
        if as_json:
            print(json.dumps({"customer_ref": ref, "customer_token": token}))
        else:
            print(ref)
            print(token)

    @privacy.command("rekey")
    def rekey() -> None:
        """After the vault key rotated: encrypt every entry stored under an earlier key (one
        KITTING_VAULT_OLD_KEYS names) with KITTING_VAULT_KEY. Customer tokens and pickup codes derive
        from the key: hand out new ones."""
        vault = _vault()
        with migrated_database().session() as session:
            moved, stuck = vault.rekey(session)
        err.print(f"{moved} vault entr{'y' if moved == 1 else 'ies'} moved to key {vault.key_id}")
        if stuck:
            raise fail(
                f"{len(stuck)} entr{'y' if len(stuck) == 1 else 'ies'} open with none of the keys given: add "
                "their key to KITTING_VAULT_OLD_KEYS and run this again"
            )

    @privacy.command("forget")
    def forget(
        customer_ref: Annotated[str, typer.Argument(metavar="CUSTOMER_REF", help="The customer reference")],
    ) -> None:
        """Forget a customer: their contact data and references leave the vault, their orders keep no
        link to them, and their archived events are rewritten without what was sealed for them."""
        vault = _vault()
        settings = Settings()
        with migrated_database().session() as session:
            had_contact, references = forget_in_vault(session, customer_ref)
            orders = list(session.scalars(select(Order).where(Order.customer_ref == customer_ref)))
            asked = _asked_for(session, vault, customer_ref)
            baskets = {order.basket_id for order in orders} | set(asked)
            for order in orders:
                order.customer_ref = FORGOTTEN
            for basket in asked.values():  # the basket keeps the person's choices, not the person
                prefs = QuotePreferences.model_validate_json(basket.preferences or "{}")
                basket.preferences = prefs.model_copy(update={"customer_ref": FORGOTTEN}).model_dump_json()
        if not had_contact and not references and not baskets:
            raise fail(f"no customer {customer_ref!r} in the vault")
        rewritten = rewrite_archive(settings.archive_path, baskets, redacted)
        err.print(
            f"{customer_ref} erased: contact data {'deleted' if had_contact else 'already gone'}, "
            f"{references} reference(s), {len(orders)} order(s) unlinked, {rewritten} archived event(s) "
            f"of {len(baskets)} basket(s) rewritten",
            highlight=False,
        )


def _asked_for(session: Session, vault: Vault, customer_ref: str) -> dict[str, Basket]:
    """The baskets the person asked quotes for (their reference is kept concealed for each basket)."""
    found = {}
    for basket in session.scalars(select(Basket).where(Basket.preferences.is_not(None))):
        concealed = QuotePreferences.model_validate_json(basket.preferences or "{}").customer_ref
        try:
            if vault.reveal(concealed, basket.basket_id) == customer_ref:
                found[basket.basket_id] = basket
        except NotIssued:
            continue
    return found

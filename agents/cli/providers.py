"""`kitting providers add|list|show|disable|enable`: the provider registry for operators."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from agents.cli.common import command_group, err, fail, migrated_database
from agents.privacy.keys import VaultKeyError, vault_key
from agents.providers.sdk import new_keypair, new_signing_keypair
from agents.registry.acls import acl_commands
from agents.registry.providers import (
    DuplicateProvider,
    ProviderView,
    UnknownProvider,
    add_provider,
    get_provider,
    list_providers,
    rotate_secret,
    set_enabled,
    webhook_of,
)
from agents.registry.secrets import webhook_secret
from schemas.providers import Provider, ProviderKind
from schemas.vocabulary import DeliveryMethod, PaymentMethod
from streams.settings import Settings

out = Console()


def _print(views: list[ProviderView], as_json: bool) -> None:
    if as_json:
        print(json.dumps([v.model_dump(mode="json") for v in views], indent=2))
        return
    table = Table(
        "id", "name", "kind", "categories", "regions", "address", "enabled", "answer rate", "mean ms"
    )
    for v in views:
        rate = f"{v.health.answer_rate:.0%}" if v.health.answer_rate is not None else "-"
        mean = f"{v.health.mean_answer_ms:.0f}" if v.health.mean_answer_ms is not None else "-"
        table.add_row(
            v.provider_id, v.name, v.kind.value, ",".join(v.categories), ",".join(v.regions),
            v.address or f"via {v.manager_id}", "yes" if v.enabled else "no", rate, mean,
        )  # fmt: skip
    out.print(table)


def register(cli: typer.Typer) -> None:
    providers = command_group("The provider registry: shops, couriers, accounting agents, method providers.")
    cli.add_typer(providers, name="providers")

    @providers.command("add")
    def add(
        provider_id: Annotated[str | None, typer.Option("--id", help="Stable id, e.g. corner-grocer")] = None,
        name: Annotated[str | None, typer.Option(help="Display name")] = None,
        kind: Annotated[ProviderKind, typer.Option(help="What the provider does")] = ProviderKind.component,
        category: Annotated[list[str] | None, typer.Option(help="A category it serves (repeat)")] = None,
        region: Annotated[list[str] | None, typer.Option(help="A region it serves (repeat)")] = None,
        address: Annotated[
            str, typer.Option(help="'kafka', an https:// webhook, or '' for a member")
        ] = "kafka",
        manager: Annotated[str | None, typer.Option(help="Provider manager that fronts it")] = None,
        delivery: Annotated[list[DeliveryMethod] | None, typer.Option(help="Delivery mode (repeat)")] = None,
        payment: Annotated[list[PaymentMethod] | None, typer.Option(help="Payment method (repeat)")] = None,
        public_key: Annotated[str | None, typer.Option(help="Key personal data is sealed to")] = None,
        signing_key: Annotated[
            str | None, typer.Option(help="Public key its events are signed with (`kitting providers keys`)")
        ] = None,
        from_json: Annotated[Path | None, typer.Option(help="A JSON file with the whole entry")] = None,
        replace: Annotated[bool, typer.Option(help="Replace an entry with the same id")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    ) -> None:
        """Register a provider (from options or a JSON file)."""
        try:
            if from_json is not None:
                provider = Provider.model_validate_json(from_json.read_text())
            else:
                if not provider_id or not name:
                    raise fail("give --id and --name, or --from-json FILE")
                provider = Provider(
                    provider_id=provider_id, name=name, kind=kind, categories=category or [],
                    regions=region or ["default"], address=address, manager_id=manager,
                    delivery_methods=delivery or [], payment_methods=payment or [], public_key=public_key,
                    signing_key=signing_key,
                )  # fmt: skip
        except (ValidationError, OSError) as exc:
            raise fail(f"the provider entry is not valid: {exc}") from None
        try:
            with migrated_database().session() as session:
                view = add_provider(session, provider, replace=replace)
        except (DuplicateProvider, UnknownProvider) as exc:
            raise fail(str(exc)) from None
        _print([view], as_json)

    @providers.command("keys")
    def keys(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
        """Make a provider's two key pairs: one its contact data is sealed to, one it signs its events
        with. Register the public halves (--public-key, --signing-key); keep the private halves with the
        provider only (the SDK's ProviderAdapter takes signing_key=, contacts open with the private key)."""
        sealing_private, sealing_public = new_keypair()
        signing_private, signing_public = new_signing_keypair()
        made = {
            "public_key": sealing_public, "private_key": sealing_private,
            "signing_key": signing_public, "signing_private_key": signing_private,
        }  # fmt: skip
        if as_json:
            print(json.dumps(made))
            return
        out.print("Register these (public):", highlight=False)
        out.print(f"  --public-key {sealing_public}\n  --signing-key {signing_public}", highlight=False)
        out.print("Keep these with the provider only (private):", highlight=False)
        out.print(
            f"  private key {sealing_private}\n  signing private key {signing_private}", highlight=False
        )

    @providers.command("list")
    def list_(
        kind: Annotated[ProviderKind | None, typer.Option(help="Only this kind")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    ) -> None:
        """List the registered providers with their health."""
        with migrated_database().session() as session:
            _print(list_providers(session, kind), as_json)

    @providers.command("show")
    def show(
        provider_id: Annotated[str, typer.Argument(help="The provider's id")],
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    ) -> None:
        """Show one provider."""
        try:
            with migrated_database().session() as session:
                view = get_provider(session, provider_id)
        except UnknownProvider as exc:
            raise fail(str(exc)) from None
        if as_json:
            print(view.model_dump_json(indent=2))
        else:
            out.print_json(view.model_dump_json())

    def _switch(provider_id: str, enabled: bool) -> None:
        try:
            with migrated_database().session() as session:
                view = set_enabled(session, provider_id, enabled)
        except UnknownProvider as exc:
            raise fail(str(exc)) from None
        err.print(f"{view.provider_id} {'enabled' if enabled else 'disabled'}")

    @providers.command("disable")
    def disable(provider_id: Annotated[str, typer.Argument(help="The provider's id")]) -> None:
        """Stop asking a provider for quotes (it stays registered)."""
        _switch(provider_id, False)

    @providers.command("enable")
    def enable(provider_id: Annotated[str, typer.Argument(help="The provider's id")]) -> None:
        """Ask a disabled provider again."""
        _switch(provider_id, True)

    def _print_secret(provider_id: str, rotate: bool) -> None:
        try:
            key = vault_key(Settings())
        except (VaultKeyError, OSError) as exc:
            raise fail(f"no usable vault key: {exc}") from None
        try:
            with migrated_database().session() as session:
                if rotate:
                    rotate_secret(session, provider_id)
                hook = webhook_of(session, provider_id)
                get_provider(session, provider_id)
        except UnknownProvider as exc:
            raise fail(str(exc)) from None
        if hook is None or hook.owner_id != provider_id:
            raise fail(f"{provider_id} is not reached by a webhook of its own: it has no secret")
        print(webhook_secret(key, provider_id, hook.secret_generation))

    @providers.command("acls")
    def acls(
        bootstrap: Annotated[str, typer.Option(help="The cluster's bootstrap servers")] = "$BOOTSTRAP",
    ) -> None:
        """Print the kafka-acls.sh commands that let each Kafka-connected party read only the topics its
        kind is asked on and write only the topic it answers on (as User:<provider id>)."""
        with migrated_database().session() as session:
            views = list_providers(session)
        for command in acl_commands(views, bootstrap):
            print(command)

    @providers.command("secret")
    def secret(provider_id: Annotated[str, typer.Argument(help="The provider's id")]) -> None:
        """Print a webhook provider's secret, which it checks Kitting's calls with (hand it over safely)."""
        _print_secret(provider_id, rotate=False)

    @providers.command("rotate-secret")
    def rotate(provider_id: Annotated[str, typer.Argument(help="The provider's id")]) -> None:
        """Give a webhook provider a new secret and print it; the old one stops working at once."""
        _print_secret(provider_id, rotate=True)

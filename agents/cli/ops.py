"""`kitting ops stuck|retry|resend`: what waits for a person, and the operator's ways to move it on."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agents.cli.common import command_group, err, fail, migrated_database
from agents.composition import ordering_saga
from agents.ordering.handlers import OperatorRefused
from agents.ordering.stuck import stuck
from agents.privacy.keys import VaultKeyError
from streams.settings import Settings

out = Console()


def register(cli: typer.Typer) -> None:
    ops = command_group("Operations: what waits for a person, and moving it on.")
    cli.add_typer(ops, name="ops")

    @ops.command("stuck")
    def stuck_command(
        quiet_minutes: Annotated[
            float, typer.Option("--quiet-minutes", help="List baskets under way with no change for this long")
        ] = 15.0,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    ) -> None:
        """Orders whose payment step the accounting agent left unanswered after its retries, baskets still
        under way with no change for a while, and events the outbox gave up sending. Exit code 1 when
        anything is listed."""
        with migrated_database().session() as session:
            found = stuck(session, timedelta(minutes=quiet_minutes))
        if as_json:
            print(json.dumps({
                "orders": [o.__dict__ | {"since": o.since.isoformat()} for o in found.orders],
                "baskets": [b.__dict__ | {"since": b.since.isoformat()} for b in found.baskets],
                "outbox_set_aside": found.set_aside,
            }, indent=2))  # fmt: skip
        else:
            if found.orders:
                table = Table(
                    "order", "basket", "shop", "step", "why", "since", title="Payments waiting for a person"
                )
                for o in found.orders:
                    table.add_row(
                        o.order_id, o.basket_id, o.provider_id, o.step, o.why, f"{o.since:%Y-%m-%d %H:%M} UTC"
                    )
                out.print(table)
                err.print("fix the accounting agent, then: kitting ops retry ORDER")
            if found.baskets:
                table = Table("basket", "status", "reason", "unchanged since", title="Baskets with no change")
                for b in found.baskets:
                    table.add_row(b.basket_id, b.status, b.reason or "-", f"{b.since:%Y-%m-%d %H:%M} UTC")
                out.print(table)
            if found.set_aside:
                err.print(
                    f"{found.set_aside} event(s) could not be sent and were set aside (the worker's log "
                    "says why); after fixing the cause: kitting ops resend"
                )
            if found.empty:
                err.print("nothing waits for a person")
        if not found.empty:
            raise typer.Exit(1)

    @ops.command("retry")
    def retry(
        order_id: Annotated[str, typer.Argument(metavar="ORDER", help="An order `ops stuck` lists")],
    ) -> None:
        """Ask the accounting agent again for an order's payment step that waited for a person (same
        idempotency key: the money moves once). The worker sends it within seconds."""
        settings = Settings()
        try:
            saga = ordering_saga(settings)
        except (VaultKeyError, OSError) as exc:
            raise fail(f"no usable vault key: {exc}") from None
        database = migrated_database(settings)
        try:
            with database.unit_of_work(f"urn:kitting:{settings.app_id}:ops") as uow:
                action = saga.retry_payment(uow, order_id)
        except OperatorRefused as exc:
            raise fail(str(exc)) from None
        err.print(f"asked the accounting agent again to {action} order {order_id}")

    @ops.command("resend")
    def resend() -> None:
        """Send again the events the outbox set aside after their tries (once their cause is fixed)."""
        count = migrated_database().resend_set_aside()
        err.print(f"{count} event(s) will be sent again by the worker" if count else "nothing was set aside")

"""`kitting sites add|list|set|disable|enable|rotate`: the upstream sites that post browse events."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agents.cli.common import command_group, err, fail, migrated_database
from agents.http.sites import (
    DuplicateSite,
    InvalidSite,
    SiteView,
    UnknownSite,
    create_site,
    list_sites,
    rotate_key,
    set_enabled,
    update_site,
)

out = Console()

KEY_NOTICE = "Keep this key now: Kitting stores only its hash, so it cannot be shown again."
ORIGIN_HELP = "A page origin the snippet runs on, e.g. https://recipes.example (repeat it); none: any"
CACHE_NOTICE = "The collector applies the change within a few seconds (it caches the sites)."


def _print_key(site_id: str, key: str) -> None:
    err.print(f"API key of site [bold]{site_id}[/bold]:", highlight=False)
    print(key)
    err.print(f"[yellow]{KEY_NOTICE}[/yellow]", highlight=False)
    tag = f'<script src="https://KITTING/snippet.js" data-site-key="{key}" async></script>'
    err.print(f"Pages add: {tag}", soft_wrap=True, highlight=False, markup=False)


def _table(sites: list[SiteView]) -> Table:
    table = Table(title="Upstream sites")
    for column in ("site", "name", "key"):
        table.add_column(column)
    table.add_column("origins", overflow="fold", min_width=24)  # an origin is never cut to "https:…"
    for column in ("rate/s", "burst", "enabled", "created"):
        table.add_column(column)
    for s in sites:
        table.add_row(
            s.site_id, s.name, f"{s.key_prefix}…", "\n".join(s.origins) or "(any)", f"{s.rate_per_s:g}",
            str(s.burst), "yes" if s.enabled else "[red]no[/red]", s.created_at.strftime("%Y-%m-%d %H:%M"),
        )  # fmt: skip
    return table


def register(cli: typer.Typer) -> None:
    sites = command_group("Upstream sites: their API keys, page origins and rate limits.")
    cli.add_typer(sites, name="sites")

    @sites.command("add")
    def add(
        site_id: Annotated[str, typer.Argument(metavar="SITE_ID", help="A short id, e.g. recipes-inc")],
        name: Annotated[str, typer.Option(help="The site's name as people know it")],
        origin: Annotated[list[str] | None, typer.Option(help=ORIGIN_HELP)] = None,
        rate: Annotated[float, typer.Option(help="Events per second the site may post")] = 50.0,
        burst: Annotated[int, typer.Option(help="Events it may post at once above the rate")] = 100,
    ) -> None:
        """Register a site and print its API key (once)."""
        try:
            with migrated_database().session() as session:
                key = create_site(session, site_id, name, origin or [], rate_per_s=rate, burst=burst)
        except (DuplicateSite, InvalidSite) as exc:
            raise fail(str(exc)) from None
        _print_key(site_id, key)

    @sites.command("list")
    def list_(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
        """Every site, with its key's first characters (never the key)."""
        with migrated_database().session() as session:
            views = list_sites(session)
        if as_json:
            print(json.dumps([v.model_dump(mode="json") for v in views], indent=2))
        elif not views:
            err.print("no upstream sites yet: `kitting sites add SITE_ID --name ... --origin ...`")
        else:
            out.print(_table(views))

    @sites.command("set")
    def set_(
        site_id: Annotated[str, typer.Argument(metavar="SITE_ID")],
        name: Annotated[str | None, typer.Option(help="A new name")] = None,
        origin: Annotated[
            list[str] | None, typer.Option(help="The page origins, replacing the current ones (repeat it)")
        ] = None,
        any_origin: Annotated[bool, typer.Option("--any-origin", help="Allow pages of any origin")] = False,
        rate: Annotated[float | None, typer.Option(help="Events per second")] = None,
        burst: Annotated[int | None, typer.Option(help="Events at once above the rate")] = None,
    ) -> None:
        """Change a site's name, origins or limits (its key stays)."""
        if any_origin and origin:
            raise fail("give --origin or --any-origin, not both")
        try:
            with migrated_database().session() as session:
                view = update_site(
                    session, site_id, name=name, origins=[] if any_origin else origin, rate_per_s=rate,
                    burst=burst,
                )  # fmt: skip
        except (UnknownSite, InvalidSite) as exc:
            raise fail(str(exc)) from None
        out.print(_table([view]))
        err.print(CACHE_NOTICE)

    def switch(site_id: str, enabled: bool) -> None:
        try:
            with migrated_database().session() as session:
                view = set_enabled(session, site_id, enabled)
        except UnknownSite as exc:
            raise fail(str(exc)) from None
        err.print(
            f"site {view.site_id} {'enabled' if enabled else 'disabled'}. {CACHE_NOTICE}", highlight=False
        )

    @sites.command("disable")
    def disable(site_id: Annotated[str, typer.Argument(metavar="SITE_ID")]) -> None:
        """Refuse the site's key (its events are answered 401)."""
        switch(site_id, False)

    @sites.command("enable")
    def enable(site_id: Annotated[str, typer.Argument(metavar="SITE_ID")]) -> None:
        """Accept the site's key again."""
        switch(site_id, True)

    @sites.command("rotate")
    def rotate(site_id: Annotated[str, typer.Argument(metavar="SITE_ID")]) -> None:
        """Give the site a new API key; the old one stops working."""
        try:
            with migrated_database().session() as session:
                key = rotate_key(session, site_id)
        except UnknownSite as exc:
            raise fail(str(exc)) from None
        _print_key(site_id, key)
        err.print(f"The old key stops working. {CACHE_NOTICE}")

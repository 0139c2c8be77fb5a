"""What every `kitting` command shares: the error console, how an error ends a command, and the
database brought up to date before a command uses it."""

from __future__ import annotations

import typer
from rich.console import Console

from streams.migrate import upgrade
from streams.persistence import Database
from streams.settings import Settings

err = Console(stderr=True)


def fail(message: str) -> typer.Exit:
    """Print the cause and the fix, and end the command with exit code 2 (`raise fail(...)`)."""
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


def migrated_database(settings: Settings | None = None) -> Database:
    """The configured database, its schema upgraded first (a no-op when it is current)."""
    url = (settings or Settings()).database_url
    upgrade(url)
    return Database(url)

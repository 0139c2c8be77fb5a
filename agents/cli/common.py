"""What every `kitting` command shares: the error console, how an error ends a command, and the
database brought up to date before a command uses it."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from typer.core import TyperArgument, TyperOption

from streams.migrate import upgrade
from streams.persistence import Database
from streams.settings import Settings

err = Console(stderr=True)
HELP_WIDTH = 100


def _no_type_label(self: TyperArgument, ctx: Any) -> str | None:
    return None


_TYPE_WORDS = {"int": "N", "float": "NUMBER", "Decimal": "AMOUNT", "Path": "PATH"}
_typed = TyperOption.display_type


def _plain_value_label(self: TyperOption, ctx: Any) -> str | None:
    if self.is_flag:
        return None
    if self.metavar:
        return self.metavar
    if self.type_descriptor.is_choice:
        return _typed(self, ctx).strip("<>")  # the choices themselves: "cheapest|fastest"
    return _TYPE_WORDS.get(self.bare_type(), "TEXT")


# typer (pinned) labels every parameter with its Python type ("FILE <str>", "--json <bool>"): words that
# mean nothing to a person. An argument's own help says what to give; an option's value is named as
# click names it (TEXT, N), a flag takes none
TyperArgument.display_type_rich = _no_type_label  # type: ignore[method-assign,assignment]
TyperOption.display_type_rich = _plain_value_label  # type: ignore[method-assign]


def command_group(help: str, **options: object) -> typer.Typer:
    """A group of commands whose help reads as plain paragraphs, wrapped to the terminal (no type labels,
    no boxes), with -h as well as --help."""
    return typer.Typer(
        help=help,
        rich_markup_mode=None,
        no_args_is_help=True,
        add_completion=False,
        context_settings={"max_content_width": HELP_WIDTH, "help_option_names": ["-h", "--help"]},
        **options,  # type: ignore[arg-type]
    )


def fail(message: str) -> typer.Exit:
    """Print the cause and the fix, and end the command with exit code 2 (`raise fail(...)`)."""
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


def migrated_database(settings: Settings | None = None) -> Database:
    """The configured database, its schema upgraded first (a no-op when it is current)."""
    url = (settings or Settings()).database_url
    upgrade(url)
    return Database(url)

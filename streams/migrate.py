"""Database migrations with Alembic, run programmatically (`kitting migrate`, and before a worker starts)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(database_url: str, metadata: MetaData | None = None) -> Config:
    """Alembic's configuration for `database_url`; `metadata` is the whole schema, for comparing the
    models with the migrations or autogenerating a revision (upgrades need none)."""
    config = Config()
    if metadata is not None:
        config.attributes["target_metadata"] = metadata
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str) -> None:
    from streams.persistence import make_engine

    make_engine(database_url).dispose()  # creates ./var for SQLite files
    command.upgrade(alembic_config(database_url), "head")

"""Database migrations with Alembic, run programmatically (`kitting migrate`, and before a worker starts)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str) -> None:
    from streams.persistence import make_engine

    make_engine(database_url).dispose()  # creates ./var for SQLite files
    command.upgrade(alembic_config(database_url), "head")

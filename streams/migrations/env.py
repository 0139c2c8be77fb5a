"""Alembic environment. Upgrades need no models. To compare the models with the migrations, or to
autogenerate a revision, hand the whole schema over (`alembic_config(url, metadata=schema())`, with
the composition root's `schema()`); without it Alembic refuses to autogenerate rather than propose to
drop the tables it was not shown."""

from alembic import context
from sqlalchemy import engine_from_config, pool, text

MIGRATION_LOCK_KEY = 0x4B17_7146  # any constant; the same for every Kitting process
config = context.config
target_metadata = config.attributes.get("target_metadata")


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = engine_from_config(
        config.get_section(config.config_ini_section) or {}, prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # workers starting together migrate one after the other; the lock ends with the connection
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()

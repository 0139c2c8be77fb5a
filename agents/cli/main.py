"""The `kitting` command."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import signal
import sys
from importlib.metadata import version
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from agents.cli import analytics, dlq, extract, ops, privacy, providers, quote, replay, select, sites
from agents.cli.common import command_group, fail
from schemas.events import event_type_of
from streams.settings import Settings
from streams.topics import Topic

cli = command_group(
    "Kitting: from a recipe or a do-it-yourself guide to its kit of components, quoted by several shops, "
    "ordered, delivered and paid.\n\nStart with `kitting up` and open the terminal address it prints.",
)


def _version(asked: bool) -> None:
    if asked:
        print(f"kitting {version('kitting')}")
        raise typer.Exit()


@cli.callback()
def _options(
    show_version: Annotated[
        bool,
        typer.Option("--version", help="Print Kitting's version and exit.", callback=_version, is_eager=True),
    ] = False,
) -> None:
    """Kitting: from a recipe or a do-it-yourself guide to its kit of components, quoted by several
    shops, ordered, delivered and paid. Start with `kitting up` and open the terminal address it prints."""


err = Console(stderr=True)


def _settings() -> Settings:
    return Settings()


def _terminate_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so every `finally` stops what this process started."""

    def handler(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, handler)


def _admin_token_place(settings: Settings) -> str:
    """Where the operator's token is (made now on the first run), for the start-up lines."""
    from agents.http.guards import admin_token, admin_token_path

    if settings.admin_token:
        return "token from KITTING_ADMIN_TOKEN"
    admin_token(settings)
    return f"token in {admin_token_path(settings)} (Authorization: Bearer <token> on operator routes)"


DEMO_PACE = "1"  # `kitting up`: the reference shops, courier and accounting take realistic time per step


@cli.command(
    epilog="""Settings come from KITTING_* environment variables (README, "Settings", lists them all); the
    ones most often set here:

    \b
      KITTING_HTTP_HOST, KITTING_HTTP_PORT    where the HTTP service listens (127.0.0.1, 8000)
      KITTING_DATABASE_URL                    sqlite:///./var/kitting.db, or a PostgreSQL URL
      KITTING_KAFKA_BOOTSTRAP_SERVERS         a Kafka cluster; unset: the embedded broker
      KITTING_WORKERS                         worker processes (1)
      KITTING_DEMO_PACE                       reference shops' time per step (1; 0: at once)

    \b
    Examples:
      kitting up
      KITTING_HTTP_PORT=8080 kitting up
      KITTING_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/kitting kitting up"""
)
def up() -> None:
    """The main job: the broker (embedded unless configured), all agents in one worker, the reference
    shops, courier and accounting agent, and the HTTP service with the terminal, on 127.0.0.1:8000 by
    default. It prints the terminal's address to open in a browser. Ctrl-C stops everything."""
    import uvicorn

    from agents.cli.processes import spawn_archiver, spawn_worker
    from agents.composition import create_http_app
    from streams.migrate import upgrade
    from streams.runtime import broker_in_use, child_env, children

    settings = _settings()
    key = shared_vault_key(settings)
    _terminate_on_sigterm()
    log_dir = settings.var_dir
    try:
        with broker_in_use(settings, log_dir) as broker, children() as started:
            bootstrap = broker.bootstrap_servers
            upgrade(settings.database_url)
            env = child_env(settings, bootstrap, broker.log_epoch, KITTING_VAULT_KEY=key)
            env.setdefault("KITTING_DEMO_PACE", DEMO_PACE)  # the reference parties take a shop's time
            workers = []
            for n in range(settings.workers):
                worker_log = log_dir / ("worker.log" if n == 0 else f"worker{n + 1}.log")
                workers.append((spawn_worker(env, worker_log), worker_log))
                started.append(workers[-1][0])
            if settings.archive:
                archiver = spawn_archiver(env, log_dir / "archive.log")
                started.append(archiver)
                err.print(f"archive   {settings.archive_path}, pid {archiver.pid}")
            err.print(f"database  {settings.database_url}")
            err.print(f"admin     {_admin_token_place(settings)}")
            err.print(f"broker    {bootstrap}")
            for worker, worker_log in workers:
                err.print(f"worker    pid {worker.pid}, log {worker_log}")
            if settings.workers > 1 and settings.database_url.startswith("sqlite"):
                err.print("note      several workers share one SQLite file by taking turns: use PostgreSQL")
            base = f"http://{settings.http_host}:{settings.http_port}"
            err.print(f"HTTP      {base}  (API documentation at {base}/docs)")
            if settings.demo_site:
                err.print(f"demo site {base}/demo-site/  (recipes and guides carrying Kitting's button)")
            err.print(f"[bold]Open      {base}/terminal/  in a browser to start[/]  (Ctrl-C stops all)")
            http_app = create_http_app(settings, bootstrap)
            uvicorn.run(http_app, **uvicorn_options(settings))
    except KeyboardInterrupt:
        pass
    err.print("stopped")


@cli.command()
def archive() -> None:
    """Archive every event of every topic as Parquet under KITTING_ARCHIVE_DIR (default var/archive),
    from where the archive ends; `kitting up` runs it beside the worker. Ctrl-C or SIGTERM stops it."""
    from streams.archive import run_archiver

    settings = _settings()
    _terminate_on_sigterm()
    if not settings.kafka_bootstrap_servers:
        err.print("archive needs KITTING_KAFKA_BOOTSTRAP_SERVERS; `kitting up` runs it with its broker")
        raise typer.Exit(2)
    err.print(f"archiving {settings.kafka_bootstrap_servers} into {settings.archive_path}")
    try:
        asyncio.run(
            run_archiver(
                settings.kafka_bootstrap_servers, settings.archive_path, settings.log_epoch,
                keep_days=settings.archive_retention_days,
                max_records=settings.archive_flush_records, max_age_s=settings.archive_flush_s,
            )
        )  # fmt: skip
    except KeyboardInterrupt:
        pass


@cli.command()
def worker() -> None:
    """All agents in one Faust worker, against the configured broker and database (scale out by
    running several). Without KITTING_KAFKA_BOOTSTRAP_SERVERS it starts the embedded broker."""
    import faust

    from agents.composition import build_app
    from streams.migrate import upgrade
    from streams.runtime import broker_in_use

    settings = _settings()
    shared_vault_key(settings)
    _terminate_on_sigterm()
    try:
        with broker_in_use(settings, settings.var_dir) as broker:
            if settings.migrate_on_start:
                upgrade(settings.database_url)
            app = build_app(settings, broker.bootstrap_servers)
            faust.Worker(
                app.faust, loglevel=settings.log_level.upper(), quiet=True
            ).execute_from_commandline()
    except KeyboardInterrupt:
        pass


def shared_vault_key(settings: Settings) -> str:
    """The vault key this process and its children share (base64). On a Kafka cluster that other workers
    share, it must be given: a process that made its own could not read the others' personal data, and
    theirs could not read its own. Only one machine's own broker may use var/vault.key."""
    from agents.privacy.keys import VaultKeyError, vault_key

    if settings.kafka_bootstrap_servers and not settings.vault_key:
        raise fail(
            "KITTING_VAULT_KEY is not set: every worker and the HTTP service of a deployment need the same "
            "vault key. Make one with `openssl rand -base64 32` and give it to every one of them"
        )
    try:
        return base64.b64encode(vault_key(settings)).decode()
    except (VaultKeyError, OSError) as exc:
        raise fail(f"no usable vault key: {exc}") from None


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Where the HTTP service listens, and whose X-Forwarded-For it believes: only the configured
    proxies' (uvicorn would otherwise take it from any local client, which could then pick its own
    address and so its own share of every per-client limit)."""
    proxies = settings.trusted_proxies.strip()
    return {
        "host": settings.http_host, "port": settings.http_port, "log_level": "warning",
        "proxy_headers": bool(proxies), "forwarded_allow_ips": proxies or None,
    }  # fmt: skip


@cli.command()
def serve() -> None:
    """Only the HTTP service, against the configured broker and database."""
    import uvicorn

    from agents.composition import create_http_app

    settings = _settings()
    if not settings.kafka_bootstrap_servers:
        err.print("serve needs KITTING_KAFKA_BOOTSTRAP_SERVERS; `kitting up` runs everything on one machine")
        raise typer.Exit(2)
    shared_vault_key(settings)
    err.print(f"admin     {_admin_token_place(settings)}")
    uvicorn.run(create_http_app(settings, settings.kafka_bootstrap_servers), **uvicorn_options(settings))


@cli.command()
def migrate() -> None:
    """Bring the database schema up to date (Alembic)."""
    from streams.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    err.print(f"database at head: {settings.database_url}")


@cli.command()
def demo(
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON document")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the basket to finish")] = 120.0,
    fulfilment: Annotated[
        str, typer.Option(help="courier, own (the shop's own fleet) or pickup (at the shop)")
    ] = "courier",
    payment: Annotated[
        str, typer.Option(help="electronic, cash-on-delivery, or pay-at-pickup (with pickup only)")
    ] = "electronic",
    baskets: Annotated[int, typer.Option(min=1, max=10000, help="How many baskets to send at once")] = 1,
    restart_worker: Annotated[
        bool, typer.Option("--restart-worker", help="Stop and restart the worker once half have ended")
    ] = False,
    chaos: Annotated[
        bool,
        typer.Option(
            "--chaos",
            help="The chaos drill: baskets of every kind (--baskets, at least 50; default 200) while the "
            "worker is killed, parties go silent, a 5 MB page, a 2 MB event and garbage arrive; checks every "
            "promise",
        ),
    ] = False,
) -> None:
    """Run one scripted customer and basket from a bundled recipe page through every topic, by the
    fulfilment and payment asked for, and report what was seen. Exits 0 only if the basket completed
    (with --chaos: only if every check of the drill held)."""
    from agents.cli.demo import fulfilment_and_payment, run_demo

    if chaos:
        run_chaos_drill(baskets if baskets > 1 else 200, as_json)
        return

    try:
        delivery, method = fulfilment_and_payment(fulfilment, payment)
    except ValueError as problem:
        raise fail(str(problem)) from None
    logging.basicConfig(level=logging.WARNING)
    summary = run_demo(
        _settings(),
        timeout_s=timeout,
        progress=None if as_json else err,
        fulfilment=delivery,
        payment=method,
        baskets=baskets,
        restart_worker=restart_worker,
    )
    if as_json:
        print(json.dumps(summary, indent=2))
    else:
        table = Table(title=f"basket {summary['basket_id']}: {summary['status']}")
        table.add_column("topic")
        table.add_column("events", justify="right")
        for name, count in summary["topics"].items():
            table.add_row(name, str(count))
        Console().print(table)
        orders = Table(title=f"orders ({delivery}, {method})")
        for column in ("provider", "order", "delivery", "payment", "total"):
            orders.add_column(column)
        for o in summary["orders"]:
            orders.add_row(
                o["provider"], o["order"], o["delivery"], o["payment"], f"{o['total']} {o['currency']}"
            )
        Console().print(orders)
        if summary["reason"]:
            err.print(summary["reason"])
    raise typer.Exit(0 if summary["status"] == "completed" else 1)


def run_chaos_drill(baskets: int, as_json: bool) -> None:
    from agents.cli.chaos import run_chaos

    if baskets < 50:
        raise fail("the chaos drill needs at least 50 baskets (--baskets 50 or more) to fit its kills in")
    logging.basicConfig(level=logging.WARNING)
    report = run_chaos(_settings(), baskets, progress=None if as_json else err)
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        table = Table(title=f"chaos drill: {'passed' if report['passed'] else 'FAILED'}", show_header=False)
        for name in ("baskets", "final_states", "median_s_quiet", "median_s_beside_big_input", "big_page",
                     "big_event", "kills", "silences_felt", "dead_letters", "elapsed_s"):  # fmt: skip
            table.add_row(name.replace("_", " "), str(report[name]))
        for name, broken in report["checks"].items():
            table.add_row(f"[red]{name}[/red]", str(broken)[:500])
        Console().print(table)
    raise typer.Exit(0 if report["passed"] else 1)


@cli.command()
def asyncapi() -> None:
    """Print the AsyncAPI 3.0 document of every topic and message."""
    from streams.asyncapi import asyncapi_document

    print(json.dumps(asyncapi_document(), indent=2))


@cli.command()
def openapi() -> None:
    """Print the OpenAPI document of the HTTP API (terminal, collector, channels, registry)."""
    from agents.http.app import openapi_document

    print(json.dumps(openapi_document(), indent=2))


@cli.command()
def topics() -> None:
    """List the topic registry."""
    table = Table()
    for column in ("topic", "partitions", "retention (days)", "events"):
        table.add_column(column)
    for topic in Topic:
        spec = topic.spec
        table.add_row(
            spec.name,
            str(spec.partitions),
            f"{spec.retention_ms / 86_400_000:g}",
            ", ".join(event_type_of(m) for m in spec.events) or "original bytes + cause headers",
        )
    Console().print(table)


for commands in (extract, quote, select, providers, privacy, replay, analytics, sites, ops, dlq):
    commands.register(cli)


def main() -> None:
    from agents.extraction.offline_tagger import TaggerMissing
    from streams.broker import BrokerError

    try:
        cli()
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokerError as problem:  # the broker cannot be used as configured: what and how to fix it
        err.print(f"kitting: {problem}", highlight=False)
        sys.exit(1)
    except TaggerMissing as problem:  # nothing is parsed rather than every line read wrong
        err.print(f"kitting: {problem}", highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()

"""SQL per basket, without a broker: N baskets through the roles' real handlers and wiring on the
in-memory bus the tests use (tests/fakes.py: every record handled alone, as a lone basket's are), on
SQLite or PostgreSQL. Counts the statements each basket costs by their text, the commits, and the
process's CPU per basket, so a change to persistence is measured apart from the broker and Faust.

    PYTHONPATH=. python bench/statements.py [--baskets 40] [--database sqlite|postgres] [--top 25]

Prints one JSON line: cpu_ms_per_basket, wall_ms_per_basket, statements_per_basket,
commits_per_basket, and the `--top` statements (their first 100 characters) with their count per basket.
`--database postgres` uses a fresh database on KITTING_TEST_POSTGRES_URL (or postgres@127.0.0.1:5432),
dropped afterwards.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from agents.privacy.demo_customer import seed_demo_customer
from streams.codec import encode_key
from streams.migrate import upgrade
from streams.persistence import Database
from streams.topics import Topic
from tests.fakes import TEST_VAULT_KEY, InMemoryBus
from tests.unit.test_flow_in_memory import browse

POSTGRES = os.environ.get(
    "KITTING_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def measure(url: str, baskets: int, top: int) -> dict[str, Any]:
    upgrade(url)
    database = Database(url, pre_ping=False)
    seed_demo_customer(url, base64.b64decode(TEST_VAULT_KEY))
    bus = InMemoryBus(database).register_roles()
    bus.publish(Topic.METHOD_BROWSED, encode_key("warm-up"), browse("warm-up"))  # caches and pools warm
    statements: Counter[str] = Counter()
    commits = [0]

    def count(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        statements[" ".join(statement.split())[:100]] += 1

    event.listen(database.engine, "before_cursor_execute", count)
    event.listen(database.engine, "commit", lambda conn: commits.__setitem__(0, commits[0] + 1))
    wall, cpu = time.perf_counter(), time.process_time()
    for n in range(baskets):
        basket_id = f"bench-{n}-{uuid.uuid4().hex[:8]}"
        bus.publish(Topic.METHOD_BROWSED, encode_key(basket_id), browse(basket_id))
        print(f"[statements] {n + 1}/{baskets} baskets", file=sys.stderr, end="\r")
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(file=sys.stderr)
    database.engine.dispose()
    return {
        "baskets": baskets,
        "cpu_ms_per_basket": round(cpu / baskets * 1000, 1),
        "wall_ms_per_basket": round(wall / baskets * 1000, 1),
        "statements_per_basket": round(sum(statements.values()) / baskets, 1),
        "commits_per_basket": round(commits[0] / baskets, 1),
        "top": {text: round(n / baskets, 1) for text, n in statements.most_common(top)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--baskets", type=int, default=40)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    if args.database == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            result = measure(f"sqlite:///{folder}/bench.db", args.baskets, args.top)
    else:
        name = f"kitting_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
        try:
            result = measure(
                sa.make_url(POSTGRES).set(database=name).render_as_string(False), args.baskets, args.top
            )
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.dispose()
    print(json.dumps({**result, "database": args.database}))


if __name__ == "__main__":
    main()

"""`kitting demo`: one scripted customer and basket from a bundled recipe page through every topic, by
the fulfilment and payment asked for."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from rich.console import Console

from agents.baskets.start import basket_event
from agents.cli.processes import spawn_archiver, spawn_worker
from agents.http import read_model
from agents.privacy.demo_customer import seed_demo_customer
from agents.privacy.keys import vault_key
from agents.privacy.vault import Vault
from schemas.events import BasketStatusChanged, MethodBrowsed, QuotePreferences
from schemas.vocabulary import PAYMENT_RULES, DeliveryMethod, PaymentMethod, payment_problem
from streams.archive import ARCHIVED_TOPICS, read_archive
from streams.codec import encode_key
from streams.migrate import upgrade
from streams.persistence import Database
from streams.processes import stop_process
from streams.runtime import broker_in_use, child_env, children
from streams.settings import Settings
from streams.topics import CONTRACT_TOPICS, Topic

DEMO_PAGE = "demo-pancakes.html"
DEMO_URL = "https://recipes.example/weekend-pancakes"
TERMINAL = {"completed", "completed-partially", "failed"}
DEMO_CUSTOMER = "cust-demo"


OLD_SPELLINGS = {"provider-delivery": "own", "cod": "cash-on-delivery", "at-pickup": "pay-at-pickup"}
"""The words `kitting demo` used before it spoke the API's and the terminal's, still read."""


def fulfilment_and_payment(fulfilment: str, payment: str) -> tuple[DeliveryMethod, PaymentMethod]:
    """The fulfilment and payment asked for, in the one vocabulary (older spellings are read too);
    raises ValueError saying what does not fit and what to choose instead."""
    fulfilment, payment = OLD_SPELLINGS.get(fulfilment, fulfilment), OLD_SPELLINGS.get(payment, payment)
    try:
        delivery = DeliveryMethod(fulfilment)
    except ValueError:
        raise ValueError(
            f"unknown fulfilment {fulfilment!r}; choose one of {', '.join(DeliveryMethod)}"
        ) from None
    try:
        method = PaymentMethod(payment)
    except ValueError:
        raise ValueError(f"unknown payment {payment!r}; choose one of {', '.join(PaymentMethod)}") from None
    problem = payment_problem(delivery, method)
    if problem:
        fits = " or ".join(sorted(PAYMENT_RULES[method].fulfilments))
        raise ValueError(f"{problem}: --payment {method} needs --fulfilment {fits}")
    return delivery, method


def demo_page() -> str:
    return resources.files("agents.cli").joinpath(DEMO_PAGE).read_text(encoding="utf-8")


def browse_event(
    basket_id: str,
    customer_ref: str = DEMO_CUSTOMER,
    delivery: DeliveryMethod = DeliveryMethod.courier,
    payment: PaymentMethod = PaymentMethod.electronic,
    *,
    key: bytes,
) -> bytes:
    """The demo page browsed by a customer whose contact data is in the vault (see seed_demo_customer);
    `key` is the vault key, which the customer reference is concealed with, as the gateway does."""
    concealed = Vault(key).conceal(customer_ref, basket_id)
    prefs = QuotePreferences(customer_ref=concealed, have=["salt"], delivery=delivery, payment=payment)
    job = MethodBrowsed(
        basket_id=basket_id, url=DEMO_URL, html=demo_page(), site="recipes.example", quote=prefs
    )
    return basket_event(job, source="urn:kitting:demo").value


async def follow_baskets(
    bootstrap: str,
    browses: dict[str, bytes],
    timeout_s: float,
    progress: Console | None,
    halfway: Callable[[], None] | None = None,
) -> tuple[dict[str, tuple[str, str | None]], dict[str, int]]:
    """Produce the browse events and count every event of these baskets per topic until all end;
    `halfway` runs (once) when half of them have."""
    counts = {topic.topic_name: 0 for topic in Topic}
    keys = {encode_key(basket_id): basket_id for basket_id in browses}
    consumer = AIOKafkaConsumer(
        *counts,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await consumer.start()
    await producer.start()
    ended: dict[str, tuple[str, str | None]] = {}
    try:
        for basket_id, browse in browses.items():
            await producer.send_and_wait(Topic.METHOD_BROWSED.topic_name, browse, key=encode_key(basket_id))
        deadline = time.monotonic() + timeout_s
        while len(ended) < len(browses) and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    owner = keys.get(record.key or b"")
                    if owner is None:
                        continue
                    counts[record.topic] += 1
                    if progress and len(browses) == 1:
                        progress.print(f"  {record.topic}")
                    if record.topic == Topic.BASKET_STATUS.topic_name and record.value:
                        changed = BasketStatusChanged.model_validate(json.loads(record.value)["data"])
                        if changed.status.value in TERMINAL:
                            ended[owner] = (changed.status.value, changed.reason)
            if halfway is not None and len(ended) * 2 >= len(browses):
                await asyncio.to_thread(halfway)
                halfway = None
            if progress and len(browses) > 1 and batches:
                progress.print(f"  {len(ended)}/{len(browses)} baskets ended", end="\r")
    finally:
        await producer.stop()
        await consumer.stop()
    return ended, counts


async def topic_records(bootstrap: str) -> dict[str, int]:
    """How many records each archived topic holds now (its end offsets, every partition)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic.topic_name, partition)
            for topic in ARCHIVED_TOPICS
            for partition in sorted(consumer.partitions_for_topic(topic.topic_name) or ())
        ]
        ends = await consumer.end_offsets(partitions) if partitions else {}
    finally:
        await consumer.stop()
    totals: dict[str, int] = {}
    for tp, end in ends.items():
        totals[tp.topic] = totals.get(tp.topic, 0) + end
    return {name: count for name, count in totals.items() if count}


def archived_records(root: Path, since_ms: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in read_archive(root, since=datetime.fromtimestamp(since_ms / 1000, UTC)):
        counts[record.topic] = counts.get(record.topic, 0) + 1
    return counts


def wait_for_archive(bootstrap: str, root: Path, since_ms: int, timeout_s: float = 120.0) -> dict[str, Any]:
    """Wait until the archive holds every record the topics hold (the demo's broker is fresh). The
    topics are counted again each time: the last events of a basket (the outbox relays them) may
    still be arriving when the baskets have ended."""
    deadline = time.monotonic() + timeout_s
    while True:
        held = asyncio.run(topic_records(bootstrap))
        archived = archived_records(root, since_ms)
        if archived == held or time.monotonic() >= deadline:
            break
        time.sleep(1.0)
    return {"folder": str(root), "complete": archived == held, "topics": held, "archived": archived}


def orders_of(database_url: str, vault_key: bytes, basket_id: str) -> list[dict[str, str]]:
    """Each order of the basket with the final state of its three machines (the read model's view)."""
    database = Database(database_url)
    try:
        with database.session() as session:
            views = read_model.orders_view(session, basket_id, Vault(vault_key))
    finally:
        database.engine.dispose()
    return [
        {
            "provider": view["provider_id"], "order": view["status"],
            "delivery_method": view["delivery_method"], "delivery": view["delivery"],
            "payment_method": view["payment_method"], "payment": view["payment"],
            "total": view["total"]["amount"], "currency": view["total"]["currency"],
        }
        for view in views
    ]  # fmt: skip


def run_demo(
    settings: Settings,
    timeout_s: float = 120.0,
    progress: Console | None = None,
    fulfilment: DeliveryMethod = DeliveryMethod.courier,
    payment: PaymentMethod = PaymentMethod.electronic,
    baskets: int = 1,
    restart_worker: bool = False,
) -> dict[str, Any]:
    fulfilment, payment = fulfilment_and_payment(fulfilment, payment)
    started_at = time.monotonic()
    started_ms = int(time.time() * 1000) - 1000
    ids = [str(uuid.uuid4()) for _ in range(baskets)]
    with tempfile.TemporaryDirectory(prefix="kitting-demo-") as tmp:
        work = Path(tmp)
        if "database_url" not in settings.model_fields_set:
            settings = settings.model_copy(update={"database_url": f"sqlite:///{work / 'demo.db'}"})
            if not settings.vault_key:  # a throw-away database gets a throw-away vault key
                settings = settings.model_copy(
                    update={"vault_key": base64.b64encode(secrets.token_bytes(32)).decode()}
                )
        upgrade(settings.database_url)
        key = vault_key(settings)
        customer_ref = seed_demo_customer(settings.database_url, key)
        browses = {b: browse_event(b, customer_ref, fulfilment, payment, key=key) for b in ids}
        archive = settings.archive_path.resolve()
        with broker_in_use(settings, work, announce=progress is not None) as broker, children() as started:
            bootstrap = broker.bootstrap_servers
            pids: dict[str, int | None] = {"broker": broker.embedded_pid, "worker": None}
            env = child_env(
                settings, bootstrap, broker.log_epoch, KITTING_APP_ID=f"kitting-demo-{ids[0][:8]}",
                KITTING_VAULT_KEY=base64.b64encode(key).decode(), KITTING_ARCHIVE_DIR=str(archive),
            )  # fmt: skip
            if settings.archive:
                archiver = spawn_archiver(env, work / "archive.log")
                started.insert(0, archiver)  # stopped last, after the workers
                pids["archiver"] = archiver.pid
            worker = spawn_worker(env, work / "worker.log")
            started.append(worker)
            pids["worker"] = worker.pid
            restarted: list[int] = []

            def restart() -> None:
                """Stop the worker in the middle of the run and start a new one in its place."""
                stop_process(started[-1])
                replacement = spawn_worker(env, work / "worker.log")
                started.append(replacement)
                restarted.append(replacement.pid)
                if progress:
                    progress.print(f"restarted the worker: pid {replacement.pid}")

            if progress:
                progress.print(f"worker pid {worker.pid}; following {baskets} basket(s)")
            ended, counts = asyncio.run(
                follow_baskets(bootstrap, browses, timeout_s, progress, restart if restart_worker else None)
            )
            archived = wait_for_archive(bootstrap, archive, started_ms) if settings.archive else None
            orders = orders_of(settings.database_url, key, ids[0])
            worker = started[-1]
            reason = ended.get(ids[0], ("timeout", None))[1]
            if len(ended) < baskets and worker.poll() is not None:
                reason = (
                    f"worker exited with {worker.returncode}: {(work / 'worker.log').read_text()[-2000:]}"
                )
            if restarted:
                pids["restarted_worker"] = restarted[-1]
    statuses = [ended.get(b, ("timeout", None))[0] for b in ids]
    return {
        "status": "completed"
        if all(s == "completed" for s in statuses)
        else statuses[0]
        if baskets == 1
        else ("timeout" if "timeout" in statuses else "failed"),
        "reason": reason,
        "basket_id": ids[0],
        "baskets": {status: statuses.count(status) for status in sorted(set(statuses))},
        "restarted_worker": bool(restarted),
        "fulfilment": fulfilment.value,
        "payment": payment.value,
        "orders": orders,
        "broker": "embedded" if settings.embedded_broker else "configured",
        "contract_topics_seen": all(counts[t.topic_name] > 0 for t in CONTRACT_TOPICS),
        "topics": counts,
        "archive": archived,
        "elapsed_s": round(time.monotonic() - started_at, 2),
        "pids": pids,
    }

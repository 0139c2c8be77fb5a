"""`kitting demo`: one scripted basket from a bundled recipe page through every topic."""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
import uuid
from importlib import resources
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from rich.console import Console

from schemas.envelope import new_envelope
from schemas.events import BasketStatusChanged, MethodBrowsed, QuotePreferences
from streams.codec import encode, encode_key
from streams.runtime import broker_in_use, child_env, children, spawn_worker
from streams.settings import Settings
from streams.topics import CONTRACT_TOPICS, Topic

DEMO_PAGE = "demo-pancakes.html"
DEMO_URL = "https://recipes.example/weekend-pancakes"
TERMINAL = {"completed", "failed"}


def demo_page() -> str:
    return resources.files("streams.data").joinpath(DEMO_PAGE).read_text(encoding="utf-8")


def browse_event(basket_id: str) -> bytes:
    data = MethodBrowsed(
        basket_id=basket_id,
        url=DEMO_URL,
        html=demo_page(),
        site="recipes.example",
        quote=QuotePreferences(customer_ref=f"cust-{uuid.uuid4().hex[:12]}", have=["salt"]),
    )
    return encode(new_envelope(data, source="urn:kitting:demo", subject=basket_id))


async def follow_basket(
    bootstrap: str, basket_id: str, timeout_s: float, progress: Console | None
) -> tuple[str, str | None, dict[str, int]]:
    """Produce the browse event and count every event of this basket per topic until it ends."""
    counts = {topic.topic_name: 0 for topic in Topic}
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
    status, reason = "timeout", None
    try:
        await producer.send_and_wait(
            Topic.METHOD_BROWSED.topic_name, browse_event(basket_id), key=encode_key(basket_id)
        )
        deadline = time.monotonic() + timeout_s
        while status not in TERMINAL and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    if record.key != encode_key(basket_id):
                        continue
                    counts[record.topic] += 1
                    if progress:
                        progress.print(f"  {record.topic}")
                    if record.topic == Topic.BASKET_STATUS.topic_name and record.value:
                        changed = BasketStatusChanged.model_validate(json.loads(record.value)["data"])
                        if changed.status.value in TERMINAL:
                            status, reason = changed.status.value, changed.reason
    finally:
        await producer.stop()
        await consumer.stop()
    return status, reason, counts


def run_demo(settings: Settings, timeout_s: float = 120.0, progress: Console | None = None) -> dict[str, Any]:
    started_at = time.monotonic()
    basket_id = str(uuid.uuid4())
    with tempfile.TemporaryDirectory(prefix="kitting-demo-") as tmp:
        work = Path(tmp)
        if "database_url" not in settings.model_fields_set:
            settings = settings.model_copy(update={"database_url": f"sqlite:///{work / 'demo.db'}"})
        with broker_in_use(settings, work, announce=progress is not None) as broker, children() as started:
            bootstrap = broker.bootstrap_servers
            pids = {"broker": broker.embedded_pid, "worker": None}
            env = child_env(settings, bootstrap, KITTING_APP_ID=f"kitting-demo-{basket_id[:8]}")
            worker = spawn_worker(env, work / "worker.log")
            started.append(worker)
            pids["worker"] = worker.pid
            if progress:
                progress.print(f"worker pid {worker.pid}; following basket {basket_id}")
            status, reason, counts = asyncio.run(follow_basket(bootstrap, basket_id, timeout_s, progress))
            if status == "timeout" and worker.poll() is not None:
                reason = (
                    f"worker exited with {worker.returncode}: {(work / 'worker.log').read_text()[-2000:]}"
                )
    return {
        "status": status,
        "reason": reason,
        "basket_id": basket_id,
        "broker": "embedded" if settings.embedded_broker else "configured",
        "contract_topics_seen": all(counts[t.topic_name] > 0 for t in CONTRACT_TOPICS),
        "topics": counts,
        "elapsed_s": round(time.monotonic() - started_at, 2),
        "pids": pids,
    }

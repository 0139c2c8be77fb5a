"""`kitting demo --chaos`: the chaos drill. Baskets from every fulfilment and payment run through a
worker on the broker while it is SIGKILLed several times, a shop, the courier and the accounting agent
go silent for a while, a 5 MB page, a 2 MB event and garbage on every event topic arrive. At the end it
checks that every basket is in a final state for a reason that is not the crash, that no order was
lost or placed twice, that no money was captured without a delivery or left captured on a cancelled
order, that the ledger balances, that every dead letter says why, and that the worker is alive.

The drill runs in three phases: quiet baskets (their usual time), the same number beside the 5 MB page
and the 2 MB event (their time then), and the rest under kills and silences."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import signal
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from rich.console import Console
from sqlalchemy import create_engine, text

from agents.baskets.start import basket_event
from agents.cli.demo import TERMINAL, browse_event
from agents.cli.processes import spawn_worker
from agents.composition import REFERENCE_ACCOUNTING, REFERENCE_COURIER
from agents.privacy.demo_customer import seed_demo_customer
from agents.privacy.keys import vault_key
from agents.privacy.vault import Vault
from schemas.events import MethodBrowsed, QuotePreferences
from schemas.vocabulary import DeliveryMethod, PaymentMethod, payment_problem
from streams.codec import encode_key
from streams.handling import DLQ_HEADER_ERROR
from streams.migrate import upgrade
from streams.runtime import broker_in_use, child_env, children
from streams.settings import Settings
from streams.topics import Topic

COMBINATIONS = [(f, p) for f in DeliveryMethod for p in PaymentMethod if payment_problem(f, p) is None]
SILENT_SHOP = "corner-grocer"  # the reference shop most baskets order from
SILENCED = (SILENT_SHOP, REFERENCE_COURIER, REFERENCE_ACCOUNTING)
QUIET = 20  # baskets of each of the first two phases
KILLS_AT = (0.15, 0.45, 0.75)  # a kill when this share of the last phase's baskets has its order placed
SILENT_FOR_S = 20.0  # longer than a restarted worker takes to rejoin (~10 s): work reaches each silent party
BIG_PAGE_BYTES = 5_000_000
BIG_EVENT_BYTES = 2_000_000
DRILL_ENV = {  # deadlines short enough for a drill; every other setting is the deployment's own
    # A silent party drops what reaches it, so any deadline makes a silence felt; the deadlines leave a
    # busy 2-core machine the time its restarted worker takes to work through the backlog a kill left
    # (the hosted parties answer from that same worker): up to ~45 s measured, where 8 s per delivery
    # try failed baskets whose carrier was never silent. On a machine half as fast (2026-12-01), 15 s
    # per delivery try, 40 s to confirm and a 30 s quote round (rounds open at a kill must be answered
    # after it, not closed empty) all failed parties never silent. Until deadlines allow for the
    # worker's own backlog, the drill's are this long.
    "KITTING_QUOTE_DEADLINE_S": "90",
    "KITTING_ORDER_CONFIRM_TIMEOUT_S": "90",
    "KITTING_CARRIER_ANSWER_TIMEOUT_S": "60",
    "KITTING_ACCOUNTING_ANSWER_TIMEOUT_S": "3",
    "KITTING_ACCOUNTING_RETRIES": "20",
    "KITTING_DELIVERY_ATTEMPTS": "5",
    "KITTING_ARCHIVE": "false",
}


@dataclass
class Follower:
    """Everything the drill sees on the topics: when each basket ended and how, the dead letters."""

    baskets: set[str]
    sent_at: dict[str, float] = field(default_factory=dict)
    ended: dict[str, tuple[str, str | None, float]] = field(default_factory=dict)  # status, reason, when
    dead: list[tuple[str, str]] = field(default_factory=list)  # (original topic, reason)
    placed: set[str] = field(default_factory=set)
    ordered: set[str] = field(default_factory=set)  # baskets with an order placed
    asked: Counter[str] = field(default_factory=Counter)  # payment steps by idempotency key
    silences_felt: Counter[str] = field(default_factory=Counter)  # what each silence made Kitting do

    since_ms: int = 0  # dead letters before the drill are not its own

    def see(self, r: Any) -> None:
        topic, key, value, headers = r.topic, r.key, r.value, list(r.headers or [])
        basket = (key or b"").decode(errors="replace")
        if topic == Topic.DEAD_LETTER.topic_name:
            if r.timestamp < self.since_ms:
                return
            reason = dict(headers).get(DLQ_HEADER_ERROR, b"").decode(errors="replace")
            self.dead.append((dict(headers).get("kitting-dlq-topic", b"?").decode(), reason))
            return
        if basket not in self.baskets or not value:
            return
        data = json.loads(value)["data"]
        if topic == Topic.ORDER_PLACED.topic_name:
            self.placed.add(data["order_id"])
            self.ordered.add(basket)
        elif topic == Topic.SETTLEMENT_REQUESTED.topic_name:
            self.asked[data.get("idempotency_key") or ""] += 1
            if self.asked[data.get("idempotency_key") or ""] == 2:
                self.silences_felt["payment steps asked again"] += 1
        elif topic == Topic.ORDER_STATE.topic_name and "did not answer" in (data.get("reason") or ""):
            felt = {"order": "orders replaced", "delivery": "deliveries tried again"}.get(data["aspect"])
            if felt and data["to_state"] in ("rejected", "failed"):
                self.silences_felt[felt] += 1
        elif topic == Topic.BASKET_STATUS.topic_name and data["status"] in TERMINAL:
            self.ended.setdefault(basket, (data["status"], data.get("reason"), time.monotonic()))

    def latencies(self, baskets: list[str]) -> list[float]:
        return [self.ended[b][2] - self.sent_at[b] for b in baskets if b in self.ended]


class BigPage(BaseHTTPRequestHandler):
    """A 5 MB page of text with no method in it, served on this machine."""

    line = "<p>lorem ipsum dolor sit amet</p>\n"
    body = ("<html><body>" + line * ((BIG_PAGE_BYTES - 100) // len(line))).encode()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *_: Any) -> None:
        pass


@contextmanager
def big_page_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BigPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/big-page.html"
    finally:
        server.shutdown()
        server.server_close()


def silences(now: float) -> str:
    """The shop, then the courier, then the accounting agent silent for SILENT_FOR_S each, overlapping."""
    windows = list(zip(SILENCED, (2.0, 6.0, 10.0), strict=True))
    return ",".join(
        f"silent:{party}@{now + start:.0f}-{now + start + SILENT_FOR_S:.0f}" for party, start in windows
    )


class Drill:
    def __init__(self, settings: Settings, baskets: int, progress: Console | None, work: Path) -> None:
        self.settings = settings
        self.progress = progress
        self.work = work
        self.key = vault_key(settings)
        upgrade(settings.database_url)
        self.customer = seed_demo_customer(settings.database_url, self.key)
        run = uuid.uuid4().hex[:6]
        self.phases = {
            "quiet": [f"chaos-{run}-a{i:03d}" for i in range(QUIET)],
            "heavy": [f"chaos-{run}-b{i:03d}" for i in range(QUIET)],
            "chaos": [f"chaos-{run}-c{i:03d}" for i in range(max(1, baskets - 2 * QUIET))],
        }
        self.big_page = f"chaos-{run}-big-page"
        everyone = {b for phase in self.phases.values() for b in phase} | {self.big_page, f"chaos-{run}-warm"}
        self.follower = Follower(everyone, since_ms=int(time.time() * 1000))
        self.warm = f"chaos-{run}-warm"
        self.kills: list[dict[str, float]] = []
        self.big_event_refused: str | None = None
        self.say: Callable[[str], None] = (
            (lambda line: progress.print(line)) if progress else (lambda _: None)
        )

    def browse(self, basket: str, index: int) -> bytes:
        return browse_event(basket, self.customer, *COMBINATIONS[index % len(COMBINATIONS)], key=self.key)

    def big_page_browse(self, url: str) -> bytes:
        prefs = QuotePreferences(customer_ref=Vault(self.key).conceal(self.customer, self.big_page))
        return basket_event(
            MethodBrowsed(basket_id=self.big_page, url=url, quote=prefs), source="urn:kitting:chaos"
        ).value

    async def run(
        self, bootstrap: str, spawn: Callable[[dict[str, str]], subprocess.Popen[bytes]], page_url: str
    ) -> subprocess.Popen[bytes]:
        env: dict[str, str] = {}
        worker = spawn(env)
        consumer = AIOKafkaConsumer(
            *(t.topic_name for t in Topic), bootstrap_servers=bootstrap, group_id=None,
            auto_offset_reset="earliest", enable_auto_commit=False,
        )  # fmt: skip
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_request_size=BIG_EVENT_BYTES + 100_000)
        await consumer.start()
        await producer.start()
        try:

            async def send(baskets: list[str]) -> None:
                for i, basket in enumerate(baskets):
                    self.follower.sent_at[basket] = time.monotonic()
                    await producer.send_and_wait(
                        Topic.METHOD_BROWSED.topic_name, self.browse(basket, i), key=encode_key(basket)
                    )

            async def follow(
                baskets: list[str], timeout_s: float, on_share: Callable[[float], Any] | None = None
            ) -> None:
                """Until every basket ended; `on_share` is told the share of them with an order placed."""
                deadline = time.monotonic() + timeout_s
                while time.monotonic() < deadline and not set(baskets) <= set(self.follower.ended):
                    for records in (await consumer.getmany(timeout_ms=300)).values():
                        for r in records:
                            self.follower.see(r)
                    if on_share is not None:
                        await on_share(len(set(baskets) & self.follower.ordered) / len(baskets))

            await send([self.warm])  # the worker is up and its readers are warm
            await follow([self.warm], 300)
            self.say(f"phase 1: {QUIET} baskets on a quiet worker")
            await send(self.phases["quiet"])
            await follow(self.phases["quiet"], 300)
            self.say(f"phase 2: {QUIET} baskets beside a 5 MB page and a 2 MB event")
            self.follower.sent_at[self.big_page] = time.monotonic()
            await producer.send_and_wait(
                Topic.METHOD_BROWSED.topic_name, self.big_page_browse(page_url), key=encode_key(self.big_page)
            )
            self.big_event_refused = await self.send_big_event(producer)
            await send(self.phases["heavy"])
            await follow([*self.phases["heavy"], self.big_page], 300)
            chaos = len(self.phases["chaos"])
            self.say(f"phase 3: {chaos} baskets, {len(KILLS_AT)} kills, silent parties, garbage")
            for topic in Topic:  # not Faust's own state (written only by workers), not the dead letters
                if topic not in (Topic.COORDINATOR_ROUNDS, Topic.DEAD_LETTER):
                    await producer.send_and_wait(
                        topic.topic_name, b"\xff garbage, not an event", key=b"garbage"
                    )
            await send(self.phases["chaos"])
            pending = list(KILLS_AT)

            async def maybe_kill(share: float) -> None:
                nonlocal worker
                recovering = self.kills and not any(
                    when > self.kills[-1]["killed_at"] for _, _, when in self.follower.ended.values()
                )
                if pending and share >= pending[0] and not recovering:
                    pending.pop(0)
                    if not self.kills:  # the parties go silent from the first kill on (times survive
                        # restarts); kills come while orders are still being placed, so work reaches them
                        env["KITTING_REFERENCE_FAULTS"] = silences(time.time())
                    killed_at = time.monotonic()
                    os.killpg(worker.pid, signal.SIGKILL)
                    worker.wait(timeout=10)
                    worker = spawn(env)
                    self.kills.append({"at_share": round(share, 2), "killed_at": killed_at})
                    self.say(f"  SIGKILLed the worker at {share:.0%}; started pid {worker.pid}")

            await follow(self.phases["chaos"], 600, maybe_kill)
            for kill in self.kills:  # recovered: the first basket to end after the kill
                after = [when for _, _, when in self.follower.ended.values() if when > kill["killed_at"]]
                kill["recovered_after_s"] = (
                    round(min(after) - kill["killed_at"], 1) if after else float("inf")
                )
            await asyncio.sleep(2)  # the last events relayed by the outbox
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                for r in records:
                    self.follower.see(r)
        finally:
            await producer.stop()
            await consumer.stop()
        return worker

    async def send_big_event(self, producer: AIOKafkaProducer) -> str | None:
        """A 2 MB record on method-browsed; None when the broker took it, else why it refused it."""
        event = json.loads(self.browse("chaos-big-event", 0))
        event["data"]["html"] = "<p>" + "x" * BIG_EVENT_BYTES + "</p>"
        try:
            await producer.send_and_wait(
                Topic.METHOD_BROWSED.topic_name, json.dumps(event).encode(), key=b"chaos-big-event"
            )
        except Exception as exc:  # the broker's own limit: the record never reaches Kitting
            return type(exc).__name__
        return None

    def checks(self, worker: subprocess.Popen[bytes]) -> dict[str, Any]:
        """Every promise of the drill, each with what broke it (empty: it held)."""
        follower = self.follower
        drill = [b for phase in self.phases.values() for b in phase]
        engine = create_engine(self.settings.database_url)
        with engine.connect() as db:
            orders = db.execute(
                text(
                    "select order_id, basket_id, status, lines, delivery_state, settlement_state from orders"
                )
            ).all()
            captures = Counter(
                row.order_id
                for row in db.execute(
                    text("select order_id from ledger_transactions where action = 'capture'")
                )
            )
            per_tx: dict[str, Decimal] = defaultdict(Decimal)
            for tx, debit, credit in db.execute(
                text("select transaction_id, debit, credit from ledger_entries")
            ):
                per_tx[tx] += Decimal(debit) - Decimal(credit)
        engine.dispose()
        mine = [o for o in orders if o.basket_id in follower.baskets]
        lines: dict[str, Counter[str]] = defaultdict(Counter)
        for o in mine:
            if o.status != "rejected":
                lines[o.basket_id].update(line["line_id"] for line in json.loads(o.lines))
        failed = {b: follower.ended[b][1] or "" for b in drill if follower.ended.get(b, ("",))[0] == "failed"}
        silenced = tuple(f"{party} did not answer" for party in SILENCED)
        return {
            "not final": sorted(set(drill) - set(follower.ended)),
            # every drill basket can be supplied: one may fail only because a party was silent, saying so
            "failed, not for a silent party": {
                b: why for b, why in failed.items() if not any(s in why for s in silenced)
            },
            "big page not answered with a reason": []
            if follower.ended.get(self.big_page, ("", None, 0))[1]
            else [self.big_page],
            "orders lost or unknown": sorted(follower.placed ^ {o.order_id for o in mine}),
            "lines ordered twice": sorted(b for b, c in lines.items() if any(n > 1 for n in c.values())),
            "captured twice": sorted(order for order, n in captures.items() if n > 1),
            "captured without delivery": sorted(
                o.order_id for o in mine if o.order_id in captures and o.delivery_state != "delivered"
            ),
            "left captured on a cancelled order": sorted(
                o.order_id
                for o in mine
                if o.status in ("cancelled", "rejected") and o.settlement_state == "captured"
            ),
            "unbalanced ledger transactions": sorted(tx for tx, balance in per_tx.items() if balance != 0),
            "dead letters without a reason": [topic for topic, reason in follower.dead if not reason.strip()],
            "worker not alive": [] if worker.poll() is None else [f"exited with {worker.returncode}"],
            "a silence had no effect (the drill proved nothing)": sorted(
                {"orders replaced", "deliveries tried again", "payment steps asked again"}
                - set(follower.silences_felt)
            ),
        }

    @staticmethod
    def short(reason: str | None) -> str:
        """A failure's reason without its line ids, to count alike ones together."""
        return (reason or "no reason").split(";")[0]

    def report(self, worker: subprocess.Popen[bytes], elapsed_s: float) -> dict[str, Any]:
        follower = self.follower
        checks = self.checks(worker)
        quiet, heavy = follower.latencies(self.phases["quiet"]), follower.latencies(self.phases["heavy"])
        drill = [b for phase in self.phases.values() for b in phase]
        return {
            "passed": not any(checks.values()),
            "baskets": len(drill),
            "final_states": dict(Counter(follower.ended[b][0] for b in drill if b in follower.ended)),
            "failed_reasons": dict(
                Counter(
                    self.short(follower.ended[b][1])
                    for b in drill
                    if follower.ended.get(b, ("",))[0] == "failed"
                )
            ),
            "median_s_quiet": round(statistics.median(quiet), 2) if quiet else None,
            "median_s_beside_big_input": round(statistics.median(heavy), 2) if heavy else None,
            "big_page": follower.ended.get(self.big_page, ("not final", None, 0))[:2],
            "big_event": f"refused by the broker ({self.big_event_refused})"
            if self.big_event_refused
            else "sent",
            "kills": [
                {"at": f"{k['at_share']:.0%}", "recovered_after_s": k["recovered_after_s"]}
                for k in self.kills
            ],
            "dead_letters": dict(Counter(topic for topic, _ in follower.dead)),
            "silences_felt": dict(follower.silences_felt),
            "checks": {name: broken for name, broken in checks.items() if broken},
            "elapsed_s": round(elapsed_s, 1),
        }


def run_chaos(settings: Settings, baskets: int = 200, progress: Console | None = None) -> dict[str, Any]:
    """The drill, on the configured broker and database or on an embedded broker and a throw-away SQLite
    database; its report (`passed`, the figures, and every check that broke)."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kitting-chaos-") as tmp:
        work = Path(tmp)
        if "database_url" not in settings.model_fields_set:
            settings = settings.model_copy(update={"database_url": f"sqlite:///{work / 'chaos.db'}"})
        if not settings.vault_key:
            settings = settings.model_copy(
                update={"vault_key": base64.b64encode(secrets.token_bytes(32)).decode()}
            )
        drill = Drill(settings, baskets, progress, work)
        with (
            big_page_server() as page_url,
            broker_in_use(settings, work, announce=progress is not None) as broker,
            children() as started_children,
        ):
            base = child_env(
                settings, broker.bootstrap_servers, broker.log_epoch, **DRILL_ENV,
                KITTING_APP_ID=f"kitting-chaos-{uuid.uuid4().hex[:8]}", KITTING_VAR_DIR=str(work / "var"),
                KITTING_VAULT_KEY=settings.vault_key or "", KITTING_FETCH_PRIVATE_HOSTS="127.0.0.1",
            )  # fmt: skip

            def spawn(env: dict[str, str]) -> subprocess.Popen[bytes]:
                worker = spawn_worker({**base, **env}, work / "worker.log")
                started_children.append(worker)
                return worker

            worker = asyncio.run(drill.run(broker.bootstrap_servers, spawn, page_url))
            report = drill.report(worker, time.monotonic() - started)
            if not report["passed"] and progress is not None:
                progress.print((work / "worker.log").read_text()[-3000:])
    return report

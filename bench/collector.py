"""Collector benchmark: browse events posted at a steady rate to the collector, every accepted one
looked for on the method-browsed topic.

The acceptance figure: the collector holds 1,000 browse events a second from a local load generator
with no event lost. The collector runs in its own process (uvicorn, one worker: the app of
`agents.http.app.collector_app`, with a Kafka publisher) on the embedded broker (or
KITTING_KAFKA_BOOTSTRAP_SERVERS) and a SQLite database (or --database-url: the run's site is removed
after); the load generator runs here, so the two do not share a GIL: aiohttp (or --client httpx,
which takes about three times the CPU), HTTP/1.1 keep-alive over a pool of connections, open-loop
pacing (request i is due at i/rate s whether or not earlier ones have been answered; its latency
counts from that due time, so queueing shows). ~1.8 kB bodies: a recipe page's url, title and HTML.

cpu_percent is of one core over the posting window; `others` is what the rest of the machine used
meanwhile (a busy machine explains a low rate or a long tail).

Exits 1 when an accepted event is missing from the topic or fewer than 95% of the target rate were
accepted.

    python bench/collector.py [--rate 1000] [--seconds 10] [--connections 64] [--json]

`--zipf`: browse load with repeats, through the collector AND a worker (its extractor) to
components-extracted. The views go to `--pages` distinct pages (default 5,000) with Zipf(`--zipf-s`,
default 1.1) popularity: page k is viewed with weight k^-s. The pages are the real recipe pages of
../shared/data/pages (or $KITTING_SHARED_DATA) as the snippet posts them (title, canonical link, the
method's JSON-LD and its ingredient-marked elements), varied: page i is base page i mod 141 at its own
address with its own title, so every page is new content the first time it is viewed (read once, then a
repeat). Reported: the lag at the end (views accepted but not yet extracted when posting ended, and the
seconds until the last of them was), the CPU of each process per view, and how many pages were read.
Exits 1 when the lag is 2 s or more, or an accepted view never reaches components-extracted.

    python bench/collector.py --zipf [--rate 1000] [--seconds 60] [--pages 5000] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import html as html_lib
import json
import math
import os
import random
import re
import socket
import ssl
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import lxml.html
from aiokafka import AIOKafkaConsumer
from pipeline import tree_cpu_s  # bench/pipeline.py: run as `python bench/collector.py`
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import delete, func, select

from agents.cli.processes import spawn_worker
from agents.extraction.read_pages import ReadPage
from agents.http.routes.collector import BROWSE_PATH
from agents.http.sites import UpstreamSite, create_site
from schemas.events import Channel, MethodBrowsed
from streams.broker import EmbeddedBroker, ensure_topics
from streams.codec import decode
from streams.migrate import upgrade
from streams.persistence import Database
from streams.processes import spawn, stop_process
from streams.publishing import MAX_EVENT_BYTES
from streams.topics import Topic

console = Console(stderr=True)
SITE_ID = f"bench-{uuid.uuid4().hex[:8]}"  # a reused database keeps the sites of earlier runs
SITE_ORIGIN = "https://recipes.bench.example"
INTRO = (
    "A smooth, bright soup for a weeknight: ripe tomatoes roasted with onion and garlic, simmered in "
    "stock and blended with fresh basil. It keeps for three days in the fridge and freezes well, so make "
    "a double batch. Serve it with crusty bread, a swirl of cream or a spoon of pesto. Ready in forty "
    "minutes, most of them hands-off, and every ingredient is easy to find in a corner shop. Leftover "
    "soup makes a quick pasta sauce: reduce it in a wide pan until thick, then toss with the pasta."
)
QUEUED_S = 0.010
VAULT_KEY = base64.b64encode(hashlib.sha256(b"kitting collector bench").digest()).decode()


# --- the server process ---------------------------------------------------------------------------


def serve(database_url: str, bootstrap_servers: str, port: int, host: str = "127.0.0.1") -> None:
    """Run the collector alone (one uvicorn worker) until SIGTERM."""
    import uvicorn

    from agents.http.app import collector_app
    from streams.settings import Settings

    app = collector_app(Settings(database_url=database_url, vault_key=VAULT_KEY), bootstrap_servers)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, workers=1)


def free_port_above(floor: int = 20000, host: str = "127.0.0.1") -> int:
    for _ in range(200):
        port = random.randint(floor + 1, 60999)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port above {floor}")


def wait_ready(url: str, process: Any, log_path: Path, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the collector exited ({process.returncode}):\n{log_path.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the collector did not answer /health within {timeout_s:.0f} s; see {log_path}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (Linux /proc), 0.0 when it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine spent busy so far (Linux /proc/stat), 0.0 elsewhere."""
    try:
        ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    guest = sum(ticks[8:10])  # already counted in user and nice
    return (sum(ticks) - idle - guest) / os.sysconf("SC_CLK_TCK")


# --- the load -------------------------------------------------------------------------------------


def page_body(i: int) -> bytes:
    """About 2 kB: a recipe page's address, title and a short HTML with its JSON-LD."""
    ingredients = [
        "800 g ripe tomatoes", "1 onion, chopped", "2 cloves garlic", "500 ml vegetable stock",
        "2 tbsp olive oil", "1 tsp sugar", "salt and pepper", "a handful of basil leaves",
    ]  # fmt: skip
    recipe = {
        "@context": "https://schema.org", "@type": "Recipe", "name": f"Tomato soup no. {i}",
        "recipeYield": "4 servings", "recipeIngredient": ingredients,
    }  # fmt: skip
    steps = "".join(f"<li>Step {n}: stir, simmer and season the soup to taste.</li>" for n in range(1, 9))
    html = (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Tomato soup {i}</title>"
        f'<script type="application/ld+json">{json.dumps(recipe)}</script></head>'
        f"<body><h1>Tomato soup {i}</h1><p>{INTRO}</p><ul>"
        + "".join(f"<li>{line}</li>" for line in ingredients)
        + f"</ul><ol>{steps}</ol></body></html>"
    )
    body = {"url": f"{SITE_ORIGIN}/recipes/tomato-soup-{i}", "title": f"Tomato soup {i}", "html": html}
    return json.dumps(body).encode()


@dataclass
class Load:
    sent: int = 0
    accepted: dict[str, float] = field(default_factory=dict)  # basket id -> latency (s)
    accepted_at: dict[str, float] = field(default_factory=dict)  # basket id -> when answered (perf_counter)
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    started: float = 0.0
    last_sent: float = 0.0
    finished: float = 0.0
    queued: int = 0  # requests that waited more than QUEUED_S for a free connection


Post = Callable[[bytes], Awaitable[tuple[int, bytes]]]


@contextlib.asynccontextmanager
async def aiohttp_posters(url: str, headers: dict[str, str], connections: int) -> AsyncIterator[list[Post]]:
    """One aiohttp session over `connections` keep-alive connections (one worker each)."""
    connector = aiohttp.TCPConnector(limit=connections)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(url, connector=connector, headers=headers, timeout=timeout) as session:

        async def get_health() -> None:
            async with session.get("/health") as answer:
                await answer.read()

        async def post(body: bytes) -> tuple[int, bytes]:
            async with session.post(BROWSE_PATH, data=body) as answer:
                return answer.status, await answer.read()

        await asyncio.gather(*(get_health() for _ in range(connections)))  # open them all first
        yield [post] * connections


@contextlib.asynccontextmanager
async def httpx_posters(url: str, headers: dict[str, str], connections: int) -> AsyncIterator[list[Post]]:
    """One httpx client per connection: httpx's shared pool rescans every waiting request on each
    change, which costs more than the requests at this rate."""
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]  # httpcore tries it per request
    tls = ssl.create_default_context()  # one for every client (plain http: never used)
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=url, limits=limits, timeout=30.0, headers=headers, verify=tls)
            )
            for _ in range(connections)
        ]
        await asyncio.gather(*(client.get("/health") for client in clients))  # open them all first

        def poster(client: httpx.AsyncClient) -> Post:
            async def post(body: bytes) -> tuple[int, bytes]:
                answer = await client.post(BROWSE_PATH, content=body)
                return answer.status_code, answer.content

            return post

        yield [poster(client) for client in clients]


CLIENTS = {"aiohttp": aiohttp_posters, "httpx": httpx_posters}


async def generate(
    url: str,
    key: str,
    rate: float,
    seconds: float,
    connections: int,
    progress: Progress,
    client: str = "aiohttp",
    bodies: list[bytes] | None = None,
    order: list[int] | None = None,
    load: Load | None = None,
) -> Load:
    """Post `rate` x `seconds` pages, open-loop: request i is due at i/rate s and waits in a queue for
    a free connection when all are busy (its latency counts from when it was due). Request i posts
    `bodies[order[i]]` (default: 500 pages in turn). `load` is filled as the answers come (default: a new
    one)."""
    total = round(rate * seconds)
    bodies = bodies or [page_body(i) for i in range(min(total, 500))]
    order = order or [i % len(bodies) for i in range(total)]
    headers = {"X-Kitting-Site-Key": key, "Content-Type": "application/json", "Origin": SITE_ORIGIN}
    load = load or Load()
    task = progress.add_task("posting", total=total)
    due_requests: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()

    async def worker(post: Post) -> None:
        while (item := await due_requests.get()) is not None:
            i, due = item
            if time.perf_counter() - due > QUEUED_S:
                load.queued += 1
            try:
                status, answer = await post(bodies[order[i]])
            except Exception as exc:  # a connection error or a timeout: counted, the run goes on
                load.errors[type(exc).__name__] += 1
                continue
            finally:
                progress.advance(task)
            answered = time.perf_counter()
            took = answered - due
            if status == 202:
                basket = json.loads(answer)["basket_id"]
                load.accepted[basket] = took
                load.accepted_at[basket] = answered
                load.latencies.append(took)
            else:
                load.errors[str(status)] += 1

    async with CLIENTS[client](url, headers, connections) as posters:
        workers = [asyncio.create_task(worker(post)) for post in posters]
        load.started = time.perf_counter()
        for i in range(total):
            due = load.started + i / rate
            wait = due - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            due_requests.put_nowait((i, due))
            load.sent += 1
        load.last_sent = time.perf_counter()
        for _ in workers:
            due_requests.put_nowait(None)
        await asyncio.gather(*workers)
        load.finished = time.perf_counter()
    return load


async def on_topic(bootstrap: str, wanted: set[str], timeout_s: float, progress: Progress) -> Counter[str]:
    """How many times each wanted basket id is on the method-browsed topic (from its beginning)."""
    seen: Counter[str] = Counter()
    task = progress.add_task("reading the topic", total=len(wanted))
    consumer = AIOKafkaConsumer(
        Topic.METHOD_BROWSED.topic_name, bootstrap_servers=bootstrap, group_id=None,
        auto_offset_reset="earliest", enable_auto_commit=False, fetch_max_bytes=50 * 1024 * 1024,
    )  # fmt: skip
    await consumer.start()
    checked = False
    try:
        deadline = time.monotonic() + timeout_s
        while len(seen.keys() & wanted) < len(wanted) and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500, max_records=10_000)).values():
                for record in records:
                    basket = (record.key or b"").decode()
                    if basket not in wanted:
                        continue
                    if not checked:  # the event is what the contract says it is
                        data = decode(record.value, Topic.METHOD_BROWSED).data
                        assert isinstance(data, MethodBrowsed) and data.channel == Channel.upstream
                        assert data.site == SITE_ID and data.basket_id == basket, data
                        checked = True
                    if not seen[basket]:
                        progress.advance(task)
                    seen[basket] += 1
    finally:
        await consumer.stop()
    return seen


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else float("nan")


# --- browse load with repeats (--zipf) -----------------------------------------------------------

DATA = Path(os.environ.get("KITTING_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
METHOD_TYPES = re.compile(r'"@type"\s*:\s*(\[[^\]]*)?"(Recipe|HowTo)"')
LOWER = "translate(@class, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
MARKED = " | ".join(
    [
        "//*[@itemprop='recipeIngredient' or @itemprop='ingredients' or @itemprop='supply'"
        " or @itemprop='tool' or @itemprop='recipeYield' or @itemprop='yield']",
        *(f"//{tag}[contains({LOWER}, 'ingredient')]" for tag in ("ul", "ol", "table")),
        *(f"//ul[contains({LOWER}, '{word}')]" for word in ("supplies", "materials", "tools")),
    ]
)
MAX_PART_CHARS = 100_000  # as the snippet: a larger element is a whole page section, not a list
LAG_PROMISE_S = 2.0


def snippet_html(raw: str) -> str | None:
    """What the snippet (agents/http/static/snippet.js) posts for a page, approximated with lxml: its
    title, canonical link, h1, the method's JSON-LD and its ingredient-marked elements; None when the
    page has none of them (the snippet then lets Kitting fetch the page, which this bench cannot)."""
    doc = lxml.html.fromstring(raw)
    head = [
        f'<script type="application/ld+json">{script.text_content()}</script>'
        for script in doc.xpath("//script[@type='application/ld+json']")
        if METHOD_TYPES.search(script.text_content() or "")
    ]
    kept: list[Any] = []
    parts: list[str] = []
    for element in doc.xpath(MARKED):
        if any(ancestor in kept for ancestor in element.iterancestors()) or element in kept:
            continue
        text = lxml.html.tostring(element, encoding="unicode")
        if len(text) <= MAX_PART_CHARS:
            kept.append(element)
            parts.append(text)
    if not head and not parts:
        return None
    canonical = doc.xpath("//link[@rel='canonical']/@href")
    if canonical and str(canonical[0]).startswith("http"):
        head.append(f'<link rel="canonical" href="{html_lib.escape(str(canonical[0]))}">')
    title = html_lib.escape((doc.findtext(".//title") or "").strip())
    h1 = doc.xpath("//h1")
    heading = f"<h1>{html_lib.escape(h1[0].text_content().strip())}</h1>" if h1 else ""
    body = heading + "".join(parts)
    return f"<html><head><title>{title}</title>{''.join(head)}</head><body>{body}</body></html>"


def zipf_pages(count: int) -> list[bytes]:
    """`count` distinct browse bodies: the public pages as the snippet posts them, page i being base page
    i mod (number of bases) at its own address, with its own title."""
    bases: list[tuple[str, str]] = []
    for path in sorted((DATA / "pages").glob("*/*.testhtml")):
        raw = path.read_text(encoding="utf-8", errors="replace")
        html = snippet_html(raw)
        if html is not None and len(html.encode()) < MAX_EVENT_BYTES // 2:
            bases.append((f"{path.parent.name}-{path.stem}", html))
    if not bases:
        raise SystemExit(f"no recipe pages under {DATA / 'pages'}: set KITTING_SHARED_DATA to ../shared/data")
    bodies = []
    for i in range(count):
        name, html = bases[i % len(bases)]
        title = f"Recipe {i} ({name})"
        varied = html.replace("<title>", f"<title>{html_lib.escape(title)} ", 1)
        url = f"{SITE_ORIGIN}/recipes/{name}/{i}"
        bodies.append(json.dumps({"url": url, "title": title, "html": varied}).encode())
    return bodies


def zipf_order(pages: int, views: int, exponent: float, seed: int = 7) -> list[int]:
    """Which page each view goes to: page ranks with weight rank^-exponent, ranks spread over the pages."""
    rng = random.Random(seed)
    by_rank = list(range(pages))
    rng.shuffle(by_rank)
    cumulative, total = [], 0.0
    for rank in range(1, pages + 1):
        total += rank**-exponent
        cumulative.append(total)
    return [by_rank[rank] for rank in rng.choices(range(pages), cum_weights=cumulative, k=views)]


@dataclass
class Extracted:
    """When each basket's components-extracted was seen, and how many were seen while posting."""

    seen_at: dict[str, float] = field(default_factory=dict)
    backlog: list[int] = field(default_factory=list)  # accepted, not yet extracted, once a second


async def watch_extracted(bootstrap: str, extracted: Extracted, stop: asyncio.Event) -> None:
    consumer = AIOKafkaConsumer(
        Topic.COMPONENTS_EXTRACTED.topic_name, bootstrap_servers=bootstrap, group_id=None,
        auto_offset_reset="earliest", enable_auto_commit=False, fetch_max_bytes=50 * 1024 * 1024,
    )  # fmt: skip
    await consumer.start()
    try:
        while not stop.is_set():
            for records in (await consumer.getmany(timeout_ms=100, max_records=10_000)).values():
                now = time.perf_counter()
                for record in records:
                    extracted.seen_at.setdefault((record.key or b"").decode(), now)
    finally:
        await consumer.stop()


async def zipf_load(
    url: str,
    key: str,
    bootstrap: str,
    args: argparse.Namespace,
    progress: Progress,
    cpu: Callable[[], dict[str, float]],
) -> tuple[Load, Extracted, dict[str, float], list[int]]:
    """Post the Zipf views while watching components-extracted; then wait for the last view's extraction
    (or the topic timeout). Returns the load, what was extracted when, the CPU used, and the order."""
    bodies = zipf_pages(args.pages + 1)  # the last one warms the worker up, outside the count
    total = round(args.rate * args.seconds)
    order = zipf_order(args.pages, total, args.zipf_s)
    extracted, stop = Extracted(), asyncio.Event()
    watcher = asyncio.create_task(watch_extracted(bootstrap, extracted, stop))
    headers = {"X-Kitting-Site-Key": key, "Content-Type": "application/json", "Origin": SITE_ORIGIN}
    async with aiohttp.ClientSession(url, headers=headers) as session:  # the worker ready: one view through
        async with session.post(BROWSE_PATH, data=bodies[-1]) as answer:
            warm = json.loads(await answer.read())["basket_id"]
    deadline = time.monotonic() + 180
    while warm not in extracted.seen_at:
        if time.monotonic() > deadline or watcher.done():
            raise SystemExit("the worker did not extract a first view within 180 s (see its log)")
        await asyncio.sleep(0.2)
    console.print("[bench] the worker extracted a first view; posting", highlight=False)
    before = cpu()

    async def sample(load: Load) -> None:
        while not stop.is_set():
            await asyncio.sleep(1.0)
            extracted.backlog.append(sum(1 for b in load.accepted if b not in extracted.seen_at))

    load = Load()
    sampler = asyncio.create_task(sample(load))
    posted = await generate(
        url, key, args.rate, args.seconds, args.connections, progress, args.client, bodies, order, load
    )
    task = progress.add_task("extracted", total=len(posted.accepted))
    deadline = time.monotonic() + args.topic_timeout
    while time.monotonic() < deadline:
        done = sum(1 for b in posted.accepted if b in extracted.seen_at)
        progress.update(task, completed=done)
        if done == len(posted.accepted):
            break
        await asyncio.sleep(0.05)
    used = {name: after - before.get(name, 0.0) for name, after in cpu().items()}
    stop.set()
    await asyncio.gather(watcher, sampler)
    return posted, extracted, used, order


def run_zipf(args: argparse.Namespace) -> dict[str, Any]:
    with collector_running(args, "zipf") as (ran, tmp):
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
        worker_env = {
            **env, "KITTING_KAFKA_BOOTSTRAP_SERVERS": ran.bootstrap, "KITTING_DATABASE_URL": ran.database_url,
            "KITTING_VAULT_KEY": VAULT_KEY, "KITTING_APP_ID": f"kitting-bench-zipf-{os.getpid()}",
            "KITTING_VAR_DIR": f"{tmp}/var", **({"KITTING_TOPIC_PARTITIONS": "1"} if ran.embedded else {}),
        }  # fmt: skip
        worker = spawn_worker(worker_env, tmp / "worker.log")
        try:
            console.print(f"[bench] worker pid {worker.pid}", highlight=False)
            pids = {**ran.pids, "worker": worker.pid}

            def cpu() -> dict[str, float]:
                used = {name: tree_cpu_s(pid) for name, pid in pids.items()}
                return {**used, "generator": time.process_time(), "machine": machine_busy_seconds()}

            with progress_bars() as progress:
                load, extracted, used, order = asyncio.run(
                    zipf_load(ran.url, ran.key, ran.bootstrap, args, progress, cpu)
                )
            database = Database(ran.database_url)
            with database.session() as session:
                pages_read = session.scalar(select(func.count()).select_from(ReadPage)) or 0
            database.engine.dispose()
        finally:
            stop_process(worker)
    return zipf_figures(args, load, extracted, used, order, pages_read)


def zipf_figures(
    args: argparse.Namespace, load: Load, extracted: Extracted, used: dict[str, float], order: list[int],
    pages_read: int,
) -> dict[str, Any]:  # fmt: skip
    views = len(load.accepted)
    after = [extracted.seen_at[b] - at for b, at in load.accepted_at.items() if b in extracted.seen_at]
    last = max((extracted.seen_at[b] for b in load.accepted if b in extracted.seen_at), default=load.finished)
    window = load.finished - load.started
    measured = max(last, load.finished) - load.started  # the CPU is measured until the last extraction
    ours = sum(v for k, v in used.items() if k != "machine")
    return {
        "target_per_s": args.rate,
        "seconds": args.seconds,
        "pages": args.pages,
        "zipf_s": args.zipf_s,
        "views": views,
        "errors": dict(load.errors),
        "achieved_per_s": round(views / window, 1) if window > 0 else 0.0,
        "distinct_pages_viewed": len(set(order)),
        "pages_read": pages_read,  # the worker's shared store of read pages (plus the warm-up page)
        "backlog_at_end": sum(1 for b in load.accepted if extracted.seen_at.get(b, math.inf) > load.finished),
        "backlog_max": max(extracted.backlog, default=0),
        "lag_at_end_s": round(max(0.0, last - load.finished), 2),
        "never_extracted": sum(1 for b in load.accepted if b not in extracted.seen_at),
        "view_to_extracted_p50_ms": round(statistics.median(after) * 1000, 1) if after else None,
        "view_to_extracted_p99_ms": round(percentile(after, 0.99) * 1000, 1) if after else None,
        "cpu_ms_per_view": {k: round(1000 * v / max(views, 1), 3) for k, v in used.items() if k != "machine"},
        "cpu_percent": {
            **{k: round(100 * v / measured, 1) for k, v in used.items()},
            "others": round(100 * max(0.0, used.get("machine", 0.0) - ours) / measured, 1),
        },
        "cores": os.cpu_count(),
    }


# --- the run --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Running:
    """The broker, the database with this run's site, and the collector serving on `url`."""

    bootstrap: str
    embedded: bool
    database_url: str
    key: str
    url: str
    pids: dict[str, int]  # collector, and broker when embedded


@contextlib.contextmanager
def collector_running(args: argparse.Namespace, name: str) -> Iterator[tuple[Running, Path]]:
    """The embedded broker (or KITTING_KAFKA_BOOTSTRAP_SERVERS), the database (a SQLite file of the run
    or --database-url, the run's site removed after) and the collector in its own process."""
    configured = os.environ.get("KITTING_KAFKA_BOOTSTRAP_SERVERS")
    with tempfile.TemporaryDirectory(prefix=f"kitting-bench-{name}-") as folder:
        tmp = Path(folder)
        database_url = args.database_url or f"sqlite:///{tmp}/{name}.db"
        broker = None if configured else EmbeddedBroker(log_path=tmp / "broker.log").start()
        bootstrap = configured or (broker.bootstrap_servers if broker else "")
        server = None
        try:
            asyncio.run(ensure_topics(bootstrap, None if configured else 1))
            upgrade(database_url)
            database = Database(database_url)
            with database.session() as session:  # a site of this run's own, far above the target
                key = create_site(
                    session, SITE_ID, "Bench recipes", [SITE_ORIGIN], rate_per_s=args.rate * 10, burst=10_000
                )
            database.engine.dispose()
            port = free_port_above(20000)
            url = f"http://127.0.0.1:{port}"
            log_path = tmp / "collector.log"
            command = [
                sys.executable, str(Path(__file__).resolve()), "--serve", "--port", str(port),
                "--database-url", database_url, "--bootstrap", bootstrap,
            ]  # fmt: skip
            env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
            server = spawn(command, env, log_path)
            console.print(f"[bench] broker {bootstrap}; collector pid {server.pid} on {url}", highlight=False)
            wait_ready(url, server, log_path)
            pids = {"collector": server.pid}
            if broker and broker.process:
                pids["broker"] = broker.process.pid
            yield Running(bootstrap, broker is not None, database_url, key, url, pids), tmp
        finally:
            stop_process(server)
            if broker:
                broker.stop()
            if args.database_url is not None:
                forget_site(args.database_url)


def progress_bars() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=not console.is_terminal,
    )  # fmt: skip


def run(args: argparse.Namespace) -> dict[str, Any]:
    with collector_running(args, "collector") as (ran, _), progress_bars() as progress:
        cpu_before = {name: cpu_seconds(pid) for name, pid in ran.pids.items()}
        cpu_before |= {"generator": time.process_time(), "machine": machine_busy_seconds()}
        load = asyncio.run(
            generate(ran.url, ran.key, args.rate, args.seconds, args.connections, progress, args.client)
        )
        cpu_used = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in ran.pids.items()}
        cpu_used |= {
            "generator": time.process_time() - cpu_before["generator"],
            "machine": machine_busy_seconds() - cpu_before["machine"],
        }
        # what the rest of the machine took meanwhile: a busy machine explains a low rate
        ours = sum(used for name, used in cpu_used.items() if name != "machine")
        cpu_used["others"] = max(0.0, cpu_used["machine"] - ours)
        seen = asyncio.run(on_topic(ran.bootstrap, set(load.accepted), args.topic_timeout, progress))
    return figures(args, load, seen, cpu_used, "embedded" if ran.embedded else "configured")


def forget_site(database_url: str) -> None:
    database = Database(database_url)
    try:
        with database.session() as session:
            session.execute(delete(UpstreamSite).where(UpstreamSite.site_id == SITE_ID))
    finally:
        database.engine.dispose()


def figures(
    args: argparse.Namespace, load: Load, seen: Counter[str], cpu: dict[str, float], broker: str
) -> dict[str, Any]:
    window = load.finished - load.started
    accepted = len(load.accepted)
    lost = sum(1 for basket in load.accepted if not seen[basket])
    return {
        "target_per_s": args.rate,
        "seconds": args.seconds,
        "connections": args.connections,
        "client": args.client,
        "sent": load.sent,
        "accepted": accepted,
        "errors": dict(load.errors),
        "offered_per_s": round(load.sent / max(load.last_sent - load.started, 1e-9), 1),
        "achieved_per_s": round(accepted / window, 1) if window > 0 else 0.0,
        "p50_ms": round(statistics.median(load.latencies) * 1000, 1) if load.latencies else None,
        "p99_ms": round(percentile(load.latencies, 0.99) * 1000, 1) if load.latencies else None,
        "max_ms": round(max(load.latencies) * 1000, 1) if load.latencies else None,
        "queued_over_10ms": load.queued,
        "on_topic": sum(1 for basket in load.accepted if seen[basket]),
        "duplicates": sum(1 for basket in load.accepted if seen[basket] > 1),
        "lost": lost,
        "cpu_percent": {name: round(100 * used / window, 1) for name, used in cpu.items()},
        "cores": os.cpu_count(),
        "broker": broker,
    }


def print_table(result: dict[str, Any]) -> None:
    table = Table("figure", "value", title="Collector benchmark")
    for name, value in result.items():
        shown = ", ".join(f"{k} {v}" for k, v in value.items()) if isinstance(value, dict) else str(value)
        table.add_row(name, shown or "-")
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=1000.0, help="Events per second to post")
    parser.add_argument("--seconds", type=float, default=10.0, help="How long to post")
    parser.add_argument("--connections", type=int, default=64, help="Keep-alive connections in the pool")
    parser.add_argument(
        "--client", choices=sorted(CLIENTS), default="aiohttp", help="The load generator's HTTP client"
    )
    parser.add_argument("--topic-timeout", type=float, default=60.0, help="Longest wait for the topic")
    parser.add_argument("--database-url", default=None, help="Default: a SQLite file of the run")
    parser.add_argument("--json", action="store_true", help="Print the figures as one JSON line")
    parser.add_argument(
        "--zipf", action="store_true", help="Views with repeats, through a worker to components-extracted"
    )
    parser.add_argument("--pages", type=int, default=5000, help="--zipf: distinct pages")
    parser.add_argument("--zipf-s", type=float, default=1.1, help="--zipf: the popularity exponent")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # the collector process
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--bootstrap", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.database_url, args.bootstrap, args.port)
        return
    if args.zipf:
        zipf_main(args)
        return
    result = run(args)
    failures = []
    if result["lost"]:
        failures.append(f"{result['lost']} accepted events are not on the topic")
    if result["achieved_per_s"] < 0.95 * args.rate:
        failures.append(f"{result['achieved_per_s']}/s accepted, under 95% of {args.rate:g}/s")
    conclude(args, result, failures, f"{result['achieved_per_s']}/s accepted, none lost")


def zipf_main(args: argparse.Namespace) -> None:
    result = run_zipf(args)
    failures = []
    if result["never_extracted"]:
        failures.append(f"{result['never_extracted']} accepted views never reached components-extracted")
    behind = result["lag_at_end_s"]
    if behind >= LAG_PROMISE_S:
        failures.append(f"the extractor was {behind} s behind at the end (promise: < {LAG_PROMISE_S:g} s)")
    if result["achieved_per_s"] < 0.95 * args.rate:
        failures.append(f"{result['achieved_per_s']}/s accepted, under 95% of {args.rate:g}/s")
    conclude(args, result, failures, f"{result['achieved_per_s']}/s, {behind} s behind at the end")


def conclude(args: argparse.Namespace, result: dict[str, Any], failures: list[str], ok: str) -> None:
    """The figures (a table, and one JSON line with --json), then each failure (exit 1) or OK."""
    print_table(result)
    if args.json:
        print(json.dumps(result))
    for failure in failures:
        console.print(f"[red]FAIL[/red] {failure}", highlight=False)
    if failures:
        raise SystemExit(1)
    console.print(f"[green]OK[/green] {ok}", highlight=False)


if __name__ == "__main__":
    main()

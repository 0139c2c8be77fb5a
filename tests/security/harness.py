"""What the attack probes share: a running `kitting up` (its address, folder, broker and operator token),
views of its bus and its database to show that a refused request published and stored nothing, and
raw-socket clients for what httpx will not send (a body that never ends, a missing Host, a stream kept
open from a chosen loopback address)."""

from __future__ import annotations

import asyncio
import json
import select
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias
from urllib.parse import urlsplit

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import ConsumerRecord, TopicPartition

from streams.broker import free_port
from streams.topics import Topic

Record: TypeAlias = ConsumerRecord[bytes, bytes]
Mark: TypeAlias = dict[TopicPartition, int]
TOPIC_NAMES = frozenset(topic.topic_name for topic in Topic)
PERSON = {"name": "Probe Person", "street_address": "1 Probe Road, Testtown", "phone": "+44 20 7946 0550"}
WEB = httpx.Client(timeout=30)  # one client for all plain requests: a new one costs ~50 ms (its TLS context)
TINY_PAGE = "<html><head><title>Tea</title></head><body><h1>Tea</h1><ul><li>1 tea bag</li></ul></body></html>"


def high_free_port() -> int:
    """A free loopback port above 20000, chosen now."""
    while True:
        port = free_port()
        if port > 20000:
            return port


def wait_for(what: str, check: Callable[[], Any], timeout_s: float = 60.0, every_s: float = 0.3) -> Any:
    """`check()`'s first truthy answer; fails with `what` when none came within `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = check()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout_s:.0f} s (last answer: {answer!r})")
        time.sleep(every_s)


@dataclass(frozen=True)
class Basket:
    basket_id: str
    token: str


# --- the bus ---------------------------------------------------------------------------------------


async def _end_offsets(bootstrap: str) -> Mark:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        names = sorted(TOPIC_NAMES & await consumer.topics())
        parts = [TopicPartition(n, p) for n in names for p in sorted(consumer.partitions_for_topic(n) or ())]
        return dict(await consumer.end_offsets(parts))
    finally:
        await consumer.stop()


async def _records_since(
    bootstrap: str, mark: Mark, until: Callable[[list[Record]], bool] | None, timeout_s: float
) -> list[Record]:
    """The records after `mark`: up to the end as it is now, or (with `until`) until `until` holds."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest",
        fetch_max_wait_ms=50,
    )  # fmt: skip
    await consumer.start()
    records: list[Record] = []
    try:
        parts = list(mark)
        consumer.assign(parts)
        for part, offset in mark.items():
            consumer.seek(part, offset)
        ends = await consumer.end_offsets(parts)
        if until is None and all(ends[part] <= offset for part, offset in mark.items()):
            return records  # nothing was written since the mark
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                records.extend(batch)
            if until is not None:
                if until(records):
                    return records
                continue
            behind = [part for part in parts if await consumer.position(part) < ends[part]]
            if not behind:
                return records
        if until is not None:
            raise AssertionError(f"the bus did not show what was awaited within {timeout_s:.0f} s")
        raise AssertionError(f"the bus could not be read to its end within {timeout_s:.0f} s")
    finally:
        await consumer.stop()


async def _produce(bootstrap: str, sends: list[tuple[str, bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for topic, key, value in sends:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


def on(records: Iterable[Record], topic: Topic) -> list[Record]:
    return [r for r in records if r.topic == topic.topic_name]


def document(record: Record) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(record.value or b"{}")
    return found


def header(record: Record, name: str) -> str | None:
    for key, value in record.headers:
        if key == name:
            return value.decode()
    return None


# --- a running `kitting up` ------------------------------------------------------------------------


@dataclass
class Kitting:
    base: str
    var: Path
    bootstrap: str
    canary: Basket | None = None  # a basket started at start-up, read to show the service still serves
    _token: str | None = field(default=None, repr=False)

    @property
    def port(self) -> int:
        port = urlsplit(self.base).port
        assert port is not None
        return port

    @property
    def admin_token(self) -> str:
        if self._token is None:
            self._token = (self.var / "admin.token").read_text().strip()
        return self._token

    @property
    def operator(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token}"}

    @property
    def spool(self) -> Path:
        return self.var / "fax-spool"

    def url(self, path: str) -> str:
        return self.base + path

    def client(self, source: str = "127.0.0.1") -> httpx.Client:
        """An HTTP client whose requests come from `source` (any 127.x.y.z: a client of its own)."""
        transport = httpx.HTTPTransport(local_address=source)
        return httpx.Client(base_url=self.base, transport=transport, timeout=30)

    # the bus

    def mark(self) -> Mark:
        """Where every topic ends now."""
        return asyncio.run(_end_offsets(self.bootstrap))

    def since(
        self, mark: Mark, until: Callable[[list[Record]], bool] | None = None, timeout_s: float = 30.0
    ) -> list[Record]:
        return asyncio.run(_records_since(self.bootstrap, mark, until, timeout_s))

    def produce(self, sends: list[tuple[str, bytes, bytes]]) -> None:
        asyncio.run(_produce(self.bootstrap, sends))

    def assert_nothing_published(self, mark: Mark, *markers: str) -> None:
        """No job started since `mark`, and no record of any topic carries one of `markers`."""
        records = self.since(mark)
        started = on(records, Topic.METHOD_BROWSED)
        assert started == [], f"published: {[document(r).get('data', {}).get('url') for r in started]}"
        for marker in markers:
            carrying = [r.topic for r in records if marker.encode() in (r.value or b"")]
            assert carrying == [], f"{marker!r} was published on {carrying}"

    # the database

    def stored(self) -> dict[str, Any]:
        """What a refused request must not change: the people kept, the registry, the sites."""
        with closing(sqlite3.connect(self.var / "kitting.db", timeout=30)) as db:
            return {
                "customers": db.execute("SELECT count(*) FROM vault_customers").fetchone()[0],
                "providers": db.execute(
                    "SELECT provider_id, name, kind, address, signing_key, public_key, secret_generation, "
                    "enabled FROM providers ORDER BY provider_id"
                ).fetchall(),
                "sites": db.execute(
                    "SELECT site_id, key_hash, origins, enabled FROM upstream_sites ORDER BY site_id"
                ).fetchall(),
            }

    # the HTTP service

    def add_customer(self) -> tuple[str, str]:
        """A person's (customer_ref, customer_token), stored by the operator."""
        answer = WEB.post(self.url("/v1/customers"), json=PERSON, headers=self.operator)
        assert answer.status_code == 201, answer.text
        return answer.json()["customer_ref"], answer.json()["customer_token"]

    def text_job(self, text: str = "2 onions\n1 wooden spoon") -> Basket:
        """A job through the text channel (operator): starts a basket without a start of the client's."""
        answer = WEB.post(
            self.url("/v1/channels/text"), content=text.encode(), timeout=30,
            headers={**self.operator, "content-type": "text/plain"},
        )  # fmt: skip
        assert answer.status_code == 202, answer.text
        return Basket(answer.json()["basket_id"], answer.json()["token"])

    def basket(self, basket: Basket) -> dict[str, Any] | None:
        """The basket as its token reads it; None until the worker has stored it."""
        answer = WEB.get(
            self.url(f"/v1/baskets/{basket.basket_id}"), params={"token": basket.token}, timeout=30
        )
        if answer.status_code == 404:
            return None
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    def settled(self, basket: Basket, timeout_s: float = 60.0) -> dict[str, Any]:
        """The basket once the worker has read its job (any status but none)."""
        found: dict[str, Any] = wait_for(
            f"basket {basket.basket_id} stored", lambda: self.basket(basket), timeout_s
        )
        return found

    def assert_still_serving(self) -> None:
        """Health answers, and a legitimate read of a basket with its token still works."""
        health = WEB.get(self.url("/health"), timeout=30)
        assert health.status_code == 200 and health.json() == {"status": "ok"}
        if self.canary is not None:
            view = self.basket(self.canary)
            assert view is not None and view["basket_id"] == self.canary.basket_id


# --- raw HTTP --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawAnswer:
    status: int
    headers: dict[str, str]
    body: bytes
    sent: int  # body bytes sent before the answer came

    def json(self) -> Any:
        return json.loads(self.body)


def _read_head(sock: socket.socket, already: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    data = bytearray(already)
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"the connection closed before an answer: {bytes(data)[:200]!r}")
        data.extend(chunk)
    head, _, rest = bytes(data).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, rest


def _read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    status, headers, body = _read_head(sock)
    length = int(headers.get("content-length", "-1"))
    data = bytearray(body)
    while length < 0 or len(data) < length:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data.extend(chunk)
    return status, headers, bytes(data)


def connect(kitting: Kitting, source: str = "127.0.0.1", timeout_s: float = 30.0) -> socket.socket:
    return socket.create_connection(
        ("127.0.0.1", kitting.port), timeout=timeout_s, source_address=(source, 0)
    )


def raw_request(kitting: Kitting, request: bytes, source: str = "127.0.0.1") -> RawAnswer:
    """Send `request` as it is (head and body) and read the answer."""
    with closing(connect(kitting, source)) as sock:
        sock.sendall(request)
        status, headers, body = _read_answer(sock)
    return RawAnswer(status, headers, body, 0)


def endless_upload(
    kitting: Kitting, path: str, total: int, headers: dict[str, str], chunked: bool
) -> RawAnswer:
    """POST `total` bytes of JSON-ish filler to `path`, announced in Content-Length or chunked, and stop
    sending as soon as the service answers (or drops the connection): how far the body got before the
    answer is in `sent`."""
    head = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{kitting.port}", "Connection: close"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}")
    piece = b" " * 65536
    frame = f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece
    sent = 0
    with closing(connect(kitting)) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        sock.setblocking(False)
        pending = memoryview(b"")
        while sent < total or pending:
            readable, writable, _ = select.select([sock], [sock], [], 30)
            if readable:
                break
            if not writable:
                raise AssertionError(f"{path}: the service neither read the body nor answered in 30 s")
            if not pending:
                pending, sent = memoryview(frame), sent + len(piece)
            try:
                pending = pending[sock.send(pending) :]
            except BlockingIOError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
        sock.setblocking(True)
        if sent >= total and not pending and chunked:
            sock.sendall(b"0\r\n\r\n")
        status, answer_headers, body = _read_answer(sock)
    return RawAnswer(status, answer_headers, body, sent)


class LiveStream:
    """A terminal stream held open from one loopback address (a client of its own)."""

    def __init__(
        self, kitting: Kitting, basket: Basket, source: str, headers: dict[str, str] | None = None
    ) -> None:
        self.sock = connect(kitting, source, timeout_s=15)
        path = f"/v1/terminal/baskets/{basket.basket_id}/stream?token={basket.token}"
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{kitting.port}", "Accept: text/event-stream"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        request = "\r\n".join(lines) + "\r\n\r\n"
        self.sock.sendall(request.encode())
        self.status, self.headers, first = _read_head(self.sock)
        self.body = first
        if self.status != 200:
            self.body += self._rest()
            self.close()

    def _rest(self) -> bytes:
        data = bytearray()
        length = int(self.headers.get("content-length", "0"))
        while len(data) + len(self.body) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            data.extend(chunk)
        return bytes(data)

    def detail(self) -> str:
        found: str = json.loads(self.body)["detail"]
        return found

    def close(self) -> None:
        self.sock.close()


class Listener:
    """A TCP listener on 127.0.0.1 that notes every connection and answers nothing: where a page or a
    webhook at a private address would be reached, if Kitting ever called it."""

    def __init__(self) -> None:
        self.port = high_free_port()
        self.connections: list[tuple[str, int]] = []
        self._sock = socket.create_server(("127.0.0.1", self.port))
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(peer)
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def sources(first: int, count: int) -> Iterator[str]:
    """Loopback addresses 127.0.0.<first>…: each is a client of its own to the service."""
    for n in range(first, first + count):
        yield f"127.0.0.{n}"

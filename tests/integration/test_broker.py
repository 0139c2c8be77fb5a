import asyncio
import os
import socket
import threading

import pytest

from streams.broker import (
    BrokerError,
    EmbeddedBroker,
    PartitionMismatch,
    api_versions,
    ensure_topics,
    free_port,
)

PRODUCE, FETCH, METADATA, API_VERSIONS = 0, 1, 3, 18


def test_embedded_broker_answers_api_versions_and_stops_by_pid() -> None:
    broker = EmbeddedBroker().start()
    assert broker.process is not None
    pid, port = broker.process.pid, broker.port
    try:
        assert port > 20000
        keys = api_versions("127.0.0.1", port)
        assert {PRODUCE, FETCH, METADATA, API_VERSIONS} <= set(keys)
    finally:
        broker.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_api_versions_refuses_a_non_kafka_peer() -> None:
    port = free_port()
    server = socket.socket()
    server.bind(("127.0.0.1", port))
    server.listen(1)
    try:
        with pytest.raises(BrokerError):

            def answer_garbage() -> None:
                conn, _ = server.accept()
                conn.recv(100)
                conn.sendall(b"\x00\x00\x00\x0aHTTP/1.1 4")
                conn.close()

            threading.Thread(target=answer_garbage, daemon=True).start()
            api_versions("127.0.0.1", port)
    finally:
        server.close()


def test_a_broker_that_cannot_bind_fails_with_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        broker = EmbeddedBroker(port=port, startup_timeout_s=5)
        with pytest.raises(BrokerError, match=r"exited|no ApiVersions answer"):
            broker.start()
        assert broker.process is None


def test_topics_with_other_partition_counts_stop_a_worker_with_the_fix(bootstrap: str) -> None:
    """A worker declares its tables with the partitions it expects: over topics made with another count
    its table writes and its changelog would not line up, so it refuses to start and says why."""
    asyncio.run(ensure_topics(bootstrap, None if os.environ.get("KITTING_KAFKA_BOOTSTRAP_SERVERS") else 1))
    with pytest.raises(PartitionMismatch) as refused:
        asyncio.run(ensure_topics(bootstrap, 3))
    message = str(refused.value)
    assert "method-browsed has " in message and "(expected 3)" in message
    assert "KITTING_TOPIC_PARTITIONS" in message

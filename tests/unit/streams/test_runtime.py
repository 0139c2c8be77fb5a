"""What the worker `kitting up` and `kitting demo` start is told: on the embedded broker, a short fetch
wait (it holds every fetch for the whole wait) unless one is configured; on a cluster, the setting."""

from __future__ import annotations

import pytest

from streams.runtime import EMBEDDED_FETCH_MAX_WAIT_MS, child_env
from streams.settings import Settings


def test_the_embedded_brokers_workers_wait_briefly_on_each_fetch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KITTING_CONSUMER_FETCH_MAX_WAIT_MS", raising=False)
    monkeypatch.delenv("KITTING_KAFKA_BOOTSTRAP_SERVERS", raising=False)
    embedded = child_env(Settings(), "127.0.0.1:29092")
    assert embedded["KITTING_CONSUMER_FETCH_MAX_WAIT_MS"] == str(EMBEDDED_FETCH_MAX_WAIT_MS) == "20"
    chosen = child_env(Settings(consumer_fetch_max_wait_ms=50), "127.0.0.1:29092")
    assert "KITTING_CONSUMER_FETCH_MAX_WAIT_MS" not in chosen  # the operator's own, from the environment
    cluster = child_env(Settings(kafka_bootstrap_servers="k1:9092"), "k1:9092")
    assert "KITTING_CONSUMER_FETCH_MAX_WAIT_MS" not in cluster  # a Kafka broker answers as data arrives

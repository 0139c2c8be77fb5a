"""A plain Kafka client (kcat) produces a method-browsed event as README shows; the worker answers
with a components-extracted event that kcat reads back."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from schemas.events import MethodBrowsed
from schemas.examples import example_json
from streams.topics import Topic
from tests.integration.conftest import WorkerFactory

# Debian's kcat, with the newer librdkafka the embedded broker needs (see tools/kcat)
KCAT = str(Path(__file__).resolve().parents[2] / "tools" / "kcat") if shutil.which("kcat") else None
pytestmark = pytest.mark.skipif(
    KCAT is None, reason="kcat is not installed (make install adds Debian's kcat)"
)


def test_kcat_in_kcat_out(bootstrap: str, start_worker: WorkerFactory) -> None:
    assert KCAT
    start_worker()
    event = example_json(MethodBrowsed)
    event["id"], event["subject"] = "kcat-1", "kcat-basket"
    event["data"]["basket_id"] = "kcat-basket"  # type: ignore[index]
    line = "kcat-basket|" + json.dumps(event) + "\n"
    produce = [KCAT, "-P", "-b", bootstrap, "-t", Topic.METHOD_BROWSED.topic_name, "-K", "|"]
    subprocess.run(produce, input=line.encode(), check=True, timeout=30)
    deadline = time.monotonic() + 90
    found: list[dict[str, object]] = []
    while not found and time.monotonic() < deadline:
        topic = Topic.COMPONENTS_EXTRACTED.topic_name
        consume = [KCAT, "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%k\t%s\n"]
        out = subprocess.run(consume, capture_output=True, check=True, timeout=30)
        for row in out.stdout.decode().splitlines():
            key, _, value = row.partition("\t")
            if key == "kcat-basket":
                found.append(json.loads(value))
        time.sleep(1)
    assert found, "no components-extracted event for the kcat basket"
    extracted = found[0]
    assert extracted["type"] == "dev.kitting.components.extracted.v1"
    assert [c["name"] for c in extracted["data"]["components"]] == ["plain flour", "eggs"]  # type: ignore[index]

"""One real `kitting up` per test module (a module may set KITTING_SETTINGS for it), with its broker on
a port chosen here so the probes can read and write its topics."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.running import kitting_up
from tests.security.harness import WEB, Kitting, high_free_port, wait_for


@pytest.fixture(scope="module")
def kitting(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kitting]:
    settings: dict[str, str] = getattr(request.module, "KITTING_SETTINGS", {})
    folder = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    broker = high_free_port()
    with kitting_up(folder, KITTING_EMBEDDED_BROKER_PORT=str(broker), **settings) as base:
        running = Kitting(base=base, var=folder / "var", bootstrap=f"127.0.0.1:{broker}")
        # the worker is up once it has read a job: a basket the probes read to show the service serves
        running.canary = running.text_job()
        running.settled(running.canary, timeout_s=90)
        wait_for(  # the worker registered the reference providers (the registry snapshots count them)
            "reference providers registered",
            lambda: "ledger-pay" in {p["provider_id"] for p in WEB.get(running.url("/v1/providers")).json()},
        )
        yield running

"""The fetch wait: long while idle, short for a moment after records came or went (the embedded broker
holds every fetch for its whole wait, so each hop of a basket would wait it out)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

import streams.faust_transport
from streams.faust_transport import FaustApp


def test_a_busy_worker_fetches_with_the_short_wait_then_calms_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streams.faust_transport, "BUSY_WINDOW_S", 0.05)
    app = FaustApp("fetch-wait-test", autodiscover=False, web_enabled=False)
    app.fetch_max_wait_ms, app.fetch_busy_wait_ms = 100, 5
    fetcher = SimpleNamespace(_fetch_max_wait_ms=100)
    consumer = SimpleNamespace(_fetch_max_wait_ms=100, _fetcher=fetcher)
    app.consumers.append(consumer)

    async def drill() -> list[int]:
        seen = []
        app.busy()
        seen.append(fetcher._fetch_max_wait_ms)
        await asyncio.sleep(0.03)
        app.busy()  # still busy: the window starts again
        await asyncio.sleep(0.03)
        seen.append(fetcher._fetch_max_wait_ms)
        await asyncio.sleep(0.1)
        seen.append(fetcher._fetch_max_wait_ms)
        return seen

    assert asyncio.run(drill()) == [5, 5, 100]
    assert consumer._fetch_max_wait_ms == 100


def test_without_a_busy_wait_the_fetch_wait_never_changes() -> None:
    app = FaustApp("fetch-wait-test-2", autodiscover=False, web_enabled=False)
    app.fetch_max_wait_ms = 100  # a Kafka cluster: it answers a fetch as soon as data arrives
    consumer = SimpleNamespace(_fetch_max_wait_ms=100, _fetcher=SimpleNamespace(_fetch_max_wait_ms=100))
    app.consumers.append(consumer)

    async def drill() -> int:
        app.busy()
        return int(consumer._fetcher._fetch_max_wait_ms)

    assert asyncio.run(drill()) == 100


def test_a_loaded_worker_keeps_the_long_wait_and_takes_the_short_one_when_light_again() -> None:
    app = FaustApp("fetch-wait-test-3", autodiscover=False, web_enabled=False)
    app.fetch_max_wait_ms, app.fetch_busy_wait_ms = 100, 5
    fetcher = SimpleNamespace(_fetch_max_wait_ms=100)
    app.consumers.append(SimpleNamespace(_fetch_max_wait_ms=100, _fetcher=fetcher))
    queue: asyncio.Queue[int] = asyncio.Queue()
    app.queues.append(queue)

    async def drill() -> list[int]:
        seen = []
        app.busy()  # a lone basket's hop: the next record is probably its own next event
        seen.append(fetcher._fetch_max_wait_ms)
        for n in range(streams.faust_transport.LIGHT_BACKLOG + 1):
            queue.put_nowait(n)  # records wait to be taken: loaded, short fetches would only spin
        app.busy()
        seen.append(fetcher._fetch_max_wait_ms)
        while not queue.empty():
            queue.get_nowait()
        app.in_hand = 3  # a few records being handled: light again
        app.busy()
        seen.append(fetcher._fetch_max_wait_ms)
        return seen

    assert asyncio.run(drill()) == [5, 100, 5]

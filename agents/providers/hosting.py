"""Hosting a provider adapter (agents/providers/sdk/) inside a Kitting worker: the reference
providers run this way on one machine, exactly as they would in their own process.

The adapter answers outside Kitting's transaction (as a remote provider would, with its own storage);
Kitting then publishes the answers through its outbox, once per event."""

from __future__ import annotations

import asyncio
from typing import Any

from agents.providers.sdk import ProviderAdapter
from schemas.envelope import Envelope
from streams.app import RoleHost
from streams.persistence import UnitOfWork
from streams.topics import Topic

# how long a step takes a party at the demo's pace 1 (KITTING_DEMO_PACE), in seconds
STEP_SECONDS: dict[Topic, float] = {
    Topic.QUOTE_REQUESTED: 1.5,  # a shop looks up its stock and prices
    Topic.ORDER_PLACED: 2.0,  # a shop confirms an order
    Topic.DELIVERY_REQUESTED: 4.0,  # a courier, fleet or counter hands the parcel over
    Topic.SETTLEMENT_REQUESTED: 1.5,  # the accounting agent answers
}


class HostedAdapter:
    def __init__(self, adapter: ProviderAdapter, step_s: float = 0.0) -> None:
        self.adapter = adapter
        self.step_s = step_s  # how long it takes before it answers (the demo's pace); 0: at once

    def is_mine(self, envelope: Envelope[Any]) -> bool:
        return self.adapter.is_mine(envelope.data)

    async def answer(self, envelope: Envelope[Any]) -> Envelope[Any]:
        """The envelope with the adapter's answers, each in its own signed envelope (a list), as its
        data; after the time the step takes the party at the demo's pace. Only a message meant for
        this party waits."""
        if self.step_s > 0 and self.is_mine(envelope):
            await asyncio.sleep(self.step_s)
        return envelope.model_copy(update={"data": self.adapter.envelopes(self.adapter.answer(envelope))})

    @staticmethod
    def publish(envelope: Envelope[Any], uow: UnitOfWork) -> None:
        answers: list[Envelope[Any]] = envelope.data
        for answer in answers:
            uow.emit_envelope(answer)


def host(app: RoleHost, adapter: ProviderAdapter, name: str, pace: float = 0.0) -> None:
    """One consumer per topic the adapter handles, named `name.<topic>`, each taking its step's time at
    the demo's `pace` (0: answering at once)."""
    for topic in adapter.topics:
        hosted = HostedAdapter(adapter, STEP_SECONDS.get(topic, 0.0) * pace)
        app.consume(
            topic, f"{name}.{topic.topic_name}", hosted.publish, when=hosted.is_mine, prepare=hosted.answer
        )

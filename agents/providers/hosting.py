"""Hosting a provider adapter (agents/providers/sdk/) inside a Kitting worker: the reference
providers run this way on one machine, exactly as they would in their own process.

The adapter answers outside Kitting's transaction (as a remote provider would, with its own storage);
Kitting then publishes the answers through its outbox, once per event."""

from __future__ import annotations

from typing import Any

from agents.providers.sdk import ProviderAdapter
from schemas.envelope import Envelope
from streams.app import RoleHost
from streams.persistence import UnitOfWork


class HostedAdapter:
    def __init__(self, adapter: ProviderAdapter) -> None:
        self.adapter = adapter

    def is_mine(self, envelope: Envelope[Any]) -> bool:
        return self.adapter.is_mine(envelope.data)

    async def answer(self, envelope: Envelope[Any]) -> Envelope[Any]:
        """The envelope with the adapter's answers, each in its own signed envelope (a list), as its
        data."""
        return envelope.model_copy(update={"data": self.adapter.envelopes(self.adapter.answer(envelope))})

    @staticmethod
    def publish(envelope: Envelope[Any], uow: UnitOfWork) -> None:
        answers: list[Envelope[Any]] = envelope.data
        for answer in answers:
            uow.emit_envelope(answer)


def host(app: RoleHost, adapter: ProviderAdapter, name: str) -> None:
    """One consumer per topic the adapter handles, named `name.<topic>`."""
    hosted = HostedAdapter(adapter)
    for topic in adapter.topics:
        app.consume(
            topic, f"{name}.{topic.topic_name}", hosted.publish, when=hosted.is_mine, prepare=hosted.answer
        )

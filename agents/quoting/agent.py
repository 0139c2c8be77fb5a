"""Quoting agents: the router asks the providers (components-extracted -> quote-requested), and the
coordinator aggregates their answers. Quote requests and offers are aggregated per round in a Faust
windowed table (windowed by the round's opening time, carried in its UUIDv7 id); a round is decided
from the offers kept in SQL as they arrive: by the offer that completes it, or by the deadline timer —
never from the table, never in a window-close callback."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from agents.quoting.decisions import Coordinator, on_confirm_selection
from agents.quoting.round_ids import opened_at_s
from agents.quoting.rounds import with_offer, with_request
from agents.quoting.routing import Router
from schemas.envelope import Envelope
from streams.app import RoleHost
from streams.handling import RawRecord
from streams.persistence import UnitOfWork, utcnow
from streams.state import KeyedState
from streams.topics import Topic

log = logging.getLogger(__name__)

DEADLINE_CHECK_S = 0.5
PROPOSAL_CHECK_S = 30.0
WINDOW = timedelta(minutes=10)
BUSY = timedelta(seconds=1)  # an offers consumer that handled an offer this recently is still busy


class RoundKeeper:
    """Feeds the windowed table (the live aggregation of each round: who was asked, who answered) and
    knows how far the offers consumer has read: deadlines are decided only once the offers sent before
    them are in (SQL holds every offer; decisions are made from SQL, never from this table)."""

    def __init__(self, app: RoleHost, rounds: KeyedState, coordinator: Coordinator) -> None:
        self.app = app
        self.rounds = rounds
        self.coordinator = coordinator
        self.last_offer: tuple[datetime, datetime] | None = None  # (handled at, sent at) of the latest

    async def on_request(self, envelope: Envelope[Any], record: RawRecord) -> None:
        request = envelope.data
        self.rounds.put(
            request.request_id, with_request(self.rounds.get(request.request_id), request, record.partition)
        )

    async def on_offer(self, envelope: Envelope[Any], record: RawRecord) -> None:
        offer = envelope.data
        now = utcnow()
        self.rounds.put(
            offer.request_id, with_offer(self.rounds.get(offer.request_id), offer, record.partition, now)
        )
        self.last_offer = (now, min(envelope.time, now))

    def reached(self) -> datetime:
        """Up to when the offers consumer has read: now when it is idle; while it works through a
        backlog, when the latest offer it handled was sent (its own lag is not the shops')."""
        now = utcnow()
        if self.last_offer is None or now - self.last_offer[0] > BUSY:
            return now
        return self.last_offer[1] + BUSY

    async def close_due(self) -> None:
        reached = self.reached()

        def job(uow: UnitOfWork) -> None:
            self.coordinator.close_due(uow, reached)

        await self.app.pipeline.run_job(job)


def register(app: RoleHost) -> None:
    deadline = timedelta(seconds=app.settings.quote_deadline_s)
    router = Router(deadline)
    coordinator = Coordinator(deadline, timedelta(seconds=app.settings.proposal_ttl_s))
    app.consume(Topic.COMPONENTS_EXTRACTED, "router", router.on_components_extracted)
    expires = max(timedelta(hours=1), deadline * 10)
    rounds = app.windowed_state(Topic.COORDINATOR_ROUNDS, Topic.QUOTE_OFFERED, opened_at_s, WINDOW, expires)
    keeper = RoundKeeper(app, rounds, coordinator)
    app.consume(
        Topic.QUOTE_REQUESTED, "coordinator.rounds", coordinator.on_quote_requested, then=keeper.on_request
    )
    app.consume(Topic.QUOTE_OFFERED, "coordinator.offers", coordinator.on_quote_offered, then=keeper.on_offer)
    app.consume(Topic.CONFIRM_SELECTION, "coordinator.confirmations", on_confirm_selection)
    app.every(DEADLINE_CHECK_S, "coordinator.deadlines", keeper.close_due)
    app.every(PROPOSAL_CHECK_S, "coordinator.proposals", app.in_unit_of_work(coordinator.expire_proposals))

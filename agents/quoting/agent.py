"""Quoting agents: the router asks the providers (components-extracted -> quote-requested), and the
coordinator aggregates their answers. Quote requests and offers are aggregated per round in a Faust
windowed table (windowed by the round's opening time, carried in its UUIDv7 id); a round is decided
when the last addressed provider answers, or by the deadline timer — never in a window-close
callback. Offers are also kept in SQL as they arrive, for the person to see and for late ones."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from agents.quoting.decisions import close_overdue, decide_round, on_confirm_selection, on_quote_offered
from agents.quoting.round_ids import opened_at_s
from agents.quoting.rounds import RoundValue, due, with_offer, with_request
from agents.quoting.routing import Router
from schemas.envelope import Envelope
from streams.app import RoleHost
from streams.handling import RawRecord
from streams.persistence import UnitOfWork, utcnow
from streams.state import KeyedState
from streams.topics import Topic

log = logging.getLogger(__name__)

DEADLINE_CHECK_S = 0.5
OVERDUE_CHECK_S = 5.0
WINDOW = timedelta(minutes=10)


class RoundKeeper:
    """Feeds the windowed table and decides rounds; remembers locally which rounds it saw decided."""

    def __init__(self, app: RoleHost, rounds: KeyedState) -> None:
        self.app = app
        self.rounds = rounds
        self.decided: set[str] = set()

    async def on_request(self, envelope: Envelope[Any], record: RawRecord) -> None:
        request = envelope.data
        value = with_request(self.rounds.get(request.request_id), request, record.partition)
        self.rounds.put(request.request_id, value)
        await self.decide_if_due(value)

    async def on_offer(self, envelope: Envelope[Any], record: RawRecord) -> None:
        offer = envelope.data
        value = with_offer(self.rounds.get(offer.request_id), offer, record.partition, utcnow())
        self.rounds.put(offer.request_id, value)
        await self.decide_if_due(value)

    async def decide_if_due(self, value: RoundValue) -> None:
        request_id = value["request_id"]
        if request_id in self.decided:
            return
        closed_by = due(value, utcnow())
        if closed_by is None:
            return

        def job(uow: UnitOfWork) -> None:
            decide_round(uow, value, closed_by)

        try:
            await self.app.pipeline.run_job(job)
        except Exception:  # e.g. the database is down: the deadline timer tries again
            log.exception("deciding quote round %s failed; retrying from the timer", request_id)
            return
        self.decided.add(request_id)

    async def close_due(self) -> None:
        """Periodic: decide every local round whose deadline passed (or that a restart left answered)."""
        live: set[str] = set()
        for key, value in self.rounds.local_items():
            live.add(key)
            await self.decide_if_due(value)
        self.decided &= live  # forget rounds whose window expired


def register(app: RoleHost) -> None:
    router = Router(timedelta(seconds=app.settings.quote_deadline_s))
    app.consume(Topic.COMPONENTS_EXTRACTED, "router", router.on_components_extracted)
    expires = max(timedelta(hours=1), timedelta(seconds=app.settings.quote_deadline_s * 10))
    rounds = app.windowed_state(Topic.COORDINATOR_ROUNDS, Topic.QUOTE_OFFERED, opened_at_s, WINDOW, expires)
    keeper = RoundKeeper(app, rounds)
    app.consume(Topic.QUOTE_REQUESTED, "coordinator.rounds", None, then=keeper.on_request)
    app.consume(Topic.QUOTE_OFFERED, "coordinator.offers", on_quote_offered, then=keeper.on_offer)
    app.consume(Topic.CONFIRM_SELECTION, "coordinator.confirmations", on_confirm_selection)
    app.every(DEADLINE_CHECK_S, "coordinator.deadlines", keeper.close_due)
    app.every(OVERDUE_CHECK_S, "coordinator.overdue", app.in_unit_of_work(close_overdue))

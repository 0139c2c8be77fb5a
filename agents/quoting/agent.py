"""Quoting agents: the router asks the providers (components-extracted -> quote-requested), and the
coordinator aggregates their answers. Quote requests and offers are aggregated per round in a Faust
windowed table (windowed by the round's opening time, carried in its UUIDv7 id); a round is decided
from the offers kept in SQL as they arrive: by the offer that completes it, or by the deadline timer —
never from the table, never in a window-close callback."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from agents.quoting.decisions import (
    Chosen,
    Coordinator,
    choose,
    on_confirm_selection,
    profile_problem,
    record_decision,
    round_inputs,
)
from agents.quoting.round_ids import opened_at_s
from agents.quoting.rounds import ClosedBy, with_offer, with_request
from agents.quoting.routing import Router
from schemas.envelope import Envelope
from streams.app import RoleHost
from streams.handling import RawRecord
from streams.persistence import UnitOfWork, utcnow
from streams.sandbox import JobTooHeavy, SandboxStopped
from streams.state import KeyedState
from streams.topics import Topic

log = logging.getLogger(__name__)

DEADLINE_CHECK_S = 0.5
PROPOSAL_CHECK_S = 30.0
WINDOW = timedelta(minutes=10)
BUSY = timedelta(seconds=1)  # an offers consumer that handled an offer this recently is still busy


class RoundKeeper:
    """Feeds the windowed table (the live aggregation of each round: who was asked, who answered), knows
    how far the offers consumer has read, and decides rounds: from SQL (never from this table), with
    the selection made in the sandbox, outside every transaction."""

    def __init__(self, app: RoleHost, rounds: KeyedState, coordinator: Coordinator) -> None:
        self.app = app
        self.rounds = rounds
        self.coordinator = coordinator
        self.last_offer: tuple[datetime, datetime] | None = None  # (handled at, sent at) of the latest

    async def on_request(self, envelope: Envelope[Any], record: RawRecord) -> None:
        request = envelope.data
        value = with_request(self.rounds.get(request.request_id), request, record.partition)
        self.rounds.put(request.request_id, value)

    async def on_offer(self, envelope: Envelope[Any], record: RawRecord) -> None:
        """After the offer is kept: the live view, and the round decided if this offer completed it (a
        crash before that leaves it to the deadline timer)."""
        offer = envelope.data
        now = utcnow()
        value = with_offer(self.rounds.get(offer.request_id), offer, record.partition, now)
        self.rounds.put(offer.request_id, value)
        self.last_offer = (now, min(envelope.time, now))
        with self.app.database.session() as session:
            complete = self.coordinator.all_answered(session, offer.request_id)
        if complete:
            await self.decide_or_leave(offer.request_id, "all-answered")

    def reached(self) -> datetime:
        """Up to when the offers consumer has read: now when it is idle; while it works through a
        backlog, when the latest offer it handled was sent (its own lag is not the shops')."""
        now = utcnow()
        if self.last_offer is None or now - self.last_offer[0] > BUSY:
            return now
        return self.last_offer[1] + BUSY

    async def close_due(self) -> None:
        reached = self.reached()
        with self.app.database.session() as session:
            due = self.coordinator.due(session, reached)
        for request_id, closed_by in due:  # one round that cannot be decided holds back no other
            await self.decide_or_leave(request_id, closed_by)

    async def decide_or_leave(self, request_id: str, closed_by: ClosedBy) -> None:
        """Decide the round; when that fails (e.g. the database is down), say why and leave it open for
        the deadline timer to try again: the offer stays kept and the agent goes on."""
        try:
            await self.decide(request_id, closed_by)
        except SandboxStopped:
            log.info("quote round %s is decided after the restart: the worker is stopping", request_id)
        except Exception:
            log.exception("deciding quote round %s failed; the deadline timer tries again", request_id)

    async def decide(self, request_id: str, closed_by: ClosedBy) -> None:
        """Read the round's inputs, select in the sandbox, then close the round with the result in one
        transaction (once: another worker may have decided it meanwhile)."""
        with self.app.database.session() as session:
            inputs = round_inputs(session, request_id)
        if inputs is None:
            return
        outcome: Chosen | str | None = profile_problem(inputs.prefs)
        if outcome is None:
            try:
                outcome = await self.app.sandbox.run(choose, inputs, utcnow())
            except JobTooHeavy as exc:
                outcome = f"the offers could not be compared: {exc}"
        decided: Chosen | str = outcome

        def record(uow: UnitOfWork) -> None:
            record_decision(uow, inputs, decided, closed_by, self.coordinator.proposal_ttl)

        await self.app.pipeline.run_job(record)


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

"""Coordinator agents: quote rounds from quote-requested, offers from quote-offered, a deadline timer."""

from agents.coordinator.handlers import close_due_rounds, on_quote_offered, on_quote_requested
from streams.app import KittingApp
from streams.topics import Topic

DEADLINE_CHECK_S = 0.5


def register(app: KittingApp) -> None:
    app.consume(Topic.QUOTE_REQUESTED, "coordinator.rounds", on_quote_requested)
    app.consume(Topic.QUOTE_OFFERED, "coordinator.offers", on_quote_offered)
    app.every(DEADLINE_CHECK_S, "coordinator.deadlines", app.in_unit_of_work(close_due_rounds))

"""Replay: read the event log (the archive, or a Kafka cluster) into a fresh state and run every
recorded decision again with the inputs it had, reporting each one that comes out differently.

Decisions replayed:
- extraction: a browsed page with its HTML is extracted again; the component list must match the
  recorded components-extracted (name, quantity, unit, kind) unless the list came from a provider;
- selection and pack rounding: for every providers-selected decision (first rounds and
  compensations), the needs are derived again from the recorded components and preferences, the
  offers are those the decision says it considered (less the providers a compensation excluded),
  and the selection is run again; providers, lines, packs, total and uncovered lines must match.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from agents.extraction.handlers import method_of
from agents.quoting.checking import Consent, accepted_substitutes
from agents.quoting.decisions import (
    by_hand_preferences,
    profile_of,
    run_selection,
    selected_event,
    usable_offers,
)
from agents.quoting.routing import needs_of
from agents.quoting.tables import QuoteRound
from schemas.events import (
    ComponentsExtracted,
    ConfirmSelection,
    EventData,
    MethodBrowsed,
    OrderPlaced,
    OrderStateChanged,
    ProvidersSelected,
    QuoteOffered,
)
from streams.archive import ArchivedRecord
from streams.codec import UndecodableEvent, decode
from streams.topics import Topic, by_name

Progress = Callable[[int], None]


class Difference(BaseModel):
    basket_id: str
    decision: str  # "extraction" | "selection"
    at: str  # the recorded event's topic@partition:offset
    recorded: Any
    replayed: Any


@dataclass
class ReplayReport:
    events: int = 0
    undecodable: int = 0
    baskets: set[str] = field(default_factory=set)
    decisions: Counter[str] = field(default_factory=Counter)
    differences: list[Difference] = field(default_factory=list)
    by_topic: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "undecodable": self.undecodable,
            "baskets": len(self.baskets),
            "decisions": dict(self.decisions),
            "differences": len(self.differences),
            "events_per_s": round(self.events / self.seconds, 1) if self.seconds else None,
            "by_topic": dict(self.by_topic),
            "differing": [d.model_dump(mode="json") for d in self.differences[:50]],
        }


def _components_view(extracted: ComponentsExtracted | Any) -> list[tuple[Any, ...]]:
    return [
        (
            c.name,
            str(c.quantity.amount) if c.quantity else None,
            c.quantity.unit if c.quantity else None,
            c.kind.value,
        )
        for c in extracted.components
    ]


def _selection_view(selected: ProvidersSelected) -> dict[str, Any]:
    return {
        "providers": sorted(selected.providers),
        "lines": sorted((s.line_id, s.provider_id, s.sku, s.packs) for s in selected.lines),
        "total": str(selected.total.amount) if selected.total else None,
        "uncovered": sorted(selected.uncovered),
    }


class Replayer:
    """Feed records in log order; `report` holds what was found."""

    def __init__(self) -> None:
        self.report = ReplayReport()
        self.browsed: dict[str, MethodBrowsed] = {}
        self.extracted: dict[str, ComponentsExtracted] = {}
        self.offers: dict[str, dict[str, QuoteOffered]] = defaultdict(dict)
        self.order_provider: dict[str, str] = {}
        self.rejected: dict[str, set[str]] = defaultdict(set)  # basket → providers whose order failed
        self.confirmed: dict[str, ConfirmSelection] = {}  # request_id → the person's confirmation
        self.proposals: dict[str, ProvidersSelected] = {}  # request_id → the proposal they saw

    def feed(self, record: ArchivedRecord) -> None:
        report = self.report
        report.events += 1
        report.by_topic[record.topic] += 1
        try:
            topic = by_name(record.topic)
        except LookupError:
            return
        if topic in (Topic.DEAD_LETTER,) or topic.spec.changelog:
            return
        try:
            envelope = decode(record.value, topic)
        except UndecodableEvent:
            report.undecodable += 1
            return
        data: EventData = envelope.data
        report.baskets.add(data.basket_id)
        where = f"{record.topic}@{record.partition}:{record.offset}"
        if isinstance(data, MethodBrowsed):
            self.browsed[data.basket_id] = data
        elif isinstance(data, ComponentsExtracted):
            self.extracted[data.basket_id] = data
            self.check_extraction(data, where)
        elif isinstance(data, QuoteOffered):
            self.offers[data.request_id].setdefault(data.provider_id, data)
        elif isinstance(data, OrderPlaced):
            self.order_provider[data.order_id] = data.provider_id
        elif isinstance(data, OrderStateChanged) and data.aspect == "order" and data.to_state == "rejected":
            self.rejected[data.basket_id].add(data.provider_id)  # by the shop, or no answer in time
        elif isinstance(data, ConfirmSelection):
            self.confirmed.setdefault(data.request_id, data)
        elif isinstance(data, ProvidersSelected):
            if data.proposed:
                self.proposals.setdefault(data.request_id, data)
            self.check_selection(data, envelope.time, where)

    def check_extraction(self, recorded: ComponentsExtracted, where: str) -> None:
        browsed = self.browsed.get(recorded.basket_id)
        if browsed is None or browsed.html is None or browsed.components:
            return  # nothing to extract again (a site's own list)
        if recorded.provided_lists or (recorded.source or "").startswith("method-provider"):
            return  # the list came from a method provider, not from the page
        self.report.decisions["extraction"] += 1
        replayed = method_of(browsed)
        if _components_view(replayed) != _components_view(recorded):
            self.differ(
                recorded.basket_id,
                "extraction",
                where,
                _components_view(recorded),
                _components_view(replayed),
            )

    def check_selection(self, recorded: ProvidersSelected, decided_at: datetime, where: str) -> None:
        extracted = self.extracted.get(recorded.basket_id)
        if extracted is None or extracted.quote is None:
            return
        self.report.decisions["selection"] += 1
        prefs = extracted.quote
        needs = needs_of(extracted, prefs)
        if recorded.compensates:
            wanted = {line.line_id for line in recorded.lines} | set(recorded.uncovered)
            needs = [line for line in needs if line.line_id in wanted]
        excluded: set[str] = set()
        if recorded.compensates:  # as the saga did: the providers that failed, and the one it replaces
            excluded = set(self.rejected.get(recorded.basket_id, set()))
            excluded.add(self.order_provider.get(recorded.compensates, ""))
        confirmation = self.confirmed.get(recorded.request_id)
        if confirmation is not None and not recorded.proposed:  # as the person confirmed or chose
            prefs = prefs.model_copy(
                update={
                    "delivery": confirmation.delivery or prefs.delivery,
                    "payment": confirmation.payment or prefs.payment,
                }
            )
            if confirmation.providers is not None:
                excluded |= set(recorded.answered) - set(confirmation.providers)
                prefs = by_hand_preferences(prefs, confirmation.providers)
        offers = [
            offer
            for provider, offer in sorted(self.offers.get(recorded.request_id, {}).items())
            if provider in recorded.answered and provider not in excluded
        ]
        round_ = QuoteRound(
            request_id=recorded.request_id,
            basket_id=recorded.basket_id,
            addressed=json.dumps(recorded.addressed),
        )
        currency, usable, _ = usable_offers(offers, recorded.addressed, prefs, needs, decided_at)
        lines = confirmation.accept_substitutes if confirmation is not None and not recorded.proposed else []
        proposal = self.proposals.get(recorded.request_id)
        accepted = accepted_substitutes(proposal.model_dump(mode="json") if proposal else None, lines)
        consent = Consent(profile_of(prefs).substitutes, accepted, proposal=recorded.proposed)
        selection = run_selection(needs, usable, profile_of(prefs), consent)
        replayed = selected_event(
            round_, [o.provider_id for o in offers], selection, usable, profile_of(prefs), currency,
            recorded.closed_by,
        )  # fmt: skip
        if _selection_view(replayed) != _selection_view(recorded):
            self.differ(
                recorded.basket_id, "selection", where, _selection_view(recorded), _selection_view(replayed)
            )

    def differ(self, basket_id: str, decision: str, where: str, recorded: Any, replayed: Any) -> None:
        self.report.differences.append(
            Difference(basket_id=basket_id, decision=decision, at=where, recorded=recorded, replayed=replayed)
        )


def replay(records: Iterable[ArchivedRecord], progress: Progress | None = None) -> ReplayReport:
    replayer = Replayer()
    started = time.perf_counter()
    for count, record in enumerate(records, start=1):
        replayer.feed(record)
        if progress is not None and count % 500 == 0:
            progress(count)
    replayer.report.seconds = time.perf_counter() - started
    return replayer.report

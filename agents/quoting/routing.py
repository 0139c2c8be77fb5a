"""Router: components-extracted (with quote preferences) -> one quote-requested per provider that serves
the lines' categories and the person's region, carrying only its own lines, a coarse region and the
time window: no personal data. The preferences stay with the basket for the coordinator."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from agents.baskets.store import remember_preferences, set_status
from agents.quoting.needs import described, merge_needs, need_key, scale
from agents.quoting.round_ids import new_round_id
from agents.quoting.tables import QuoteRound
from agents.registry.providers import ProviderView, providers_for
from schemas.envelope import Envelope
from schemas.events import (
    BasketStatus,
    ComponentKind,
    ComponentsExtracted,
    QuoteLine,
    QuotePreferences,
    QuoteRequested,
)
from schemas.providers import ProviderKind
from streams.persistence import UnitOfWork, utcnow

CATEGORY_OF_KIND: dict[ComponentKind, str] = {
    ComponentKind.ingredient: "grocery",
    ComponentKind.supply: "hardware",
    ComponentKind.tool: "hardware",
}


def needs_of(extracted: ComponentsExtracted, prefs: QuotePreferences) -> list[QuoteLine]:
    """What is to be bought: the components the person does not have, scaled to the servings asked,
    merged, each with what it is and the category it is routed by (also what replay recomputes)."""
    have = {need_key(name) for name in prefs.have}
    wanted = [c for c in extracted.components if need_key(c.name) not in have]
    lines = merge_needs(scale(wanted, extracted.method_yield, prefs.servings))
    return [
        line.model_copy(update={"category": CATEGORY_OF_KIND[line.kind]})
        for line in described(lines, extracted.components)
    ]


def route(lines: list[QuoteLine], providers: list[ProviderView]) -> dict[str, list[QuoteLine]]:
    """provider id -> the lines in categories it serves (providers serving none are left out)."""
    routed: dict[str, list[QuoteLine]] = defaultdict(list)
    for provider in providers:
        for line in lines:
            if line.category in provider.categories:
                routed[provider.provider_id].append(line)
    return dict(routed)


@dataclass(frozen=True)
class Router:
    quote_deadline: timedelta

    def on_components_extracted(self, envelope: Envelope[Any], uow: UnitOfWork) -> None:
        extracted: ComponentsExtracted = envelope.data
        prefs = extracted.quote
        if prefs is None:
            return  # the person has not asked for quotes yet
        basket_id = extracted.basket_id
        lines = needs_of(extracted, prefs)
        if not lines:
            set_status(uow, basket_id, BasketStatus.failed, "nothing left to buy: every component is at hand")
            return
        excluded = set(prefs.profile.excluded) if prefs.profile else set()
        providers = [
            p
            for p in providers_for(uow.session, ProviderKind.component, prefs.region)
            if p.provider_id not in excluded
        ]
        routed = route(lines, providers)
        if not routed:
            categories = ", ".join(sorted({line.category or "" for line in lines}))
            set_status(
                uow, basket_id, BasketStatus.failed,
                f"no provider serves region {prefs.region!r} for {categories}",
            )  # fmt: skip
            return
        remember_preferences(uow, basket_id, prefs)
        request_id = new_round_id()
        addressed = sorted(routed)
        deadline = utcnow() + self.quote_deadline
        uow.session.add(
            QuoteRound(
                request_id=request_id,
                basket_id=basket_id,
                needs=json.dumps([line.model_dump(mode="json") for line in lines]),
                addressed=json.dumps(addressed),
                deadline=deadline,
            )
        )
        for provider_id in addressed:
            uow.emit(
                QuoteRequested(
                    basket_id=basket_id,
                    request_id=request_id,
                    provider_id=provider_id,
                    addressed=addressed,
                    region=prefs.region,
                    priority=prefs.priority,
                    delivery=prefs.delivery,
                    payment=prefs.payment,
                    lines=routed[provider_id],
                    deadline=deadline,
                    time_window=prefs.time_window,
                )
            )
        set_status(uow, basket_id, BasketStatus.quoting)

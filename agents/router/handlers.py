"""Router: components-extracted (with quote preferences) -> one quote-requested per chosen provider."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from agents.baskets import set_status
from agents.providers.registry import ProviderRegistry
from agents.router.needs import merge_needs, need_key, scale
from schemas.envelope import Envelope
from schemas.events import BasketStatus, ComponentsExtracted, QuoteRequested
from streams.persistence import UnitOfWork, utcnow


@dataclass(frozen=True)
class Router:
    registry: ProviderRegistry
    quote_deadline: timedelta

    def on_components_extracted(self, envelope: Envelope[Any], uow: UnitOfWork) -> None:
        extracted: ComponentsExtracted = envelope.data
        prefs = extracted.quote
        if prefs is None:
            return  # the person has not asked for quotes yet
        have = {need_key(name) for name in prefs.have}
        wanted = [c for c in extracted.components if need_key(c.name) not in have]
        lines = merge_needs(scale(wanted, extracted.method_yield, prefs.servings))
        basket_id = extracted.basket_id
        if not lines:
            set_status(uow, basket_id, BasketStatus.failed, "nothing left to buy: every component is at hand")
            return
        shops = self.registry.shops_for(prefs.region)
        if not shops:
            set_status(uow, basket_id, BasketStatus.failed, f"no provider serves region {prefs.region!r}")
            return
        request_id = str(uuid.uuid4())
        addressed = [shop.provider_id for shop in shops]
        deadline = utcnow() + self.quote_deadline
        for shop in shops:
            uow.emit(
                QuoteRequested(
                    basket_id=basket_id,
                    request_id=request_id,
                    provider_id=shop.provider_id,
                    addressed=addressed,
                    region=prefs.region,
                    priority=prefs.priority,
                    delivery=prefs.delivery,
                    payment=prefs.payment,
                    customer_ref=prefs.customer_ref,
                    lines=lines,
                    deadline=deadline,
                )
            )
        set_status(uow, basket_id, BasketStatus.quoting)

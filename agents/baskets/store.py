"""The basket record every role may advance, and the one way to change its status."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from schemas.events import (
    BasketStatus,
    BasketStatusChanged,
    ComponentsExtracted,
    MissingLine,
    QuotePreferences,
)
from streams.persistence import Base, UnitOfWork, UtcDateTime, utcnow

FINAL = (BasketStatus.completed.value, BasketStatus.completed_partially.value, BasketStatus.failed.value)


class Basket(Base):
    __tablename__ = "baskets"

    basket_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    preferences: Mapped[str | None] = mapped_column(
        Text, nullable=True, doc="QuotePreferences JSON: kept here, never sent to providers"
    )
    channel: Mapped[str | None] = mapped_column(String(20), nullable=True, doc="How the job reached Kitting")
    origin: Mapped[str | None] = mapped_column(String(500), nullable=True, doc="Where in that channel")
    extraction: Mapped[str | None] = mapped_column(
        Text, nullable=True, doc="The last ComponentsExtracted data JSON, for the terminal"
    )
    missing: Mapped[str | None] = mapped_column(
        Text, nullable=True, doc="JSON MissingLines: what nobody supplies and why"
    )


def basket_of(uow: UnitOfWork, basket_id: str, lock: bool = False) -> Basket | None:
    """The basket, held for update when `lock`. The first call in a unit of work reads the baskets of
    every event it handles at once (one query for a batch, not one a record, in the order of their
    ids); a basket made in this unit of work is found without a query."""
    held: dict[str, Basket | None] = uow.session.info.setdefault("baskets", {})
    locked: set[str] = uow.session.info.setdefault("baskets_locked", set())
    if basket_id in held and (basket_id in locked or not lock):
        return held[basket_id]
    wanted = sorted({basket_id, *(s for s in uow.subjects if s not in held or (lock and s not in locked))})
    query = select(Basket).where(Basket.basket_id.in_(wanted)).order_by(Basket.basket_id)
    found = {b.basket_id: b for b in uow.session.scalars(query.with_for_update() if lock else query)}
    for wanted_id in wanted:
        held[wanted_id] = found.get(wanted_id)
    if lock:
        locked.update(wanted)
    return held[basket_id]


def new_basket(uow: UnitOfWork, basket: Basket) -> Basket:
    """Add a basket made in this unit of work (found by `basket_of` from then on)."""
    uow.session.add(basket)
    uow.session.info.setdefault("baskets", {})[basket.basket_id] = basket
    uow.session.info.setdefault("baskets_locked", set()).add(basket.basket_id)
    return basket


def remember_preferences(uow: UnitOfWork, basket_id: str, prefs: QuotePreferences) -> None:
    basket = basket_of(uow, basket_id)
    if basket is None:
        basket = new_basket(uow, Basket(basket_id=basket_id, url="", status=BasketStatus.extracted.value))
    basket.preferences = prefs.model_dump_json()


def remember_extraction(
    uow: UnitOfWork, extracted: ComponentsExtracted, channel: str | None, origin: str | None
) -> None:
    """Keep what was extracted (and how the job came) with the basket, for the terminal to show. The
    person's request for quotes re-sends the list they kept: the page's first extraction stays."""
    basket = basket_of(uow, extracted.basket_id)
    if basket is None:
        return  # set_status made it in this same transaction; nothing else creates it later
    if basket.extraction is None or extracted.quote is None:
        basket.extraction = extracted.model_dump_json(exclude={"quote"})
    basket.channel = channel or basket.channel
    basket.origin = origin or basket.origin


def preferences_of(uow: UnitOfWork, basket_id: str) -> QuotePreferences | None:
    basket = basket_of(uow, basket_id)
    if basket is None or basket.preferences is None:
        return None
    return QuotePreferences.model_validate_json(basket.preferences)


def set_status(
    uow: UnitOfWork,
    basket_id: str,
    status: BasketStatus,
    reason: str | None = None,
    url: str | None = None,
    missing: list[MissingLine] | None = None,
) -> bool:
    """Move a basket to `status` and announce it (with what is missing from the kit, if anything),
    unless it already ended. Returns whether it moved."""
    basket = basket_of(uow, basket_id, lock=True)
    if basket is None:
        new_basket(uow, Basket(basket_id=basket_id, url=url or "", status=status.value, reason=reason))
    elif basket.status in FINAL:
        return False
    else:
        basket.status, basket.reason, basket.updated_at = status.value, reason, utcnow()
        if url:
            basket.url = url
    uow.emit(
        BasketStatusChanged(
            basket_id=basket_id, status=status, reason=reason, at=utcnow(), missing=missing or []
        )
    )
    return True


def component_names(uow: UnitOfWork, basket_id: str) -> dict[str, str]:
    """line_id: name, of the components extracted for the basket."""
    basket = basket_of(uow, basket_id)
    if basket is None or basket.extraction is None:
        return {}
    extracted = ComponentsExtracted.model_validate_json(basket.extraction)
    return {component.line_id: component.name for component in extracted.components}


def remember_missing(uow: UnitOfWork, basket_id: str, missing: list[MissingLine]) -> None:
    """Keep the lines nobody supplies with the basket, for its end (completed-partially)."""
    basket = basket_of(uow, basket_id)
    if basket is not None:
        basket.missing = json.dumps([line.model_dump(mode="json") for line in missing]) if missing else None


def missing_of(uow: UnitOfWork, basket_id: str) -> list[MissingLine]:
    basket = basket_of(uow, basket_id)
    if basket is None or not basket.missing:
        return []
    return [MissingLine.model_validate(line) for line in json.loads(basket.missing)]

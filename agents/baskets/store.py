"""The basket record every role may advance, and the one way to change its status."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import String, Text
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


def remember_preferences(uow: UnitOfWork, basket_id: str, prefs: QuotePreferences) -> None:
    basket = uow.session.get(Basket, basket_id)
    if basket is None:
        basket = Basket(basket_id=basket_id, url="", status=BasketStatus.extracted.value)
        uow.session.add(basket)
    basket.preferences = prefs.model_dump_json()


def remember_extraction(
    uow: UnitOfWork, extracted: ComponentsExtracted, channel: str | None, origin: str | None
) -> None:
    """Keep what was extracted (and how the job came) with the basket, for the terminal to show. The
    person's request for quotes re-sends the list they kept: the page's first extraction stays."""
    basket = uow.session.get(Basket, extracted.basket_id)
    if basket is None:
        return  # set_status made it in this same transaction; nothing else creates it later
    if basket.extraction is None or extracted.quote is None:
        basket.extraction = extracted.model_dump_json(exclude={"quote"})
    basket.channel = channel or basket.channel
    basket.origin = origin or basket.origin


def preferences_of(uow: UnitOfWork, basket_id: str) -> QuotePreferences | None:
    basket = uow.session.get(Basket, basket_id)
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
    basket = uow.session.get(Basket, basket_id, with_for_update=True)
    if basket is None:
        uow.session.add(Basket(basket_id=basket_id, url=url or "", status=status.value, reason=reason))
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
    basket = uow.session.get(Basket, basket_id)
    if basket is None or basket.extraction is None:
        return {}
    extracted = ComponentsExtracted.model_validate_json(basket.extraction)
    return {component.line_id: component.name for component in extracted.components}


def remember_missing(uow: UnitOfWork, basket_id: str, missing: list[MissingLine]) -> None:
    """Keep the lines nobody supplies with the basket, for its end (completed-partially)."""
    basket = uow.session.get(Basket, basket_id)
    if basket is not None:
        basket.missing = json.dumps([line.model_dump(mode="json") for line in missing]) if missing else None


def missing_of(uow: UnitOfWork, basket_id: str) -> list[MissingLine]:
    basket = uow.session.get(Basket, basket_id)
    if basket is None or not basket.missing:
        return []
    return [MissingLine.model_validate(line) for line in json.loads(basket.missing)]

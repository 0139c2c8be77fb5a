"""The basket record every role may advance, and the one way to change its status."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from schemas.events import BasketStatus, BasketStatusChanged, QuotePreferences
from streams.persistence import Base, UnitOfWork, UtcDateTime, utcnow

FINAL = (BasketStatus.completed.value, BasketStatus.failed.value)


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


def remember_preferences(uow: UnitOfWork, basket_id: str, prefs: QuotePreferences) -> None:
    basket = uow.session.get(Basket, basket_id)
    if basket is None:
        basket = Basket(basket_id=basket_id, url="", status=BasketStatus.extracted.value)
        uow.session.add(basket)
    basket.preferences = prefs.model_dump_json()


def preferences_of(uow: UnitOfWork, basket_id: str) -> QuotePreferences | None:
    basket = uow.session.get(Basket, basket_id)
    if basket is None or basket.preferences is None:
        return None
    return QuotePreferences.model_validate_json(basket.preferences)


def set_status(
    uow: UnitOfWork, basket_id: str, status: BasketStatus, reason: str | None = None, url: str | None = None
) -> bool:
    """Move a basket to `status` and announce it, unless it already ended. Returns whether it moved."""
    basket = uow.session.get(Basket, basket_id, with_for_update=True)
    if basket is None:
        uow.session.add(Basket(basket_id=basket_id, url=url or "", status=status.value, reason=reason))
    elif basket.status in FINAL:
        return False
    else:
        basket.status, basket.reason, basket.updated_at = status.value, reason, utcnow()
        if url:
            basket.url = url
    uow.emit(BasketStatusChanged(basket_id=basket_id, status=status, reason=reason, at=utcnow()))
    return True

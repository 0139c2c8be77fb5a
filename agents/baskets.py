"""The basket record every role may advance, and the one way to change its status."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from schemas.events import BasketStatus, BasketStatusChanged
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

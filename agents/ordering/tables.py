"""Orders as Kitting tracks them: one per chosen provider, with delivery and settlement progress."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import String
from sqlalchemy.orm import Mapped, Session, mapped_column

from streams.handling import HandlerRejected
from streams.persistence import Base, DecimalText, UtcDateTime, utcnow


class Order(Base):
    __tablename__ = "orders"

    order_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    basket_id: Mapped[str] = mapped_column(String(200), index=True)
    request_id: Mapped[str] = mapped_column(String(200))
    provider_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="placed")  # placed | confirmed | rejected
    total_amount: Mapped[Decimal] = mapped_column(DecimalText)
    currency: Mapped[str] = mapped_column(String(3))
    delivery_method: Mapped[str] = mapped_column(String(30))
    payment_method: Mapped[str] = mapped_column(String(30))
    customer_ref: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(100))
    parcels: Mapped[int] = mapped_column(default=1)
    delivery_state: Mapped[str] = mapped_column(String(20), default="none")  # none|requested|arranged|failed
    settlement_state: Mapped[str] = mapped_column(
        String(20), default="none"
    )  # none|requested|completed|failed
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


def order_to_update(session: Session, order_id: str) -> Order:
    """The order, locked for this transaction; an order Kitting never placed is rejected."""
    order = session.get(Order, order_id, with_for_update=True)
    if order is None:
        raise HandlerRejected(f"order {order_id} is not one Kitting placed")
    return order

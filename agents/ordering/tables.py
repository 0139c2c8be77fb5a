"""Orders as Kitting tracks them: one per chosen provider, each with three state machines (the order,
its delivery, its payment; see states.py). Personal data is not here: `customer_ref` keys the vault."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from streams.handling import HandlerRejected
from streams.persistence import Base, DecimalText, UtcDateTime, utcnow


class Order(Base):
    __tablename__ = "orders"

    order_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    basket_id: Mapped[str] = mapped_column(String(200), index=True)
    request_id: Mapped[str] = mapped_column(String(200))
    provider_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="placed", index=True)  # see states.ORDER
    total_amount: Mapped[Decimal] = mapped_column(DecimalText)
    currency: Mapped[str] = mapped_column(String(3))
    delivery_method: Mapped[str] = mapped_column(String(30))
    payment_method: Mapped[str] = mapped_column(String(30))
    customer_ref: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(100))
    parcels: Mapped[int] = mapped_column(default=1)
    delivery_state: Mapped[str] = mapped_column(String(20), default="none", index=True)  # states.DELIVERY
    settlement_state: Mapped[str] = mapped_column(String(20), default="none", index=True)  # states.PAYMENT
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    goods_amount: Mapped[Decimal] = mapped_column(DecimalText, default=Decimal(0))
    delivery_fee: Mapped[Decimal] = mapped_column(DecimalText, default=Decimal(0))
    lines: Mapped[str] = mapped_column(Text, default="[]", doc="JSON list of the OfferLines ordered")
    carrier_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    delivery_id: Mapped[str | None] = mapped_column(String(200), nullable=True, doc="The current try")
    delivery_attempts: Mapped[int] = mapped_column(Integer, default=0)
    replaces: Mapped[str | None] = mapped_column(
        String(200), nullable=True, doc="The order it took over from"
    )
    reason: Mapped[str | None] = mapped_column(
        String(1000), nullable=True, doc="Why it was rejected/cancelled"
    )
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    accounting_id: Mapped[str | None] = mapped_column(
        String(200), nullable=True, doc="The accounting agent of every payment step of this order"
    )
    splits: Mapped[str | None] = mapped_column(
        Text, nullable=True, doc="JSON PayeeSplits of the capture or cash, reused by a refund"
    )
    delivery_since: Mapped[datetime | None] = mapped_column(
        UtcDateTime, nullable=True, doc="When the delivery entered its state (its deadline counts from it)"
    )
    payment_since: Mapped[datetime | None] = mapped_column(
        UtcDateTime, nullable=True, doc="When the payment entered its state (its deadline counts from it)"
    )
    payment_tries: Mapped[int] = mapped_column(
        Integer, default=0, doc="How often the step under way was asked"
    )
    attention: Mapped[str | None] = mapped_column(
        String(1000), nullable=True, doc="Why a person must settle this order's payment by hand"
    )
    attention_action: Mapped[str | None] = mapped_column(
        String(20), nullable=True, doc="The payment step that waits for a person (`kitting ops retry`)"
    )


def order_to_update(session: Session, order_id: str) -> Order:
    """The order, locked for this transaction; an order Kitting never placed is rejected."""
    order = session.get(Order, order_id, with_for_update=True)
    if order is None:
        raise HandlerRejected(f"order {order_id} is not one Kitting placed")
    return order


class TimelineEntry(Base):
    """One transition of one of an order's machines, as the terminal shows it (also on `order-state`)."""

    __tablename__ = "order_timeline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(String(200))
    basket_id: Mapped[str] = mapped_column(String(200), index=True)
    aspect: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)

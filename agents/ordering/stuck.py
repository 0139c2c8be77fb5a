"""What waits for a person (`kitting ops stuck`): orders whose payment step nobody answered after its
retries, baskets still under way with no change for a while, events the outbox could not send."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agents.baskets.store import FINAL, Basket
from agents.ordering.states import ATTENTION
from agents.ordering.tables import Order
from streams.persistence import OutboxRecord, utcnow


@dataclass(frozen=True)
class StuckOrder:
    order_id: str
    basket_id: str
    provider_id: str
    step: str  # the payment step that waits
    why: str
    since: datetime


@dataclass(frozen=True)
class QuietBasket:
    basket_id: str
    status: str
    reason: str | None
    since: datetime


@dataclass(frozen=True)
class Stuck:
    orders: list[StuckOrder]
    baskets: list[QuietBasket]
    set_aside: int  # outbox events given up after their tries (`kitting ops resend`)

    @property
    def empty(self) -> bool:
        return not (self.orders or self.baskets or self.set_aside)


def stuck(session: Session, quiet_for: timedelta, limit: int = 200) -> Stuck:
    now = utcnow()
    orders = session.scalars(
        select(Order).where(Order.settlement_state == ATTENTION).order_by(Order.updated_at).limit(limit)
    ).all()
    baskets = session.scalars(
        select(Basket)
        .where(Basket.status.not_in(FINAL), Basket.updated_at < now - quiet_for)
        .order_by(Basket.updated_at)
        .limit(limit)
    ).all()
    set_aside = session.scalar(
        select(func.count()).select_from(OutboxRecord).where(OutboxRecord.set_aside_at.is_not(None))
    )
    return Stuck(
        orders=[
            StuckOrder(
                o.order_id,
                o.basket_id,
                o.provider_id,
                o.attention_action or "?",
                o.attention or "",
                o.payment_since or o.updated_at,
            )
            for o in orders
        ],
        baskets=[QuietBasket(b.basket_id, b.status, b.reason, b.updated_at) for b in baskets],
        set_aside=set_aside or 0,
    )

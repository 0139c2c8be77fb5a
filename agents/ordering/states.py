"""The order's three state machines, persisted on the order row; every transition is an
OrderStateChanged event (through the outbox, with the change that caused it).

- order: placed → confirmed → completed; placed → rejected (by the provider, or no answer in time);
  placed or confirmed → cancelled (Kitting withdrew it); confirmed → failed (delivered, never paid).
- delivery: none → requested → arranged → collected → delivered; a failure goes to failed, and from
  there back to requested (another try) or to cancelled.
- payment, electronic: none → authorising → authorised → (on hand-over) capturing → captured, released
  by voiding → voided (before capture) or refunding → refunded (after); cash on delivery and at pickup:
  none → expecting → cash-due → recording → cash-collected, or released when the order is withdrawn
  first. A step the accounting agent leaves unanswered after its retries needs a person
  (needs-attention), until the agent's late outcome or an operator (`kitting ops`) settles it.

Each machine records when it entered its state: every state that waits on a party has a deadline
(deadlines.py).
"""

from __future__ import annotations

from typing import Literal

from agents.ordering.tables import Order, TimelineEntry
from schemas.events import OrderAspect, OrderStateChanged
from streams.handling import HandlerRejected
from streams.persistence import UnitOfWork, utcnow

ORDER: dict[str, frozenset[str]] = {
    "new": frozenset({"placed"}),
    "placed": frozenset({"confirmed", "rejected", "cancelled"}),
    "confirmed": frozenset({"completed", "cancelled", "failed"}),  # failed: delivered but never paid
    "rejected": frozenset(),
    "cancelled": frozenset(),
    "completed": frozenset(),
    "failed": frozenset(),
}
DELIVERY: dict[str, frozenset[str]] = {
    "none": frozenset({"requested", "cancelled"}),
    "requested": frozenset({"arranged", "collected", "delivered", "failed", "cancelled"}),
    "arranged": frozenset({"collected", "delivered", "failed", "cancelled"}),
    "collected": frozenset({"delivered", "failed", "cancelled"}),
    "failed": frozenset({"requested", "cancelled"}),
    "delivered": frozenset(),
    "cancelled": frozenset(),
}
ATTENTION = "needs-attention"
PAYMENT: dict[str, frozenset[str]] = {
    "none": frozenset({"authorising", "expecting", "released"}),
    "authorising": frozenset({"authorised", "failed", ATTENTION}),
    "authorised": frozenset({"capturing", "voiding"}),
    "capturing": frozenset({"captured", "voiding", "failed", ATTENTION}),
    "captured": frozenset({"refunding"}),
    "voiding": frozenset({"voided", "failed", ATTENTION}),
    "refunding": frozenset({"refunded", "failed", ATTENTION}),
    "expecting": frozenset({"cash-due", "recording", "failed", "released", ATTENTION}),
    "cash-due": frozenset({"recording", "released", "failed"}),
    "recording": frozenset({"cash-collected", "failed", ATTENTION}),
    ATTENTION: frozenset(  # the agent's late outcome, or an operator's settlement by hand
        {
            "authorised",
            "captured",
            "voided",
            "refunded",
            "cash-due",
            "cash-collected",
            "recording",
            "released",
            "failed",
        }
    )
    | frozenset({"authorising", "capturing", "voiding", "refunding", "expecting"}),  # an operator's retry
    "cash-collected": frozenset(),
    "voided": frozenset(),
    "refunded": frozenset(),
    "released": frozenset(),
    "failed": frozenset(),
}
MACHINES: dict[str, dict[str, frozenset[str]]] = {"order": ORDER, "delivery": DELIVERY, "payment": PAYMENT}
COLUMN: dict[str, Literal["status", "delivery_state", "settlement_state"]] = {
    "order": "status",
    "delivery": "delivery_state",
    "payment": "settlement_state",
}
ACTIVE = ("placed", "confirmed")  # orders still under way
PAID = ("captured", "cash-collected")


class IllegalTransition(HandlerRejected):
    pass


def state_of(order: Order, aspect: OrderAspect) -> str:
    value: str = getattr(order, COLUMN[aspect])
    return value


def move(uow: UnitOfWork, order: Order, aspect: OrderAspect, to: str, reason: str | None = None) -> bool:
    """Advance one machine and announce it. Moving to the state it is in is a no-op (returns False);
    a move the machine does not allow raises IllegalTransition (the event is dead-lettered)."""
    current = state_of(order, aspect)
    if current == to:
        return False
    if to not in MACHINES[aspect].get(current, frozenset()):
        raise IllegalTransition(f"order {order.order_id}: {aspect} cannot go from {current} to {to}")
    setattr(order, COLUMN[aspect], to)
    order.updated_at = utcnow()
    if aspect == "delivery":
        order.delivery_since = order.updated_at
    elif aspect == "payment":
        order.payment_since, order.payment_tries = order.updated_at, 0
        if current == ATTENTION:
            order.attention = order.attention_action = None
    if reason and aspect == "order":
        order.reason = reason
    now = utcnow()
    uow.session.add(
        TimelineEntry(
            order_id=order.order_id, basket_id=order.basket_id, aspect=aspect, from_state=current,
            to_state=to, reason=reason[:1000] if reason else None, at=now,
        )
    )  # fmt: skip
    uow.emit(
        OrderStateChanged(
            basket_id=order.basket_id,
            order_id=order.order_id,
            provider_id=order.provider_id,
            aspect=aspect,
            from_state=current,
            to_state=to,
            reason=reason,
            at=now,
        )
    )
    return True


def may_move(order: Order, aspect: OrderAspect, to: str) -> bool:
    return to in MACHINES[aspect].get(state_of(order, aspect), frozenset())

"""The ordering saga: from the coordinator's choice to a completed (or cleanly failed) basket.

It places one order per chosen provider (authorising an electronic payment, or announcing cash to
collect), and on each provider's answer, carrier's report and accounting agent's outcome moves the
order's state machines (states.py) and asks for the next step:

- confirmed: request delivery (courier, the shop's fleet, or pickup at its counter);
- rejected (whole or some lines) or not answered in time: select again among the other offers by the
  same priority and order from the next best; with nothing left, cancel every order of the basket,
  release every payment (void before capture, refund after) and tell the person why;
- delivered (or collected at the counter): capture the payment, for what was handed over and to whoever
  carried it, or record the cash collected; a failed delivery is tried again, then released;
- an order is completed when delivered and paid; the basket when all its orders are;
- a party that stays silent past its state's deadline (deadlines.py) is replaced, asked again, or the
  order is withdrawn and its payment released; a payment step nobody answers needs a person.

Every step runs in one transaction with its events (outbox) and the processed-event mark, so a crash
at any point repeats the step without doing it twice.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agents.baskets.store import (
    FINAL,
    Basket,
    basket_of,
    component_names,
    missing_of,
    preferences_of,
    remember_missing,
    set_status,
)
from agents.ordering.deadlines import DELIVERY_UNDER_WAY, PAYMENT_STEPS, Deadlines
from agents.ordering.delivery import NoCarrier, delivery_request
from agents.ordering.payments import (
    OUTCOME_STATE,
    PENDING_ACTION,
    first_step,
    is_accounting_agent_of,
    settlement_request,
)
from agents.ordering.states import ACTIVE, ATTENTION, PAID, may_move, move
from agents.ordering.tables import Order, order_to_update
from agents.privacy.audit import record
from agents.privacy.vault import NotIssued, UnknownCustomer, Vault, VaultKeyMismatch
from schemas.envelope import Envelope
from schemas.events import (
    BasketStatus,
    DeliveryArranged,
    DeliveryFailed,
    DeliveryOption,
    MissingLine,
    OfferLine,
    OrderCancelled,
    OrderConfirmed,
    OrderPlaced,
    OrderRejected,
    ParcelCollected,
    ParcelDelivered,
    ProvidersSelected,
    QuotePreferences,
    SelectedLine,
    SettlementAction,
    SettlementCompleted,
    SettlementFailed,
)
from schemas.providers import ProviderKind
from schemas.values import Money
from schemas.vocabulary import DeliveryMethod, is_cash
from streams.handling import HandlerRejected
from streams.persistence import UnitOfWork, utcnow
from streams.signing import party_of
from streams.topics import Topic

log = logging.getLogger(__name__)

TIMEOUT_BATCH = 100
REASON_CHARS = 300  # a provider's free text is passed on shortened


def brief(text: str, chars: int = REASON_CHARS) -> str:
    return text if len(text) <= chars else text[: chars - 1] + "…"


def lock_basket(uow: UnitOfWork, basket_id: str) -> Basket | None:
    """Every step of a basket's saga holds its basket row first (then its orders), so two workers, or a
    handler and the timeout timer, never act on the orders of one basket at once."""
    return basket_of(uow, basket_id, lock=True)


def order_line(line: SelectedLine) -> OfferLine:
    return OfferLine(
        line_id=line.line_id, sku=line.sku, product=line.product, pack=line.pack, packs=line.packs,
        unit_price=line.unit_price, total=line.cost, substitute=line.substitute,
    )  # fmt: skip


def missing_lines(uow: UnitOfWork, selected: ProvidersSelected) -> list[MissingLine]:
    """The lines of a selection nobody supplies, named as the person wrote them, with why."""
    names = component_names(uow, selected.basket_id)
    return [
        MissingLine(
            line_id=line[:200],
            name=brief(" + ".join(names.get(part, part) for part in line.split("+")), 300),
            reason=brief(selected.reasons.get(line, "no offer"), 500),
        )
        for line in selected.uncovered
    ]


def lines_of(order: Order) -> list[OfferLine]:
    return [OfferLine.model_validate(line) for line in json.loads(order.lines)]


Reselect = Callable[[Session, str, list[str], set[str]], ProvidersSelected | None]
"""Compensation's next best offer: (session, quote round, its lines to place again, providers to leave
out) -> the selection among the round's other offers by the same priority, or None when the round was
never decided. Quoting owns the rounds and their offers; the composition root hands this in."""


class OperatorRefused(ValueError):
    """An operator's action that does not apply (the message says why and what to do)."""


STEP_STATE = {action: state for state, action in PENDING_ACTION.items()}  # the state a step is under way in


class Ordering:
    """The saga's handlers; `vault` holds the personal data, `reselect` asks quoting for the next best
    offers, `deadlines` says how long each state may wait on a party."""

    def __init__(
        self,
        vault: Vault,
        deadlines: Deadlines,
        reselect: Reselect,
        settled_since: Callable[[], datetime] | None = None,
    ) -> None:
        self.vault = vault
        self.reselect = reselect
        self.deadlines = deadlines
        started = utcnow()
        self.settled_since = settled_since or (lambda: started)

    # --- placing orders ---------------------------------------------------------------------------

    def on_providers_selected(self, envelope: Envelope[Any], uow: UnitOfWork) -> None:
        """Place one order per chosen provider, with its own lines only."""
        selected: ProvidersSelected = envelope.data
        if not selected.lines or selected.compensates or selected.proposed:
            return  # nothing to order (the coordinator said why), a re-selection placed already, or
            # only a proposal (the person's confirm-selection brings the selection to order)
        prefs = preferences_of(uow, selected.basket_id)
        if prefs is None:
            raise HandlerRejected(
                f"basket {selected.basket_id} has no quote preferences: it was never routed"
            )
        lock_basket(uow, selected.basket_id)
        try:
            self.vault.contact(uow.session, self.vault.reveal(prefs.customer_ref, selected.basket_id))
        except NotIssued as exc:
            set_status(
                uow, selected.basket_id, BasketStatus.failed,
                f"nobody can order for this basket: {exc} (a person's token is needed to order for them)",
            )  # fmt: skip
            return
        except UnknownCustomer:
            set_status(
                uow, selected.basket_id, BasketStatus.failed,
                "the person's contact details are no longer in the vault: add them "
                "(POST /v1/customers or `kitting privacy customer-add`) and ask again",
            )  # fmt: skip
            return
        except VaultKeyMismatch as exc:
            set_status(uow, selected.basket_id, BasketStatus.failed, str(exc))
            return
        self.place(uow, selected, prefs, replaces=None)
        missing = missing_lines(uow, selected)
        remember_missing(uow, selected.basket_id, missing)
        reason = None
        if missing:
            reason = "not supplied by anyone: " + "; ".join(f"{m.name} ({m.reason})" for m in missing)
        set_status(uow, selected.basket_id, BasketStatus.ordering, brief(reason) if reason else None)

    def place(
        self, uow: UnitOfWork, selected: ProvidersSelected, prefs: QuotePreferences, replaces: str | None
    ) -> None:
        # the reference travels concealed for this basket; the orders keep it plain, in SQL only
        prefs = prefs.model_copy(
            update={"customer_ref": self.vault.reveal(prefs.customer_ref, selected.basket_id)}
        )
        by_provider: dict[str, list[SelectedLine]] = defaultdict(list)
        for line in selected.lines:
            by_provider[line.provider_id].append(line)
        for provider_id in sorted(by_provider):
            self.place_one(uow, selected, prefs, provider_id, by_provider[provider_id], replaces)

    def place_one(
        self,
        uow: UnitOfWork,
        selected: ProvidersSelected,
        prefs: QuotePreferences,
        provider_id: str,
        chosen: list[SelectedLine],
        replaces: str | None,
    ) -> None:
        delivery: DeliveryOption = selected.deliveries[provider_id]
        goods = sum((line.cost.amount for line in chosen), Decimal(0))
        total = Money(amount=goods + delivery.fee.amount, currency=delivery.fee.currency)
        order_id = str(uuid.uuid4())
        lines = [order_line(line) for line in chosen]
        order = Order(
            order_id=order_id, basket_id=selected.basket_id, request_id=selected.request_id,
            provider_id=provider_id, status="new", total_amount=total.amount, currency=total.currency,
            goods_amount=goods, delivery_fee=delivery.fee.amount, delivery_method=delivery.method.value,
            payment_method=prefs.payment.value, customer_ref=prefs.customer_ref, region=prefs.region,
            lines=json.dumps([line.model_dump(mode="json") for line in lines]), replaces=replaces,
            delivery_state="none", settlement_state="none", delivery_attempts=0,
        )  # fmt: skip
        uow.session.add(order)
        reference = self.vault.reference(uow.session, prefs.customer_ref, order_id, provider_id)
        uow.emit(
            OrderPlaced(
                basket_id=selected.basket_id, order_id=order_id, request_id=selected.request_id,
                provider_id=provider_id, lines=lines, delivery=delivery, payment=prefs.payment, total=total,
                customer_ref=reference, time_window=prefs.time_window, replaces=replaces,
            )
        )  # fmt: skip
        record(
            uow.session, basket_id=order.basket_id, order_id=order_id, party_id=provider_id,
            party_kind=ProviderKind.component.value, event_type="OrderPlaced",
            topic=Topic.ORDER_PLACED.topic_name, reference=reference, fields=[], sealed=False,
        )  # fmt: skip
        move(uow, order, "order", "placed", f"replaces {replaces}" if replaces else None)
        self.settle(uow, order, *first_step(prefs.payment))

    def settle(self, uow: UnitOfWork, order: Order, action: SettlementAction, state: str) -> None:
        move(uow, order, "payment", state)
        uow.emit(settlement_request(uow.session, self.vault, order, action))

    # --- the providers' answers -------------------------------------------------------------------

    def on_order_status(self, envelope: Envelope[Any], uow: UnitOfWork) -> None:
        answer: OrderConfirmed | OrderRejected = envelope.data
        lock_basket(uow, answer.basket_id)
        order = order_to_update(uow.session, answer.order_id)
        if order.provider_id != answer.provider_id or order.basket_id != answer.basket_id:
            raise HandlerRejected(f"order {answer.order_id} was not placed with {answer.provider_id}")
        if order.status != "placed":  # answered after Kitting gave up on it (timeout or cancellation)
            if isinstance(answer, OrderConfirmed) and order.status in ("rejected", "cancelled"):
                self.tell_cancelled(uow, order, order.reason or "the order was withdrawn")
            return
        if isinstance(answer, OrderRejected):
            ordered = {line.line_id for line in lines_of(order)}
            refused = set(answer.line_ids) & ordered
            reason = brief(answer.reason)
            if refused and refused != ordered:
                self.accept_part(uow, order, refused, reason)
                return
            move(uow, order, "order", "rejected", f"{order.provider_id} rejected the order: {reason}")
            self.release_payment(uow, order)
            self.compensate(uow, order, sorted(ordered), f"{order.provider_id} rejected it: {reason}")
            return
        move(uow, order, "order", "confirmed")
        self.after_confirmation(uow, order)

    def accept_part(self, uow: UnitOfWork, order: Order, refused: set[str], reason: str) -> None:
        """A rejection of some lines: the rest is confirmed at its lower total, the refused lines are
        ordered elsewhere."""
        kept = [line for line in lines_of(order) if line.line_id not in refused]
        goods = sum((line.total.amount for line in kept), Decimal(0))
        order.lines = json.dumps([line.model_dump(mode="json") for line in kept])
        order.goods_amount, order.total_amount = goods, goods + order.delivery_fee
        move(uow, order, "order", "confirmed", f"confirmed without {', '.join(sorted(refused))}: {reason}")
        self.after_confirmation(uow, order)
        if order.status != "confirmed":  # its delivery could not even be asked for: the basket failed
            return
        self.compensate(uow, order, sorted(refused), f"{order.provider_id} cannot supply them: {reason}")

    def after_confirmation(self, uow: UnitOfWork, order: Order) -> None:
        """The money is captured on hand-over, not now (delivered)."""
        self.request_delivery(uow, order, attempt=1)

    def request_delivery(self, uow: UnitOfWork, order: Order, attempt: int) -> None:
        try:
            request = delivery_request(
                uow.session, self.vault, order, preferences_of(uow, order.basket_id), attempt
            )
        except (NoCarrier, UnknownCustomer, VaultKeyMismatch) as exc:
            self.give_up_delivery(uow, order, str(exc))
            return
        order.carrier_id, order.delivery_id, order.delivery_attempts = (
            request.carrier_id,
            request.delivery_id,
            attempt,
        )
        move(uow, order, "delivery", "requested", f"attempt {attempt} by {request.carrier_id}")
        uow.emit(request)

    # --- compensation ------------------------------------------------------------------------------

    def compensate(self, uow: UnitOfWork, failed: Order, line_ids: list[str], why: str) -> None:
        """Order the lines of a failed order from the next best providers, or cancel the basket."""
        basket = lock_basket(uow, failed.basket_id)
        if basket is not None and basket.status in FINAL:  # nothing is ordered for a basket that ended
            self.cancel_basket(uow, failed.basket_id, why)
            return
        orders = self.orders_of(uow, failed.basket_id)
        excluded = {o.provider_id for o in orders if o.status == "rejected"} | {failed.provider_id}
        selected = self.reselect(uow.session, failed.request_id, line_ids, excluded)
        prefs = preferences_of(uow, failed.basket_id)
        if selected is None or prefs is None or not selected.lines or selected.uncovered:
            named = {line["line_id"]: line.get("product") for line in json.loads(failed.lines)}
            missing_ids = selected.uncovered if selected and selected.lines else line_ids
            missing = ", ".join(named.get(line_id) or "a component" for line_id in missing_ids)
            self.cancel_basket(uow, failed.basket_id, f"{why}; no other offer can supply {missing}")
            return
        selected = selected.model_copy(update={"compensates": failed.order_id})
        uow.emit(selected)
        self.place(uow, selected, prefs, replaces=failed.order_id)
        set_status(
            uow, failed.basket_id, BasketStatus.ordering,
            f"{why}; ordered again from {', '.join(selected.providers)}",
        )  # fmt: skip

    def cancel_basket(self, uow: UnitOfWork, basket_id: str, why: str) -> None:
        """Withdraw every order still under way and release its payment; the basket fails with why."""
        cancelled = []
        for order in self.orders_of(uow, basket_id):
            if order.status in ACTIVE and order.delivery_state != "delivered":
                self.cancel(uow, order, why)
                cancelled.append(order.provider_id)
        done = (
            f"; cancelled the orders with {', '.join(cancelled)} and released their payment"
            if cancelled
            else ""
        )
        set_status(uow, basket_id, BasketStatus.failed, why + done)

    def cancel(self, uow: UnitOfWork, order: Order, why: str) -> None:
        move(uow, order, "order", "cancelled", why)
        if may_move(order, "delivery", "cancelled"):
            move(uow, order, "delivery", "cancelled")
        self.tell_cancelled(uow, order, why)
        self.release_payment(uow, order)

    def tell_cancelled(self, uow: UnitOfWork, order: Order, why: str) -> None:
        uow.emit(
            OrderCancelled(
                basket_id=order.basket_id, order_id=order.order_id, provider_id=order.provider_id, reason=why,
                carrier_id=order.carrier_id if order.carrier_id != order.provider_id else None,
            )
        )  # fmt: skip

    def release_payment(self, uow: UnitOfWork, order: Order) -> None:
        """Void an authorisation, refund a capture, drop cash not yet collected. A payment step still
        under way (authorising, capturing) is released when its outcome arrives."""
        state = order.settlement_state
        if state == "authorised":
            self.settle(uow, order, "void", "voiding")
        elif state == "captured":
            self.settle(uow, order, "refund", "refunding")
        elif state in ("none", "expecting", "cash-due"):
            move(uow, order, "payment", "released")

    # --- deadlines (deadlines.py) ------------------------------------------------------------------

    def on_deadlines(self, uow: UnitOfWork) -> None:
        """Periodic: act on every order whose state waited on a party past its deadline. A worker that
        just got its partitions (started, or took over a crashed one's) first gives the answers waiting
        in them the time of each deadline: its own backlog is not the parties' silence."""
        d = self.deadlines
        self.overdue(uow, Order.status, ("placed",), Order.created_at, d.confirm, self.unconfirmed)
        self.overdue(uow, Order.delivery_state, ("requested",), Order.delivery_since, d.carrier_answer,
                     self.carrier_silent)  # fmt: skip
        self.overdue(uow, Order.delivery_state, DELIVERY_UNDER_WAY, Order.delivery_since, d.delivery,
                     self.delivery_overdue)  # fmt: skip
        self.overdue(uow, Order.settlement_state, PAYMENT_STEPS, Order.payment_since, d.accounting_answer,
                     self.accounting_silent)  # fmt: skip
        self.overdue(uow, Order.settlement_state, ("authorised",), Order.payment_since, d.authorisation,
                     self.authorisation_expired)  # fmt: skip

    def overdue(
        self,
        uow: UnitOfWork,
        column: Any,
        states: tuple[str, ...],
        since: Any,
        deadline: timedelta,
        act: Callable[[UnitOfWork, Order], None],
    ) -> None:
        now = utcnow()
        if now - self.settled_since() < deadline:
            return
        entered = func.coalesce(since, Order.updated_at)  # rows older than the column: their last change
        late = uow.session.execute(
            select(Order.order_id, Order.basket_id)
            .where(column.in_(states), entered < now - deadline)
            .order_by(entered)
            .limit(TIMEOUT_BATCH)
        ).all()
        for order_id, basket_id in late:  # locked basket first, then order, as every handler does
            lock_basket(uow, basket_id)
            order = uow.session.get(Order, order_id, with_for_update=True, populate_existing=True)
            if order is None or getattr(order, column.key) not in states:
                continue  # moved on meanwhile (e.g. another worker acted first)
            if (getattr(order, since.key) or order.updated_at) < now - deadline:
                act(uow, order)

    def unconfirmed(self, uow: UnitOfWork, order: Order) -> None:
        """A shop that did not answer an order in time is replaced like one that rejected it."""
        why = f"{order.provider_id} did not answer within {self.deadlines.confirm.total_seconds():.0f} s"
        move(uow, order, "order", "rejected", why)
        self.tell_cancelled(uow, order, why)
        self.release_payment(uow, order)
        self.compensate(uow, order, [line.line_id for line in lines_of(order)], why)

    def carrier_silent(self, uow: UnitOfWork, order: Order) -> None:
        seconds = self.deadlines.carrier_answer.total_seconds()
        self.retry_or_give_up(uow, order, f"{order.carrier_id} did not answer within {seconds:.0f} s")

    def delivery_overdue(self, uow: UnitOfWork, order: Order) -> None:
        hours = self.deadlines.delivery.total_seconds() / 3600
        self.retry_or_give_up(uow, order, f"{order.carrier_id} did not deliver within {hours:g} h")

    def retry_or_give_up(self, uow: UnitOfWork, order: Order, why: str) -> None:
        """A delivery whose carrier went silent: another try (the next carrier, when there is one), or,
        after the last, the order is withdrawn and its payment released."""
        if order.status not in ACTIVE:
            return
        move(uow, order, "delivery", "failed", why)
        if order.delivery_attempts < self.deadlines.delivery_attempts:
            self.request_delivery(uow, order, order.delivery_attempts + 1)
            return
        self.give_up_delivery(uow, order, f"delivery failed after {order.delivery_attempts} tries: {why}")

    def accounting_silent(self, uow: UnitOfWork, order: Order) -> None:
        """Ask the accounting agent again, with the same idempotency key (money moves once however often
        it is asked); after the retries, the payment needs a person."""
        action = PENDING_ACTION[order.settlement_state]
        if order.payment_tries < self.deadlines.accounting_retries:
            order.payment_tries += 1
            order.payment_since = utcnow()
            if action == "record-cash":  # the same silence may have swallowed its expect-cash: again first
                uow.emit(settlement_request(uow.session, self.vault, order, "expect-cash"))
            uow.emit(settlement_request(uow.session, self.vault, order, action))
            return
        asked = order.payment_tries + 1
        why = (
            f"{order.accounting_id or 'the accounting agent'} did not answer the {action} ({asked} requests)"
        )
        move(uow, order, "payment", ATTENTION, why)
        order.attention, order.attention_action = why, action
        log.error("order %s needs attention: %s", order.order_id, why)
        if order.status in ACTIVE and order.delivery_state != "delivered":
            self.cancel_basket(uow, order.basket_id, f"the payment of the order with {order.provider_id} "
                               "could not be confirmed")  # fmt: skip
        else:
            set_status(
                uow, order.basket_id, BasketStatus.ordering,
                f"the payment of the order with {order.provider_id} is being checked by hand",
            )  # fmt: skip

    def authorisation_expired(self, uow: UnitOfWork, order: Order) -> None:
        """An order still not handed over when its authorisation lapses is withdrawn (the hold voided)."""
        if order.status in ACTIVE and order.delivery_state != "delivered":
            self.cancel_basket(
                uow, order.basket_id,
                f"the order with {order.provider_id} was not delivered while its payment was held",
            )  # fmt: skip

    def retry_payment(self, uow: UnitOfWork, order_id: str) -> str:
        """An operator's retry of a payment step that waited for a person (`kitting ops retry`), once the
        accounting agent is back: the same step, the same idempotency key. Returns what was asked."""
        order = uow.session.get(Order, order_id)
        if order is None:
            raise OperatorRefused(f"no order {order_id}: `kitting ops stuck` lists those that wait")
        lock_basket(uow, order.basket_id)
        order = order_to_update(uow.session, order_id)
        if order.settlement_state != ATTENTION or order.attention_action is None:
            raise OperatorRefused(
                f"the payment of order {order_id} is {order.settlement_state}: nothing waits for a person"
            )
        action = cast(SettlementAction, order.attention_action)
        if action == "record-cash":
            uow.emit(settlement_request(uow.session, self.vault, order, "expect-cash"))
        self.settle(uow, order, action, STEP_STATE[action])
        return action

    # --- delivery ----------------------------------------------------------------------------------

    def on_delivery_status(self, envelope: Envelope[Any], uow: UnitOfWork) -> None:
        report = envelope.data
        lock_basket(uow, report.basket_id)
        order = order_to_update(uow.session, report.order_id)
        if order.carrier_id != report.carrier_id or order.basket_id != report.basket_id:
            raise HandlerRejected(
                f"the delivery of order {report.order_id} was not asked of {report.carrier_id}"
            )
        if order.delivery_id != report.delivery_id or order.delivery_state in ("cancelled", "delivered"):
            return  # a report from an earlier try, or about a delivery Kitting withdrew or already has
        if isinstance(report, DeliveryArranged):
            if order.delivery_state == "requested":
                move(uow, order, "delivery", "arranged", f"expected at {report.expected_at.isoformat()}")
        elif isinstance(report, ParcelCollected):
            if may_move(order, "delivery", "collected"):
                move(uow, order, "delivery", "collected")
        elif isinstance(report, ParcelDelivered):
            self.delivered(uow, order, report)
        elif isinstance(report, DeliveryFailed):
            self.delivery_failed(uow, order, report)

    def delivered(self, uow: UnitOfWork, order: Order, report: ParcelDelivered) -> None:
        """Hand-over: the money is taken now, for what the order holds (less than was authorised when a
        shop confirmed only part of it) and to whoever carried it."""
        how = "handed over at the counter" if report.method is DeliveryMethod.pickup else "delivered"
        move(uow, order, "delivery", "delivered", how)
        if order.settlement_state == "authorised" and order.status == "confirmed":
            self.settle(uow, order, "capture", "capturing")
        if is_cash(order.payment_method):
            collected = report.cash_collected
            due = Money(amount=order.total_amount, currency=order.currency)
            if collected is None or collected != due:
                took = f"{collected.amount} {collected.currency}" if collected else "nothing"
                self.fail_payment(
                    uow, order, f"{report.carrier_id} collected {took}, not {due.amount} {due.currency}"
                )
                return
            if order.settlement_state == "expecting" or order.attention_action == "expect-cash":
                # the cash was never confirmed as expected (its agent was silent): ask for that first,
                # under its own key; the agent reads both in order (one basket, one partition)
                uow.emit(settlement_request(uow.session, self.vault, order, "expect-cash"))
            self.settle(uow, order, "record-cash", "recording")
        self.complete_if_done(uow, order)

    def delivery_failed(self, uow: UnitOfWork, order: Order, report: DeliveryFailed) -> None:
        move(uow, order, "delivery", "failed", brief(report.reason))
        if report.retryable and order.delivery_attempts < self.deadlines.delivery_attempts:
            self.request_delivery(uow, order, order.delivery_attempts + 1)
            return
        tries = order.delivery_attempts
        self.give_up_delivery(uow, order, f"delivery failed after {tries} tries: {brief(report.reason)}")

    def give_up_delivery(self, uow: UnitOfWork, order: Order, why: str) -> None:
        """The goods cannot reach the person: withdraw the order and refund (or release) its payment."""
        if may_move(order, "delivery", "failed"):
            move(uow, order, "delivery", "failed", why)
        move(uow, order, "order", "cancelled", why)
        move(uow, order, "delivery", "cancelled")
        self.tell_cancelled(uow, order, why)
        self.release_payment(uow, order)
        released = "refunded" if order.settlement_state == "refunding" else "its payment released"
        set_status(
            uow, order.basket_id, BasketStatus.failed, f"order with {order.provider_id}: {why}; {released}"
        )

    # --- settlement --------------------------------------------------------------------------------

    def on_settlement_status(self, envelope: Envelope[Any], uow: UnitOfWork) -> None:
        outcome: SettlementCompleted | SettlementFailed = envelope.data
        lock_basket(uow, outcome.basket_id)
        order = order_to_update(uow.session, outcome.order_id)
        agent = party_of(envelope.source) or ""
        if order.basket_id != outcome.basket_id or not is_accounting_agent_of(uow.session, order, agent):
            raise HandlerRejected(f"the payment of order {outcome.order_id} was not asked of {agent or 'it'}")
        if isinstance(outcome, SettlementFailed):
            pending = PENDING_ACTION.get(order.settlement_state)
            if order.settlement_state == ATTENTION:  # the step that waited for a person failed after all
                pending = outcome.action
            action = outcome.action or pending
            if pending is None or action != pending:
                return  # about an earlier step, or about nothing under way
            reason = brief(outcome.reason)
            if action == "record-cash" and order.payment_tries < self.deadlines.accounting_retries:
                # the agent may have missed the expect-cash before it (it was away when that came, and
                # back for this): ask for both again, in order, before the payment is given up
                order.payment_tries += 1
                order.payment_since = utcnow()
                uow.emit(settlement_request(uow.session, self.vault, order, "expect-cash"))
                uow.emit(settlement_request(uow.session, self.vault, order, "record-cash"))
                return
            if action == "capture":  # release the authorisation the capture could not take
                move(uow, order, "payment", "voiding", f"capture failed: {reason}")
                uow.emit(settlement_request(uow.session, self.vault, order, "void"))
                if order.status in ACTIVE:
                    why = f"payment for the order with {order.provider_id}: capture failed: {reason}"
                    self.cancel_basket(uow, order.basket_id, why)
                return
            if action in ("void", "refund"):
                log.error(
                    "%s of order %s failed (%s): money is held; settle it by hand",
                    action,
                    order.order_id,
                    reason,
                )
            self.fail_payment(uow, order, f"{action} failed: {reason}")
            return
        to = OUTCOME_STATE[outcome.outcome]
        if not may_move(order, "payment", to):
            return  # a repeated or out-of-date outcome
        move(uow, order, "payment", to)
        if to == "authorised":
            if order.status == "confirmed" and order.delivery_state == "delivered":
                self.settle(uow, order, "capture", "capturing")
            elif order.status in ("rejected", "cancelled"):
                self.settle(uow, order, "void", "voiding")
        elif to == "captured" and order.status in ("rejected", "cancelled"):
            self.settle(uow, order, "refund", "refunding")
        elif to == "cash-due" and order.status in ("rejected", "cancelled"):
            move(uow, order, "payment", "released")
        self.complete_if_done(uow, order)

    def fail_payment(self, uow: UnitOfWork, order: Order, why: str) -> None:
        """The payment cannot go through: the basket cannot be paid, so it is cancelled as a whole."""
        if may_move(order, "payment", "failed"):
            move(uow, order, "payment", "failed", why)
        if order.status in ACTIVE:
            if order.delivery_state == "delivered":  # the goods are with the person: not withdrawn
                move(uow, order, "order", "failed", why)
            self.cancel_basket(uow, order.basket_id, f"payment for the order with {order.provider_id}: {why}")

    # --- completion --------------------------------------------------------------------------------

    def complete_if_done(self, uow: UnitOfWork, order: Order) -> None:
        if (
            order.status == "confirmed"
            and order.delivery_state == "delivered"
            and order.settlement_state in PAID
        ):
            move(uow, order, "order", "completed")
        orders = [o for o in self.orders_of(uow, order.basket_id) if o.status != "rejected"]
        if orders and all(o.status == "completed" for o in orders):
            missing = missing_of(uow, order.basket_id)
            if not missing:
                set_status(uow, order.basket_id, BasketStatus.completed)
                return
            delivered = len({line.line_id for o in orders for line in lines_of(o)})  # a line in 2 SKUs is 1
            reason = f"{delivered} of {delivered + len(missing)} items: missing " + ", ".join(
                m.name for m in missing
            )
            set_status(uow, order.basket_id, BasketStatus.completed_partially, brief(reason), missing=missing)

    @staticmethod
    def orders_of(uow: UnitOfWork, basket_id: str) -> Iterable[Order]:
        uow.session.flush()
        return uow.session.scalars(
            select(Order).where(Order.basket_id == basket_id).order_by(Order.created_at)
        ).all()

"""The reference accounting agent's double-entry ledger, in SQL.

Every settlement request becomes at most one ledger transaction: balanced lines (the debits equal the
credits) under the request's idempotency key. The same key with the same request answers again what was
answered the first time and moves nothing; the same key with another request fails. One order is never
authorised, captured, voided, refunded, expected or collected in cash twice, even under two keys (a
unique constraint on agent, order and action). A refused request moves no money and is not stored: a
later retry is evaluated afresh.

Accounts:
    holds:customer / holds:authorised   memo accounts of an authorisation's hold on the customer's funds
    clearing:card                       money captured electronically, owed by the payment processor
    cash:<collector>                    cash taken by a carrier or a shop on hand-over
    payable:<payee>                     what the ledger owes a provider or a carrier
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import cast

from pydantic import AwareDatetime, BaseModel, ConfigDict
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from agents.providers.sdk.storage import Base, Database, DecimalText, UtcDateTime, utcnow
from schemas.events import (
    PayeeSplit,
    SettlementAction,
    SettlementCompleted,
    SettlementFailed,
    SettlementOutcome,
    SettlementRequested,
)
from schemas.values import Money
from schemas.vocabulary import PAYMENT_RULES, PaymentMethod, is_cash

ZERO = Decimal(0)
MAX_ID = 200
MAX_TOKEN = 100
CASH_OUTCOMES: dict[PaymentMethod, SettlementOutcome] = {  # what expect-cash answers, per cash method
    method: cast(SettlementOutcome, rule.collected_as)
    for method, rule in PAYMENT_RULES.items()
    if rule.cash and rule.collected_as
}
HOLD_CUSTOMER = "holds:customer"
HOLD_AUTHORISED = "holds:authorised"
CLEARING = "clearing:card"

Settlement = SettlementCompleted | SettlementFailed
Line = tuple[str, Decimal, Decimal]
"""(account, debit, credit): one of the two is zero."""


class LedgerTransaction(Base):
    """One settlement request that moved (or, for expect-cash, announced) money, with its answer."""

    __tablename__ = "ledger_transactions"
    __table_args__ = (UniqueConstraint("agent_id", "order_id", "action"),)

    transaction_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    agent_id: Mapped[str] = mapped_column(String(200))
    order_id: Mapped[str] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(20), doc="The action applied; a legacy request's own")
    outcome: Mapped[str] = mapped_column(String(30))
    amount: Mapped[Decimal] = mapped_column(DecimalText)
    currency: Mapped[str] = mapped_column(String(3))
    request_fingerprint: Mapped[str] = mapped_column(String(64), doc="sha256 of the request's terms")
    answer: Mapped[str] = mapped_column(Text, doc="The SettlementCompleted answered, as JSON")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class LedgerEntry(Base):
    """One line of a transaction: a debit or a credit of one account."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    transaction_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("ledger_transactions.transaction_id"), index=True
    )
    account: Mapped[str] = mapped_column(String(200))
    debit: Mapped[Decimal] = mapped_column(DecimalText)
    credit: Mapped[Decimal] = mapped_column(DecimalText)
    currency: Mapped[str] = mapped_column(String(3))


class Authorisation(Base):
    """An electronic payment's state per order: authorised, then captured or voided; refunded."""

    __tablename__ = "payment_authorisations"

    order_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(200))
    token: Mapped[str] = mapped_column(String(100), doc="Empty: captured at once with no token")
    amount: Mapped[Decimal] = mapped_column(DecimalText)
    currency: Mapped[str] = mapped_column(String(3))
    state: Mapped[str] = mapped_column(String(20), doc="authorised | captured | voided | refunded")
    captured: Mapped[Decimal] = mapped_column(DecimalText, default=ZERO)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class LedgerLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    account: str
    debit: Decimal
    credit: Decimal
    currency: str


class LedgerTransactionView(BaseModel):
    """A ledger transaction as read back: what was applied, with its lines."""

    model_config = ConfigDict(frozen=True)

    transaction_id: str
    idempotency_key: str
    agent_id: str
    order_id: str
    action: SettlementAction
    outcome: SettlementOutcome
    amount: Money
    created_at: AwareDatetime
    lines: list[LedgerLine]


class _Refused(Exception):
    """A request the ledger will not apply; `reason` is what the requester is told."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def effective_action(request: SettlementRequested) -> SettlementAction:
    """The action applied: a request without one settles at once (electronic: capture; cash: expect it)."""
    if request.action is not None:
        return request.action
    return "expect-cash" if request.method in CASH_OUTCOMES else "capture"


def fingerprint_of(request: SettlementRequested) -> str:
    """sha256 of the terms that matter: the same key must always carry the same terms."""

    def number(value: Decimal) -> str:
        return format(value.normalize(), "f")

    splits = sorted(
        [split.payee_id, number(split.amount.amount), split.amount.currency, split.role]
        for split in request.splits
    )
    terms = {
        "order_id": request.order_id,
        "action": request.action,
        "method": request.method.value,
        "amount": number(request.amount.amount),
        "currency": request.amount.currency,
        "payee_id": request.payee_id,
        "splits": splits,
        "collector_id": request.collector_id,
        "payment_token": request.payment_token,
    }
    canonical = json.dumps(terms, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def payees_of(request: SettlementRequested) -> list[PayeeSplit]:
    return request.splits or [PayeeSplit(payee_id=request.payee_id, amount=request.amount)]


class Ledger:
    """One accounting agent's ledger on a database."""

    def __init__(self, database: Database, agent_id: str) -> None:
        self.database = database
        self.agent_id = agent_id

    # --- settling ---
    def settle(self, request: SettlementRequested, session: Session | None = None) -> Settlement:
        """Apply one request at most once. In `session` when given (e.g. a unit of work's, so that the
        answer's outbox row commits with it), else in a transaction of its own."""
        if session is not None:
            return self._settle(session, request)
        with self.database.session() as own:
            return self._settle(own, request)

    def _settle(self, session: Session, request: SettlementRequested) -> Settlement:
        key = request.idempotency_key or request.settlement_id
        fingerprint = fingerprint_of(request)
        stored = self._by_key(session, key)
        if stored is not None:
            return self._replay(stored, request, key, fingerprint)
        try:
            with session.begin_nested():
                answer = self._apply(session, request, key, fingerprint)
                session.flush()
                return answer
        except _Refused as refused:
            return self._failed(request, key, refused.reason)
        except IntegrityError:
            pass  # another worker applied a request for the same key, or order and action, meanwhile
        stored = self._by_key(session, key)
        if stored is not None:
            return self._replay(stored, request, key, fingerprint)
        action = effective_action(request)
        clash = self._by_order(session, request.order_id, action)
        if clash is not None:
            return self._failed(request, key, self._clash_reason(clash, action))
        return self._failed(
            request, key, f"a concurrent settlement of order {request.order_id} conflicted; try again"
        )

    def _replay(
        self, stored: LedgerTransaction, request: SettlementRequested, key: str, fingerprint: str
    ) -> Settlement:
        if stored.agent_id != self.agent_id or stored.request_fingerprint != fingerprint:
            return self._failed(request, key, f"idempotency key {key!r} was used for a different request")
        answer = json.loads(stored.answer)
        answer["settlement_id"] = request.settlement_id  # so that the requester can match it
        return SettlementCompleted.model_validate(answer)

    def _failed(self, request: SettlementRequested, key: str, reason: str) -> SettlementFailed:
        return SettlementFailed(
            basket_id=request.basket_id,
            settlement_id=request.settlement_id,
            order_id=request.order_id,
            reason=reason,
            action=request.action,
            idempotency_key=key,
        )

    def _apply(
        self, session: Session, request: SettlementRequested, key: str, fingerprint: str
    ) -> SettlementCompleted:
        action = effective_action(request)
        self._check_terms(request, key)
        clash = self._by_order(session, request.order_id, action)
        if clash is not None:
            raise _Refused(self._clash_reason(clash, action))
        if action == "authorise":
            outcome, lines = self._authorise(session, request)
        elif action == "capture" and request.action is None:
            outcome, lines = self._capture_at_once(session, request)
        elif action == "capture":
            outcome, lines = self._capture(session, request)
        elif action == "void":
            outcome, lines = self._void(session, request)
        elif action == "refund":
            outcome, lines = self._refund(session, request)
        elif action == "expect-cash":
            outcome, lines = self._expect_cash(request)
        else:
            outcome, lines = self._record_cash(session, request)
        if sum((debit for _, debit, _ in lines), ZERO) != sum((credit for _, _, credit in lines), ZERO):
            raise RuntimeError(f"unbalanced {action} of order {request.order_id}: {lines}")
        too_long = [account for account, _, _ in lines if len(account) > MAX_ID]
        if too_long:
            raise _Refused(f"account name {too_long[0][:40]!r}... is longer than {MAX_ID} characters")
        transaction_id = str(uuid.uuid4())
        answer = SettlementCompleted(
            basket_id=request.basket_id,
            settlement_id=request.settlement_id,
            order_id=request.order_id,
            outcome=outcome,
            amount=request.amount,
            action=request.action,
            idempotency_key=key,
            transaction_id=transaction_id,
        )
        session.add(
            LedgerTransaction(
                transaction_id=transaction_id,
                idempotency_key=key,
                agent_id=self.agent_id,
                order_id=request.order_id,
                action=action,
                outcome=outcome,
                amount=request.amount.amount,
                currency=request.amount.currency,
                request_fingerprint=fingerprint,
                answer=answer.model_dump_json(),
            )
        )
        session.flush()  # the transaction row before its lines (foreign key)
        currency = request.amount.currency
        session.add_all(
            LedgerEntry(
                transaction_id=transaction_id, account=account, debit=debit, credit=credit, currency=currency
            )
            for account, debit, credit in lines
        )
        return answer

    def _check_terms(self, request: SettlementRequested, key: str) -> None:
        if request.amount.amount <= ZERO:
            raise _Refused(f"amount must be more than zero, not {request.amount.amount}")
        if len(key) > MAX_ID or len(request.order_id) > MAX_ID:
            raise _Refused(f"idempotency key and order id must be at most {MAX_ID} characters")
        if request.splits:
            currency = request.amount.currency
            foreign = [split.payee_id for split in request.splits if split.amount.currency != currency]
            if foreign:
                raise _Refused(f"splits must be in {currency}, as the amount; not those of {foreign}")
            total = sum((split.amount.amount for split in request.splits), ZERO)
            if total != request.amount.amount:
                raise _Refused(f"splits sum to {total}, not to the amount {request.amount.amount}")

    # --- the actions: each checks its own preconditions, then returns its outcome and lines ---
    def _authorise(
        self, session: Session, request: SettlementRequested
    ) -> tuple[SettlementOutcome, list[Line]]:
        self._need_electronic(request)
        if not request.payment_token:
            raise _Refused("authorise needs a payment_token")
        self._check_token(request.payment_token)
        existing = session.get(Authorisation, request.order_id)
        if existing is not None:
            raise _Refused(f"order {request.order_id} already has an authorisation ({existing.state})")
        amount = request.amount.amount
        session.add(
            Authorisation(
                order_id=request.order_id,
                agent_id=self.agent_id,
                token=request.payment_token,
                amount=amount,
                currency=request.amount.currency,
                state="authorised",
                captured=ZERO,
                updated_at=utcnow(),
            )
        )
        return "authorised", [(HOLD_CUSTOMER, amount, ZERO), (HOLD_AUTHORISED, ZERO, amount)]

    def _capture(
        self, session: Session, request: SettlementRequested
    ) -> tuple[SettlementOutcome, list[Line]]:
        self._need_electronic(request)
        held = self._authorisation_in(session, request, "authorised", "capture")
        if request.amount.amount > held.amount:
            raise _Refused(f"cannot capture {request.amount.amount}: only {held.amount} was authorised")
        self._move(session, request.order_id, "authorised", "captured", captured=request.amount.amount)
        lines = [*self._release(held.amount), (CLEARING, request.amount.amount, ZERO)]
        lines += [(f"payable:{payee.payee_id}", ZERO, payee.amount.amount) for payee in payees_of(request)]
        return "captured", lines

    def _capture_at_once(
        self, session: Session, request: SettlementRequested
    ) -> tuple[SettlementOutcome, list[Line]]:
        """A request without an action: capture at once, with no authorisation before."""
        self._need_electronic(request)
        if request.payment_token:
            self._check_token(request.payment_token)
        existing = session.get(Authorisation, request.order_id)
        if existing is not None:
            raise _Refused(
                f"order {request.order_id} has an authorisation ({existing.state}): "
                "capture, void or refund it instead of settling at once"
            )
        amount = request.amount.amount
        session.add(
            Authorisation(
                order_id=request.order_id,
                agent_id=self.agent_id,
                token=request.payment_token or "",
                amount=amount,
                currency=request.amount.currency,
                state="captured",
                captured=amount,
                updated_at=utcnow(),
            )
        )
        lines: list[Line] = [(CLEARING, amount, ZERO)]
        lines += [(f"payable:{payee.payee_id}", ZERO, payee.amount.amount) for payee in payees_of(request)]
        return "captured", lines

    def _void(self, session: Session, request: SettlementRequested) -> tuple[SettlementOutcome, list[Line]]:
        self._need_electronic(request)
        held = self._authorisation_in(session, request, "authorised", "void")
        self._move(session, request.order_id, "authorised", "voided")
        return "voided", self._release(held.amount)

    def _refund(self, session: Session, request: SettlementRequested) -> tuple[SettlementOutcome, list[Line]]:
        self._need_electronic(request)
        paid = self._authorisation_in(session, request, "captured", "refund")
        if request.amount.amount > paid.captured:
            raise _Refused(f"cannot refund {request.amount.amount}: only {paid.captured} was captured")
        self._move(session, request.order_id, "captured", "refunded")
        lines: list[Line] = [
            (f"payable:{payee.payee_id}", payee.amount.amount, ZERO) for payee in payees_of(request)
        ]
        lines.append((CLEARING, ZERO, request.amount.amount))
        return "refunded", lines

    def _expect_cash(self, request: SettlementRequested) -> tuple[SettlementOutcome, list[Line]]:
        if request.method not in CASH_OUTCOMES:
            raise _Refused(f"expect-cash needs cash-on-delivery or pay-at-pickup, not {request.method}")
        return CASH_OUTCOMES[request.method], []

    def _record_cash(
        self, session: Session, request: SettlementRequested
    ) -> tuple[SettlementOutcome, list[Line]]:
        if request.method not in CASH_OUTCOMES:
            raise _Refused(f"record-cash needs cash-on-delivery or pay-at-pickup, not {request.method}")
        if not request.collector_id:
            raise _Refused("record-cash needs a collector_id: who took the cash")
        expected = self._by_order(session, request.order_id, "expect-cash")
        if expected is None:
            raise _Refused(f"no cash is expected for order {request.order_id}: expect-cash first")
        # less than expected when a shop confirmed only part of the order; never more
        if request.amount.currency != expected.currency or request.amount.amount > expected.amount:
            raise _Refused(
                f"cash collected {request.amount.amount} {request.amount.currency} is more than the "
                f"{expected.amount} {expected.currency} expected for order {request.order_id}"
            )
        lines: list[Line] = [(f"cash:{request.collector_id}", request.amount.amount, ZERO)]
        lines += [(f"payable:{payee.payee_id}", ZERO, payee.amount.amount) for payee in payees_of(request)]
        return "cash-collected", lines

    # --- helpers of the actions ---
    @staticmethod
    def _need_electronic(request: SettlementRequested) -> None:
        if is_cash(request.method):  # any method not paid in cash is settled through its instrument
            raise _Refused(f"{effective_action(request)} needs an electronic payment, not {request.method}")

    @staticmethod
    def _check_token(token: str) -> None:
        if len(token) > MAX_TOKEN:
            raise _Refused(f"payment_token is longer than {MAX_TOKEN} characters")

    @staticmethod
    def _release(amount: Decimal) -> list[Line]:
        return [(HOLD_AUTHORISED, amount, ZERO), (HOLD_CUSTOMER, ZERO, amount)]

    def _authorisation_in(
        self, session: Session, request: SettlementRequested, state: str, action: str
    ) -> Authorisation:
        row = session.scalars(
            select(Authorisation).where(Authorisation.order_id == request.order_id).with_for_update()
        ).one_or_none()
        if row is None or row.agent_id != self.agent_id:
            raise _Refused(f"cannot {action} order {request.order_id}: it was never authorised")
        if row.state != state:
            raise _Refused(
                f"cannot {action} order {request.order_id}: its payment is {row.state}, not {state}"
            )
        if row.currency != request.amount.currency:
            raise _Refused(f"cannot {action} in {request.amount.currency}: the payment is in {row.currency}")
        return row

    def _move(
        self, session: Session, order_id: str, before: str, after: str, captured: Decimal | None = None
    ) -> None:
        """Change an authorisation's state only if nobody changed it meanwhile."""
        values: dict[str, object] = {"state": after, "updated_at": utcnow()}
        if captured is not None:
            values["captured"] = captured
        result = session.execute(
            update(Authorisation)
            .where(
                Authorisation.order_id == order_id,
                Authorisation.agent_id == self.agent_id,
                Authorisation.state == before,
            )
            .values(**values)
            .execution_options(synchronize_session="fetch")
        )
        if getattr(result, "rowcount", 0) != 1:
            raise _Refused(f"the payment of order {order_id} changed meanwhile; try again")

    @staticmethod
    def _clash_reason(clash: LedgerTransaction, action: str) -> str:
        return (
            f"order {clash.order_id} already has its {action} (transaction {clash.transaction_id}) under "
            f"another idempotency key: it is never applied twice"
        )

    def _by_key(self, session: Session, key: str) -> LedgerTransaction | None:
        return session.scalars(
            select(LedgerTransaction).where(LedgerTransaction.idempotency_key == key)
        ).one_or_none()

    def _by_order(self, session: Session, order_id: str, action: str) -> LedgerTransaction | None:
        return session.scalars(
            select(LedgerTransaction).where(
                LedgerTransaction.agent_id == self.agent_id,
                LedgerTransaction.order_id == order_id,
                LedgerTransaction.action == action,
            )
        ).one_or_none()

    # --- reading ---
    def balances(self) -> dict[tuple[str, str], Decimal]:
        """(account, currency) -> debits minus credits, over this agent's transactions."""
        totals: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
        for entry in self._entries():
            totals[(entry.account, entry.currency)] += entry.debit - entry.credit
        return dict(totals)

    def unbalanced(self) -> list[str]:
        """The transactions whose debits differ from their credits (none, unless the data was altered)."""
        net: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for entry in self._entries():
            net[entry.transaction_id] += entry.debit - entry.credit
        return sorted(transaction_id for transaction_id, total in net.items() if total != ZERO)

    def transactions_of(self, order_id: str) -> list[LedgerTransactionView]:
        """This agent's transactions for one order, oldest first, with their lines."""
        with self.database.session() as session:
            rows = list(
                session.scalars(
                    select(LedgerTransaction)
                    .where(
                        LedgerTransaction.agent_id == self.agent_id, LedgerTransaction.order_id == order_id
                    )
                    .order_by(LedgerTransaction.created_at, LedgerTransaction.transaction_id)
                )
            )
            lines: dict[str, list[LedgerLine]] = defaultdict(list)
            entries = session.scalars(
                select(LedgerEntry)
                .where(LedgerEntry.transaction_id.in_([row.transaction_id for row in rows]))
                .order_by(LedgerEntry.id)
            )
            for entry in entries:
                lines[entry.transaction_id].append(
                    LedgerLine(
                        account=entry.account, debit=entry.debit, credit=entry.credit, currency=entry.currency
                    )
                )
            return [_view(row, lines[row.transaction_id]) for row in rows]

    def _entries(self) -> Iterable[LedgerEntry]:
        with self.database.session() as session:
            return list(
                session.scalars(
                    select(LedgerEntry)
                    .join(LedgerTransaction, LedgerTransaction.transaction_id == LedgerEntry.transaction_id)
                    .where(LedgerTransaction.agent_id == self.agent_id)
                    .order_by(LedgerEntry.id)
                )
            )


def _view(row: LedgerTransaction, lines: list[LedgerLine]) -> LedgerTransactionView:
    return LedgerTransactionView.model_validate(
        {
            "transaction_id": row.transaction_id,
            "idempotency_key": row.idempotency_key,
            "agent_id": row.agent_id,
            "order_id": row.order_id,
            "action": row.action,
            "outcome": row.outcome,
            "amount": Money(amount=row.amount, currency=row.currency),
            "created_at": row.created_at,
            "lines": lines,
        }
    )

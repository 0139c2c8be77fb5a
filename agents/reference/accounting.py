"""The reference accounting agent ("Ledger Pay"): a double-entry ledger in SQL (ledger.py).

It settles every payment method Kitting offers:

- electronic: `authorise` when the order is placed (a hold on the customer's instrument, named by its
  vault token for the order, which Kitting seals to this agent), `capture` once the provider confirms
  (the hold is released, the card clearing account is debited and each payee's payable credited: the
  provider's goods, the carrier's delivery fee), `void` when an authorised order is cancelled, `refund`
  when a captured one is;
- cash on delivery and payment at pickup: `expect-cash` books the cash to collect on hand-over (no money
  moves yet), then `record-cash` books the cash the collector (the carrier or the shop) took against the
  payees' payables.

A request without an action (an older requester) settles at once: electronic is captured with no
authorisation before, cash is expected. The same idempotency key never moves money twice, and one order
is never captured, refunded, voided, authorised or collected twice, even under two keys; a refused
request is answered with SettlementFailed and moves nothing.

It answers requests addressed to it and, as the default accounting agent, those that name no agent: as
a provider adapter (its own process, `adapter()`), or inside a Kitting worker (`on_settlement_requested`,
which commits the ledger transaction and the answer's outbox row together).
"""

from __future__ import annotations

from typing import Any

from agents.providers.sdk import ProviderAdapter, SealedContactError, open_sealed
from agents.providers.sdk.storage import Database, UnitOfWork
from agents.reference.faults import Faults
from agents.reference.ledger import Ledger
from schemas.envelope import Envelope
from schemas.events import SettlementCompleted, SettlementFailed, SettlementRequested
from schemas.providers import Provider


class ReferenceAccounting:
    def __init__(
        self, info: Provider, database: Database, private_key: str | None = None, faults: Faults | None = None
    ) -> None:
        """`private_key`: what the payment tokens sealed to this agent open with; `faults`: drills (a
        silent agent answers nothing)."""
        self.info = info
        self.faults = faults or Faults()
        self.ledger = Ledger(database, info.provider_id)
        self.private_key = private_key

    def opened(self, request: SettlementRequested) -> SettlementRequested:
        """The request with its sealed payment token opened (one that does not open is left out, and the
        ledger refuses an electronic authorisation without a token)."""
        if request.payment is None:
            return request
        token = None
        if self.private_key is not None:
            try:
                token = open_sealed(self.private_key, request.payment).get("payment_token")
            except SealedContactError:
                token = None
        return request.model_copy(update={"payment_token": token, "payment": None})

    def adapter(self, bootstrap_servers: str = "") -> ProviderAdapter:
        """The agent as a provider adapter: the default accounting agent, answering from its ledger."""
        adapter = ProviderAdapter(
            self.info.provider_id, bootstrap_servers=bootstrap_servers, default_accounting=True
        )

        @adapter.on_settlement
        def settle(request: SettlementRequested) -> SettlementCompleted | SettlementFailed | None:
            if self.faults.is_silent(self.info.provider_id):
                return None
            return self.ledger.settle(self.opened(request))

        return adapter

    def is_mine(self, envelope: Envelope[Any]) -> bool:
        data = envelope.data
        return isinstance(data, SettlementRequested) and data.agent_id in (None, self.info.provider_id)

    def on_settlement_requested(self, envelope: Envelope[Any], uow: UnitOfWork) -> None:
        """In a worker: settle in the unit of work's transaction and emit the answer with it."""
        if not self.is_mine(envelope) or self.faults.is_silent(self.info.provider_id):
            return
        uow.emit(self.ledger.settle(self.opened(envelope.data), session=uow.session))

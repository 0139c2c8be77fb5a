"""How long each state of an order may wait on a party before the saga acts (its compensation is in
handlers.py: Ordering.on_deadlines). Every state that waits on someone else has one:

| machine  | state                   | waits on             | after the deadline                          |
|----------|-------------------------|----------------------|---------------------------------------------|
| order    | placed                  | the shop             | rejected, ordered from the next best        |
| delivery | requested               | the carrier          | tried again (next carrier), then released   |
| delivery | arranged, collected     | the carrier          | as a failed delivery: again, then released  |
| payment  | authorising … recording | the accounting agent | asked again (same key), then needs-attention|
| payment  | authorised              | the delivery         | cancelled, the authorisation voided         |
| basket   | a proposal              | the person           | expires (agents/quoting/decisions.py)       |

States not listed wait on nothing outside Kitting (cash-due ends with the delivery's own deadline) or
are final."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from streams.settings import Settings

PAYMENT_STEPS = ("authorising", "capturing", "voiding", "refunding", "expecting", "recording")
DELIVERY_UNDER_WAY = ("arranged", "collected")


@dataclass(frozen=True)
class Deadlines:
    confirm: timedelta  # a shop confirms or rejects an order
    carrier_answer: timedelta  # a carrier answers a delivery request at all
    delivery: timedelta  # an arranged or collected delivery is done
    accounting_answer: timedelta  # the accounting agent answers a payment step
    accounting_retries: int  # repeats of an unanswered step before it needs a person
    authorisation: timedelta  # how long an authorisation holds
    delivery_attempts: int  # tries of a delivery before it is refunded

    @classmethod
    def of(cls, settings: Settings) -> Deadlines:
        return cls(
            confirm=timedelta(seconds=settings.order_confirm_timeout_s),
            carrier_answer=timedelta(seconds=settings.carrier_answer_timeout_s),
            delivery=timedelta(seconds=settings.delivery_timeout_s),
            accounting_answer=timedelta(seconds=settings.accounting_answer_timeout_s),
            accounting_retries=settings.accounting_retries,
            authorisation=timedelta(seconds=settings.authorisation_valid_s),
            delivery_attempts=settings.delivery_attempts,
        )

"""The words every part of Kitting shares, each spelled one way: the criteria a person ranks selections
by, how a kit reaches the person (fulfilment), how it is paid, and which payment goes with which
fulfilment. Contracts, the optimiser, the saga, the commands, the API and the terminal all use these.

The `priority` of the v1 events was first written `fewest-shops` and `preferred-shops`; those spellings
are read everywhere as `fewest-providers` and `preferred`, and the `priority` of a v1 event is still
written the first way (`V1Priority`), so a reader of the older contract (a provider, a worker not yet
upgraded) keeps understanding it. Everything else writes the one spelling.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import GetJsonSchemaHandler, PlainSerializer
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema


class _Spelled(StrEnum):
    """A vocabulary: its members' values are the one spelling; `OLD_SPELLINGS` (on the subclass) maps
    spellings still read to members. The JSON Schema lists both, the old ones marked deprecated."""

    @classmethod
    def old_spellings(cls) -> dict[str, str]:
        return {}

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, str) and value in cls.old_spellings():
            return cls(cls.old_spellings()[value])
        return None

    @classmethod
    def __get_pydantic_json_schema__(cls, core: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler.resolve_ref_schema(handler(core))
        old = sorted(cls.old_spellings())
        if old:
            schema["enum"] = [*schema["enum"], *old]
            note = f"Older spellings, read too: {', '.join(f'{o} ({cls.old_spellings()[o]})' for o in old)}."
            schema["description"] = f"{schema['description']} {note}" if schema.get("description") else note
        return schema


class Criterion(_Spelled):
    """What matters most when providers are chosen; a profile lists criteria, most important first."""

    cheapest = "cheapest"
    fastest = "fastest"
    fewest_providers = "fewest-providers"
    preferred = "preferred"
    weighted = "weighted"  # a weighted sum of the first three (PriorityProfile.weights)

    @classmethod
    def old_spellings(cls) -> dict[str, str]:
        return {"fewest-shops": "fewest-providers", "preferred-shops": "preferred"}


def _first_written(criterion: Criterion) -> str:
    old = {new: old for old, new in Criterion.old_spellings().items()}
    return old.get(criterion.value, criterion.value)


V1Priority = Annotated[Criterion, PlainSerializer(_first_written, return_type=str, when_used="json")]
"""A criterion in the `priority` of a v1 event: written as the v1 contract first spelled it."""

WeightedCriterion = Literal["cheapest", "fastest", "fewest-providers"]
"""The criteria a `weighted` profile weighs: per currency unit, per minute of ETA, per provider."""
assert set(WeightedCriterion.__args__) <= set(Criterion)  # type: ignore[attr-defined]


class SubstitutePolicy(StrEnum):
    """Whether the person takes a product that is not exactly what was asked."""

    never = "never"  # the line stays uncovered
    ask = "ask"  # proposed with its reason; ordered only once the person accepts it
    similar = "similar"  # taken without asking when close (another variety, a processed form of the same)


class DeliveryMethod(StrEnum):
    """How the kit reaches the person (the fulfilment)."""

    courier = "courier"  # a delivery service collects it at the shop and brings it
    own = "own"  # the shop's own fleet brings it
    pickup = "pickup"  # the person collects it at the shop's counter


class PaymentMethod(StrEnum):
    electronic = "electronic"
    cash_on_delivery = "cash-on-delivery"
    pay_at_pickup = "pay-at-pickup"


@dataclass(frozen=True)
class PaymentRule:
    """Everything Kitting's own code knows of one payment method: the saga, the delivery requests, the
    API, `kitting demo` and the terminal follow it. A new method is a member of `PaymentMethod` and a
    rule here (and, for a new kind of cash, its outcome in `SettlementOutcome`); the accounting agents
    that settle it must know it too."""

    method: PaymentMethod
    cash: bool  # paid in cash on hand-over: no payment instrument; the carrier or counter collects it
    collected_as: str | None  # cash: the settlement outcome that announces the cash to collect
    fulfilments: frozenset[DeliveryMethod]  # the fulfilments it goes with
    choice: str  # the person's choice, as the terminal offers it
    short: str  # an order's payment, in a few words
    misfit: str  # why it does not go with another fulfilment, and the fix (an API answer)
    unavailable: str  # the terminal's hint when the fulfilment chosen rules it out


PAYMENT_RULES: dict[PaymentMethod, PaymentRule] = {
    rule.method: rule
    for rule in (
        PaymentRule(
            PaymentMethod.electronic,
            cash=False,
            collected_as=None,
            fulfilments=frozenset(DeliveryMethod),
            choice="Pay online now",
            short="paid online",
            misfit="",
            unavailable="",
        ),
        PaymentRule(
            PaymentMethod.cash_on_delivery,
            cash=True,
            collected_as="collect-on-delivery",
            fulfilments=frozenset({DeliveryMethod.courier, DeliveryMethod.own}),
            choice="Cash on delivery",
            short="cash on delivery",
            misfit="with pickup, cash is paid at the counter: choose pay-at-pickup",
            unavailable="Cash on delivery is not possible when you pick the kit up.",
        ),
        PaymentRule(
            PaymentMethod.pay_at_pickup,
            cash=True,
            collected_as="collect-at-pickup",
            fulfilments=frozenset({DeliveryMethod.pickup}),
            choice="Pay at the shop when I pick it up",
            short="pay at the shop",
            misfit="payment at pickup needs pickup at the shop",
            unavailable="Paying at the shop is only possible when you pick the kit up.",
        ),
    )
}


def payment_problem(delivery: DeliveryMethod, payment: PaymentMethod) -> str | None:
    """Why a payment method does not go with a fulfilment, or None when they fit."""
    rule = PAYMENT_RULES[payment]
    return None if delivery in rule.fulfilments else rule.misfit


def is_cash(payment: PaymentMethod | str) -> bool:
    """Paid in cash on hand-over (so nothing is authorised first, and the carrier collects it)."""
    return PAYMENT_RULES[PaymentMethod(payment)].cash

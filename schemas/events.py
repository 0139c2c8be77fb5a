"""One model per event. Names: events in the past tense; `type` carries the version.

Compatible changes only add optional fields; consumers ignore fields they do not know.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from schemas.concepts import Diet
from schemas.values import DecimalString, Money, Quantity
from schemas.vocabulary import (
    Criterion,
    DeliveryMethod,
    PaymentMethod,
    SubstitutePolicy,
    V1Priority,
    WeightedCriterion,
)

Id = str


class EventData(BaseModel):
    """Base of every event's `data`: unknown fields are ignored, every event names its basket."""

    model_config = ConfigDict(extra="ignore")

    basket_id: Id = Field(min_length=1, max_length=200)


def _cheapest_first() -> list[Criterion]:
    return [Criterion.cheapest]


class PriorityProfile(BaseModel):
    """The person's own way of choosing providers: criteria in order, then tie-breaks."""

    model_config = ConfigDict(extra="ignore")

    order: list[Criterion] = Field(
        default_factory=_cheapest_first, max_length=5, description="Criteria, most important first"
    )
    preferred: list[Id] = Field(default_factory=list, max_length=100, description="Providers to favour")
    excluded: list[Id] = Field(default_factory=list, max_length=100, description="Providers never used")
    max_providers: int | None = Field(default=None, ge=1, le=50, description="Cap on providers per basket")
    weights: dict[WeightedCriterion, Decimal] | None = Field(
        default=None, description="For `weighted`: per currency unit, per minute of ETA, per provider"
    )
    substitutes: SubstitutePolicy = Field(
        default=SubstitutePolicy.ask,
        description="never: no substitute; ask: proposed with their reason, ordered only once accepted; "
        "similar: only close ones (another variety of the same thing), without asking",
    )


class TimeWindow(BaseModel):
    model_config = ConfigDict(extra="ignore")

    earliest: AwareDatetime
    latest: AwareDatetime


class Channel(StrEnum):
    """How a job reached Kitting."""

    web = "web"  # a page given by its address or HTML (the terminal, the HTTP API)
    upstream = "upstream"  # an upstream site's snippet, through the collector
    fax = "fax"
    email = "email"
    text = "text"
    server = "server"  # another server posting the event as is


MAX_JOB_TEXT = 100_000
CONCEPT_DOC = (
    "What it is: a concept id of Kitting's taxonomy (schemas/concepts.py): an Open Food Facts category "
    "(en:…), a hardware category (gpt:…) or one of Kitting's own (kitting:…)"
)


class ComponentKind(StrEnum):
    ingredient = "ingredient"
    supply = "supply"
    tool = "tool"


class SealedContact(BaseModel):
    """Personal data for one recipient alone: a JSON object sealed to the recipient's registered public
    key (a libsodium sealed box, X25519 + XSalsa20-Poly1305). Only the field names travel in clear."""

    model_config = ConfigDict(extra="ignore")

    recipient_id: Id = Field(max_length=200, description="The provider whose registered key opens it")
    fields: list[Annotated[str, Field(max_length=40)]] = Field(
        max_length=20, description="Names of the sealed fields, e.g. name, phone (never values)"
    )
    ciphertext: str = Field(
        max_length=16_000, description="Base64 sealed box of a JSON object holding exactly `fields`"
    )


class QuotePreferences(BaseModel):
    """What the person asked for when the job entered Kitting; no personal data, a pseudonym only."""

    model_config = ConfigDict(extra="ignore")

    customer_ref: Id = Field(
        description="The person, as Kitting's entry points conceal them for this basket (`kr1.`…: opens "
        "with the vault key, for this basket only, and differs per basket); contact data stays in the "
        "vault. A plain reference, or one from another basket, orders nothing"
    )
    region: str = Field(default="default", description="Delivery region used to route to providers")
    priority: V1Priority = Field(
        default=Criterion.cheapest, description="What matters most, when no `profile` is given"
    )
    delivery: DeliveryMethod = DeliveryMethod.courier
    payment: PaymentMethod = PaymentMethod.electronic
    have: list[str] = Field(default_factory=list, description="Component names the person already has")
    servings: int | None = Field(default=None, ge=1, le=1000, description="Scale the method to this yield")
    profile: PriorityProfile | None = Field(
        default=None, description="Full priority profile; when absent, `priority` alone decides"
    )
    time_window: TimeWindow | None = Field(default=None, description="When the person wants the kit")
    confirm: bool = Field(
        default=False,
        description="Hold the selection as a proposal until the person confirms it or chooses by hand",
    )


class Component(BaseModel):
    model_config = ConfigDict(extra="ignore")

    line_id: str = Field(min_length=1, description="Stable id of this component within the basket")
    text: str = Field(description="The line as written on the page")
    name: str = Field(min_length=1)
    quantity: Quantity | None = None
    kind: ComponentKind = ComponentKind.ingredient
    provenance: str = Field(description="Where it came from, e.g. json-ld:Recipe.recipeIngredient")
    quantity_max: Quantity | None = Field(default=None, description='Upper end of a range ("2-3 cloves")')
    preparation: str | None = Field(default=None, description='e.g. "finely chopped"')
    optional: bool = False
    alternatives: list[str] = Field(default_factory=list, description="Names that may replace it")
    group: str | None = Field(default=None, description='The method\'s own grouping, e.g. "For the sauce"')
    confidence: float | None = Field(default=None, ge=0, le=1, description="How sure the parser is")


# --- the seven topics of the contract -------------------------------------------------------------


class MethodBrowsed(EventData):
    """A person looked at a job method page (from an upstream site, the terminal or another channel)."""

    url: str = Field(min_length=1, max_length=2000)
    html: str | None = Field(
        default=None, description="The page's HTML; needed unless `components` carries the site's own list"
    )
    site: str | None = None
    components: list[Component] | None = Field(
        default=None, description="The site's own component list, when it offers one"
    )
    quote: QuotePreferences | None = Field(
        default=None, description="When present, Kitting asks for quotes at once for every component"
    )
    channel: Channel | None = Field(default=None, description="How the job reached Kitting")
    origin: str | None = Field(
        default=None,
        max_length=500,
        description="Where in that channel it came from: the site, spool file, upload or message id",
    )
    text: str | None = Field(
        default=None,
        max_length=MAX_JOB_TEXT,
        description="The job as plain text (a fax read by OCR, an e-mail body, a typed list), when no page",
    )
    unreadable: str | None = Field(
        default=None, max_length=1000, description="Why the channel could not read the job (e.g. a blank fax)"
    )
    method_yield: str | None = Field(
        default=None, max_length=200, description="The yield the method states, with a component list"
    )


class ProvidedList(BaseModel):
    """One method provider's own component list, shown beside the others'."""

    model_config = ConfigDict(extra="ignore")

    provider_id: Id
    provider_name: str
    components: list[Component]


class ComponentsExtracted(EventData):
    url: str
    title: str | None = None
    method_kind: Literal["recipe", "howto", "list", "none"]
    components: list[Component]
    quote: QuotePreferences | None = None
    source: str | None = Field(default=None, description="How the list was found, e.g. json-ld, html-heading")
    method_yield: str | None = Field(default=None, description="The yield as the method states it")
    reason: str | None = Field(default=None, description="Why the list is empty, when it is")
    provided_lists: list[ProvidedList] | None = Field(
        default=None,
        description="Every registered method provider's list, side by side; `components` is the first",
    )


class QuoteLine(BaseModel):
    model_config = ConfigDict(extra="ignore")

    line_id: str
    name: str
    quantity: Quantity | None = None
    kind: ComponentKind = ComponentKind.ingredient
    category: str | None = Field(default=None, description="Provider category it was routed by, e.g. grocery")
    concept: str | None = Field(default=None, max_length=200, description=CONCEPT_DOC)
    fresh: bool = Field(
        default=False, description="Wanted fresh: a canned, dried or frozen form is a substitute"
    )
    broader: bool = Field(
        default=False,
        description="The concept is broader than the name (none narrower exists): mind the name",
    )
    diet: Diet | None = Field(default=None, description="The method's diet, which the product must keep to")
    grams: DecimalString | None = Field(
        default=None, description="What the line amounts to in grams, when Kitting can tell (2 cloves: 6)"
    )
    piece_grams: DecimalString | None = Field(
        default=None, description="What one whole piece of this food weighs (a bulb of garlic, an onion)"
    )
    density: DecimalString | None = Field(default=None, description="Grams per millilitre of this food")
    unit_grams: dict[Annotated[str, StringConstraints(max_length=20)], DecimalString] | None = Field(
        default=None,
        max_length=20,
        description="What one of each kitchen unit of this food weighs: a bunch of parsley 60, a clove 3",
    )


class QuoteRequested(EventData):
    """Ask one provider for a quote of the lines in its categories. Every request of a round names all
    providers of the round. It carries items, a coarse region and a time window: no personal data."""

    request_id: Id = Field(description="The quote round; shared by all providers asked together")
    provider_id: Id
    addressed: list[Id] = Field(min_length=1, description="Every provider asked in this round")
    region: str
    priority: V1Priority = Criterion.cheapest
    delivery: DeliveryMethod = DeliveryMethod.courier
    payment: PaymentMethod = PaymentMethod.electronic
    customer_ref: Id | None = Field(
        default=None, description="Deprecated and no longer sent: providers get no customer reference"
    )
    lines: list[QuoteLine] = Field(min_length=1)
    deadline: AwareDatetime
    time_window: TimeWindow | None = None


class PackOption(BaseModel):
    """One product a provider can supply for a line: a pack size with its price and stock."""

    model_config = ConfigDict(extra="ignore")

    sku: str
    product: str
    pack: Quantity = Field(description="What one pack holds, in the shop's own unit")
    unit_price: Money = Field(description="Price of one pack")
    packs_available: int | None = Field(default=None, ge=0, description="Stock in packs; none: unlimited")
    substitute: bool = Field(default=False, description="Not exactly what was asked, e.g. another variety")
    concept: str | None = Field(default=None, max_length=200, description=CONCEPT_DOC)


class OfferLine(BaseModel):
    model_config = ConfigDict(extra="ignore")

    line_id: str
    sku: str
    product: str
    pack: Quantity = Field(description="What one pack holds, in the shop's own unit")
    packs: int = Field(ge=1)
    unit_price: Money = Field(description="Price of one pack")
    total: Money
    options: list[PackOption] = Field(
        default_factory=list,
        description="Every pack size the provider has for this line (the coordinator may combine them)",
    )
    packs_available: int | None = Field(default=None, ge=0, description="Stock of `sku` in packs")
    substitute: bool = False
    concept: str | None = Field(default=None, max_length=200, description=CONCEPT_DOC)


class DeliveryOption(BaseModel):
    model_config = ConfigDict(extra="ignore")

    method: DeliveryMethod
    fee: Money
    eta_hours: int = Field(ge=0)
    eta_minutes: int | None = Field(default=None, ge=0, description="Finer than eta_hours when given")


class QuoteOffered(EventData):
    request_id: Id
    provider_id: Id
    lines: list[OfferLine]
    missing: list[str] = Field(default_factory=list, description="line_ids the provider cannot supply")
    delivery_options: list[DeliveryOption] = Field(min_length=1)
    payment_methods: list[PaymentMethod] = Field(min_length=1)
    subtotal: Money
    valid_until: AwareDatetime


class OrderPlaced(EventData):
    """An order to one chosen provider, with its own lines only (a split basket has several)."""

    order_id: Id
    request_id: Id
    provider_id: Id
    lines: list[OfferLine] = Field(min_length=1)
    delivery: DeliveryOption
    payment: PaymentMethod
    total: Money
    customer_ref: Id = Field(description="Pseudonymous reference for this order and this provider only")
    time_window: TimeWindow | None = None
    replaces: Id | None = Field(
        default=None, description="The rejected or timed-out order whose lines this order takes over"
    )


class OrderCancelled(EventData):
    """Kitting withdraws an order (another order failed and nothing could replace it, the provider did
    not answer in time, or its delivery failed for good). Any payment for it is released."""

    order_id: Id
    provider_id: Id
    reason: str
    carrier_id: Id | None = Field(
        default=None, description="The courier of the order's delivery, when one was asked: it stops too"
    )


ParcelSize = Literal["small", "medium", "large"]


class DeliveryRequested(EventData):
    delivery_id: Id
    order_id: Id
    provider_id: Id = Field(description="The shop the parcel comes from")
    carrier_id: Id = Field(description="Who delivers: a courier, the shop itself, or the shop for pickup")
    method: DeliveryMethod
    parcels: int = Field(ge=1)
    region: str
    recipient_ref: Id = Field(description="Pseudonymous reference for this order and this carrier only")
    parcel_size: ParcelSize | None = None
    pickup_point: str | None = Field(default=None, description="Where the parcel is collected: the shop")
    time_window: TimeWindow | None = None
    contact: SealedContact | None = Field(
        default=None,
        description="What the carrier needs to hand over, sealed to it: a courier gets name, street "
        "address and phone; a shop delivering itself street address and phone; a shop handing over at "
        "its counter name, phone and the pickup code",
    )
    cash_to_collect: Money | None = Field(
        default=None, description="Cash on delivery or payment at pickup: the amount to collect"
    )
    attempt: int = Field(default=1, ge=1, description="1 for the first try, more after a failed delivery")


SettlementAction = Literal["authorise", "capture", "void", "refund", "expect-cash", "record-cash"]


class PayeeSplit(BaseModel):
    """The share of a settlement one payee receives."""

    model_config = ConfigDict(extra="ignore")

    payee_id: Id
    amount: Money
    role: Literal["goods", "delivery"] = "goods"


class SettlementRequested(EventData):
    settlement_id: Id
    order_id: Id
    payee_id: Id = Field(description="The provider that is paid")
    method: PaymentMethod
    amount: Money
    payer_ref: Id = Field(description="Pseudonymous reference for this order and this accounting agent")
    agent_id: Id | None = Field(default=None, description="The accounting agent asked; none: the default")
    action: SettlementAction | None = Field(
        default=None,
        description="authorise at order, capture on hand-over (delivered or collected), void or refund on "
        "cancellation; the same step is asked again under the same idempotency key when unanswered; "
        "expect-cash then record-cash for cash on delivery and payment at pickup. None: settle at once",
    )
    idempotency_key: str | None = Field(
        default=None, max_length=200, description="The same key twice never moves money twice"
    )
    payment_token: str | None = Field(
        default=None,
        max_length=200,
        description="No longer sent in clear (every party could read it on the topic): see `payment`",
    )
    payment: SealedContact | None = Field(
        default=None,
        description="Electronic payments: the payment instrument's token for this order, sealed to the "
        "accounting agent asked (one field, `payment_token`); nobody else can read it",
    )
    splits: list[PayeeSplit] = Field(
        default_factory=list, description="Per payee: the provider's goods, the carrier's delivery fee"
    )
    collector_id: Id | None = Field(default=None, description="Who collects the cash on hand-over")


# --- status and outcome events ---------------------------------------------------------------------


class OrderConfirmed(EventData):
    order_id: Id
    provider_id: Id
    provider_order_ref: str


class OrderRejected(EventData):
    order_id: Id
    provider_id: Id
    reason: str
    line_ids: list[str] = Field(
        default_factory=list, description="The lines it cannot supply; empty: the whole order is rejected"
    )


class DeliveryArranged(EventData):
    delivery_id: Id
    order_id: Id
    carrier_id: Id
    method: DeliveryMethod
    expected_at: AwareDatetime


class DeliveryFailed(EventData):
    delivery_id: Id
    order_id: Id
    carrier_id: Id
    reason: str
    retryable: bool = Field(default=True, description="False when trying again cannot help")


class ParcelCollected(EventData):
    """The courier collected the parcel at the shop."""

    delivery_id: Id
    order_id: Id
    carrier_id: Id
    at: AwareDatetime


class ParcelDelivered(EventData):
    """The parcel reached the person: delivered at the door, or handed over at the shop's counter."""

    delivery_id: Id
    order_id: Id
    carrier_id: Id
    method: DeliveryMethod
    at: AwareDatetime
    cash_collected: Money | None = Field(default=None, description="Cash taken on hand-over, if any")
    pickup_code_checked: bool | None = Field(default=None, description="Pickup: the code was shown")


SettlementOutcome = Literal[
    "captured",
    "collect-on-delivery",
    "collect-at-pickup",
    "authorised",
    "voided",
    "refunded",
    "cash-collected",
]


class SettlementCompleted(EventData):
    settlement_id: Id
    order_id: Id
    outcome: SettlementOutcome
    amount: Money
    action: SettlementAction | None = None
    idempotency_key: str | None = None
    transaction_id: str | None = Field(default=None, description="The accounting agent's ledger transaction")


class SettlementFailed(EventData):
    settlement_id: Id
    order_id: Id
    reason: str
    action: SettlementAction | None = None
    idempotency_key: str | None = None


OrderAspect = Literal["order", "delivery", "payment"]


class OrderStateChanged(EventData):
    """One transition of an order's state machine: the order itself, its delivery or its payment."""

    order_id: Id
    provider_id: Id
    aspect: OrderAspect
    from_state: str
    to_state: str
    reason: str | None = None
    at: AwareDatetime


class SelectedLine(BaseModel):
    model_config = ConfigDict(extra="ignore")

    line_id: str
    provider_id: Id
    sku: str
    product: str = ""
    packs: int = Field(ge=1)
    pack: Quantity
    unit_price: Money
    cost: Money
    leftover: Quantity | None = Field(default=None, description="What is left over, in the pack's unit")
    substitute: bool = False
    reason: str | None = Field(
        default=None, max_length=500, description="Why it is not exactly what was asked, said for the person"
    )
    concept: str | None = Field(
        default=None, max_length=200, description="What the product is (a concept id)"
    )


class ProvidersSelected(EventData):
    """The coordinator's decision for a quote round: which providers supply which lines, in packs."""

    request_id: Id
    profile: PriorityProfile
    by_hand: bool = False
    providers: list[Id]
    lines: list[SelectedLine]
    deliveries: dict[Id, DeliveryOption] = Field(
        default_factory=dict, description="Per chosen provider, the delivery taken (method, fee, ETA)"
    )
    total: Money | None = None
    latest_eta_minutes: int | None = None
    uncovered: list[str] = Field(default_factory=list, description="line_ids nobody can supply")
    reasons: dict[str, str] = Field(default_factory=dict, description="Why each uncovered line is")
    answered: list[Id] = Field(default_factory=list, description="Providers whose offers were considered")
    addressed: list[Id] = Field(default_factory=list)
    closed_by: Literal["all-answered", "deadline"] = "all-answered"
    compensates: Id | None = Field(
        default=None, description="A re-selection: the rejected or timed-out order whose lines it re-places"
    )
    proposed: bool = Field(
        default=False, description="Only a proposal: nothing is ordered until a confirm-selection command"
    )


class ConfirmSelection(EventData):
    """Command from the person (through the terminal): order the proposed selection of a quote round,
    or the providers chosen by hand, with the fulfilment and payment chosen now."""

    request_id: Id = Field(description="The quote round whose proposal is confirmed")
    providers: list[Id] | None = Field(
        default=None, max_length=50, description="Chosen by hand; absent: the proposal as it stands"
    )
    delivery: DeliveryMethod | None = None
    payment: PaymentMethod | None = None
    accept_substitutes: list[Annotated[str, StringConstraints(max_length=200)]] = Field(
        default_factory=list,
        max_length=500,
        description="The lines whose proposed substitute (the product the proposal showed) they accept",
    )


class BasketStatus(StrEnum):
    extracted = "extracted"
    quoting = "quoting"
    ordering = "ordering"
    completed = "completed"  # every needed line delivered and paid
    completed_partially = "completed-partially"  # ended, delivered and paid, but some lines are missing
    failed = "failed"


class MissingLine(BaseModel):
    """A line of the kit that did not reach the person, and why."""

    model_config = ConfigDict(extra="ignore")

    line_id: str = Field(max_length=200)
    name: str = Field(max_length=300)
    reason: str = Field(max_length=500)


class BasketStatusChanged(EventData):
    """v2: `at`, when the basket changed, is always given (v1 made it optional; see schemas/upcasting.py)."""

    status: BasketStatus
    reason: str | None = None
    at: AwareDatetime
    missing: list[MissingLine] = Field(
        default_factory=list,
        max_length=500,
        description="When the kit is incomplete: what is missing and why",
    )


# --- registry of types ----------------------------------------------------------------------------

EVENT_TYPES: dict[str, type[EventData]] = {
    "dev.kitting.method.browsed.v1": MethodBrowsed,
    "dev.kitting.components.extracted.v1": ComponentsExtracted,
    "dev.kitting.quote.requested.v1": QuoteRequested,
    "dev.kitting.quote.offered.v1": QuoteOffered,
    "dev.kitting.order.placed.v1": OrderPlaced,
    "dev.kitting.delivery.requested.v1": DeliveryRequested,
    "dev.kitting.settlement.requested.v1": SettlementRequested,
    "dev.kitting.order.confirmed.v1": OrderConfirmed,
    "dev.kitting.order.rejected.v1": OrderRejected,
    "dev.kitting.delivery.arranged.v1": DeliveryArranged,
    "dev.kitting.delivery.failed.v1": DeliveryFailed,
    "dev.kitting.settlement.completed.v1": SettlementCompleted,
    "dev.kitting.settlement.failed.v1": SettlementFailed,
    "dev.kitting.basket.status-changed.v2": BasketStatusChanged,
    "dev.kitting.providers.selected.v1": ProvidersSelected,
    "dev.kitting.order.cancelled.v1": OrderCancelled,
    "dev.kitting.parcel.collected.v1": ParcelCollected,
    "dev.kitting.parcel.delivered.v1": ParcelDelivered,
    "dev.kitting.order.state-changed.v1": OrderStateChanged,
    "dev.kitting.selection.confirm.v1": ConfirmSelection,
}

_TYPE_OF = {model: name for name, model in EVENT_TYPES.items()}


def event_type_of(model: type[BaseModel]) -> str:
    try:
        return _TYPE_OF[model]  # type: ignore[index]
    except KeyError:
        raise LookupError(f"{model.__name__} is not a registered Kitting event") from None

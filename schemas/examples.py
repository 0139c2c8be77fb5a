"""One example per event: documentation (AsyncAPI `examples`), tests and the README's kcat lines."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeVar

from schemas import events as ev
from schemas.concepts import Diet
from schemas.envelope import Envelope
from schemas.events import EventData, event_type_of
from schemas.values import Money, Quantity
from schemas.vocabulary import SubstitutePolicy

E = TypeVar("E", bound=EventData)

BASKET = "b-7f3c9a"
REQUEST = "r-51d2e0"
ORDER = "o-90aa41"
WHEN = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 23, 12, 0, 5, tzinfo=UTC)


def _eur(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="EUR")


def _qty(amount: str, unit: str) -> Quantity:
    return Quantity(amount=Decimal(amount), unit=unit)


_FLOUR = ev.Component(
    line_id="c1",
    text="250 g plain flour",
    name="plain flour",
    quantity=_qty("250", "g"),
    provenance="json-ld:Recipe.recipeIngredient",
)
_PREFS = ev.QuotePreferences(customer_ref="cust-4411", region="default")
_LINE = ev.OfferLine(
    line_id="c1",
    sku="CG-FLOUR-1K",
    product="Plain wheat flour 1 kg",
    pack=_qty("1", "kg"),
    packs=1,
    unit_price=_eur("1.19"),
    total=_eur("1.19"),
    concept="en:wheat-flours",
)
_OFFERED_LINE = _LINE.model_copy(
    update={
        "packs_available": 12,
        "options": [
            ev.PackOption(
                sku="CG-FLOUR-1K", product="Plain wheat flour 1 kg", pack=_qty("1", "kg"),
                unit_price=_eur("1.19"), packs_available=12, concept="en:wheat-flours",
            ),
            ev.PackOption(
                sku="CG-FLOUR-500", product="Plain wheat flour 500 g", pack=_qty("500", "g"),
                unit_price=_eur("0.79"), packs_available=3, concept="en:wheat-flours",
            ),
        ],
    }
)  # fmt: skip
_COURIER = ev.DeliveryOption(
    method=ev.DeliveryMethod.courier, fee=_eur("4.90"), eta_hours=24, eta_minutes=1440
)

EXAMPLES: dict[type[EventData], EventData] = {
    ev.MethodBrowsed: ev.MethodBrowsed(
        basket_id=BASKET,
        url="https://recipes.example/weekend-pancakes",
        html='<script type="application/ld+json">{"@context":"https://schema.org","@type":"Recipe",'
        '"name":"Pancakes","recipeIngredient":["250 g plain flour","2 eggs"]}</script>',
        site="recipes.example",
        quote=_PREFS,
        channel=ev.Channel.upstream,
        origin="recipes.example",
    ),
    ev.ComponentsExtracted: ev.ComponentsExtracted(
        basket_id=BASKET,
        url="https://recipes.example/weekend-pancakes",
        title="Pancakes",
        method_kind="recipe",
        components=[_FLOUR],
        quote=_PREFS,
    ),
    ev.QuoteRequested: ev.QuoteRequested(
        basket_id=BASKET,
        request_id=REQUEST,
        provider_id="corner-grocer",
        addressed=["corner-grocer", "market-hall"],
        region="default",
        lines=[
            ev.QuoteLine(
                line_id="c1",
                name="plain flour",
                quantity=_qty("250", "g"),
                category="grocery",
                concept="en:wheat-flours",
                diet=Diet.vegetarian,
                grams=Decimal("250"),
                density=Decimal("0.53"),
            ),
            ev.QuoteLine(
                line_id="c2",
                name="eggs",
                quantity=_qty("2", "piece"),
                category="grocery",
                concept="en:eggs",
                fresh=True,
                diet=Diet.vegetarian,
                grams=Decimal("100"),
                piece_grams=Decimal("50"),
            ),
            ev.QuoteLine(
                line_id="c7",
                name="flat-leaf parsley",
                quantity=_qty("1", "bunch"),
                category="grocery",
                concept="en:fresh-parsley",
                fresh=True,
                diet=Diet.vegetarian,
                grams=Decimal("60"),
                unit_grams={"bunch": Decimal("60"), "sprig": Decimal("1"), "handful": Decimal("15")},
            ),
        ],
        deadline=LATER,
    ),
    ev.QuoteOffered: ev.QuoteOffered(
        basket_id=BASKET,
        request_id=REQUEST,
        provider_id="corner-grocer",
        lines=[_OFFERED_LINE],
        delivery_options=[_COURIER],
        payment_methods=[ev.PaymentMethod.electronic],
        subtotal=_eur("1.19"),
        valid_until=datetime(2026, 11, 23, 13, 0, tzinfo=UTC),
    ),
    ev.OrderPlaced: ev.OrderPlaced(
        basket_id=BASKET,
        order_id=ORDER,
        request_id=REQUEST,
        provider_id="corner-grocer",
        lines=[_LINE],
        delivery=_COURIER,
        payment=ev.PaymentMethod.electronic,
        total=_eur("6.09"),
        customer_ref="ref-5be0c1d2a3f4e5d6c7b8a9f0",
    ),
    ev.OrderCancelled: ev.OrderCancelled(
        basket_id=BASKET,
        order_id=ORDER,
        provider_id="corner-grocer",
        reason="market-hall rejected its order and no other offer can supply c2",
    ),
    ev.DeliveryRequested: ev.DeliveryRequested(
        basket_id=BASKET,
        delivery_id="d-1c2e",
        order_id=ORDER,
        provider_id="corner-grocer",
        carrier_id="swift-courier",
        method=ev.DeliveryMethod.courier,
        parcels=1,
        parcel_size="small",
        region="default",
        recipient_ref="ref-0d9e8f7a6b5c4d3e2f1a0b9c",
        pickup_point="the counter of corner-grocer",
        contact=ev.SealedContact(
            recipient_id="swift-courier",
            fields=["name", "phone", "street_address"],
            ciphertext="bXkgc2VhbGVkIGJveCwgb3BlbmVkIG9ubHkgYnkgdGhlIGNvdXJpZXIncyBrZXk=",
        ),
        cash_to_collect=_eur("6.09"),
    ),
    ev.SettlementRequested: ev.SettlementRequested(
        basket_id=BASKET,
        settlement_id="s-77b0",
        order_id=ORDER,
        payee_id="corner-grocer",
        method=ev.PaymentMethod.electronic,
        amount=_eur("6.09"),
        payer_ref="ref-9a8b7c6d5e4f3a2b1c0d9e8f",
        agent_id="ledger-pay",
        action="capture",
        idempotency_key=f"{ORDER}:capture",
        payment=ev.SealedContact(
            recipient_id="ledger-pay",
            fields=["payment_token"],
            ciphertext="dGhlIG9yZGVyJ3MgcGF5bWVudCB0b2tlbiwgb3BlbmVkIG9ubHkgYnkgdGhlIGFnZW50",
        ),
        splits=[
            ev.PayeeSplit(payee_id="corner-grocer", amount=_eur("3.59"), role="goods"),
            ev.PayeeSplit(payee_id="swift-courier", amount=_eur("2.50"), role="delivery"),
        ],
    ),
    ev.OrderConfirmed: ev.OrderConfirmed(
        basket_id=BASKET,
        order_id=ORDER,
        provider_id="corner-grocer",
        provider_order_ref="corner-grocer-90aa41",
    ),
    ev.OrderRejected: ev.OrderRejected(
        basket_id=BASKET, order_id=ORDER, provider_id="corner-grocer", reason="unknown product CG-FLOUR-5K"
    ),
    ev.DeliveryArranged: ev.DeliveryArranged(
        basket_id=BASKET,
        delivery_id="d-1c2e",
        order_id=ORDER,
        carrier_id="swift-courier",
        method=ev.DeliveryMethod.courier,
        expected_at=datetime(2026, 11, 24, 12, 0, tzinfo=UTC),
    ),
    ev.DeliveryFailed: ev.DeliveryFailed(
        basket_id=BASKET,
        delivery_id="d-1c2e",
        order_id=ORDER,
        carrier_id="swift-courier",
        reason="no service in region 'north'",
        retryable=False,
    ),
    ev.ParcelCollected: ev.ParcelCollected(
        basket_id=BASKET, delivery_id="d-1c2e", order_id=ORDER, carrier_id="swift-courier", at=LATER
    ),
    ev.ParcelDelivered: ev.ParcelDelivered(
        basket_id=BASKET,
        delivery_id="d-1c2e",
        order_id=ORDER,
        carrier_id="swift-courier",
        method=ev.DeliveryMethod.courier,
        at=LATER,
        cash_collected=_eur("6.09"),
    ),
    ev.SettlementCompleted: ev.SettlementCompleted(
        basket_id=BASKET,
        settlement_id="s-77b0",
        order_id=ORDER,
        outcome="captured",
        amount=_eur("6.09"),
        action="capture",
        idempotency_key=f"{ORDER}:capture",
        transaction_id="t-2b4c6d",
    ),
    ev.SettlementFailed: ev.SettlementFailed(
        basket_id=BASKET,
        settlement_id="s-77b0",
        order_id=ORDER,
        reason="card declined",
        action="authorise",
        idempotency_key=f"{ORDER}:authorise",
    ),
    ev.OrderStateChanged: ev.OrderStateChanged(
        basket_id=BASKET,
        order_id=ORDER,
        provider_id="corner-grocer",
        aspect="payment",
        from_state="capturing",
        to_state="captured",
        at=LATER,
    ),
    ev.ProvidersSelected: ev.ProvidersSelected(
        basket_id=BASKET,
        request_id=REQUEST,
        profile=ev.PriorityProfile(
            order=["cheapest"], excluded=["market-hall"], max_providers=2, substitutes=SubstitutePolicy.ask
        ),
        providers=["corner-grocer"],
        lines=[
            ev.SelectedLine(
                line_id="c1",
                provider_id="corner-grocer",
                sku="CG-FLOUR-500",
                product="Plain wheat flour 500 g",
                packs=1,
                pack=_qty("500", "g"),
                unit_price=_eur("0.79"),
                cost=_eur("0.79"),
                leftover=_qty("250", "g"),
                concept="en:wheat-flours",
            ),
            ev.SelectedLine(
                line_id="c2",
                provider_id="corner-grocer",
                sku="CG-DUCK-EGGS-4",
                product="Duck eggs, 4",
                packs=1,
                pack=_qty("4", "piece"),
                unit_price=_eur("2.40"),
                cost=_eur("2.40"),
                leftover=_qty("2", "piece"),
                substitute=True,
                reason="Duck eggs for eggs: another egg",
                concept="en:duck-eggs",
            ),
        ],
        deliveries={"corner-grocer": _COURIER},
        total=_eur("5.69"),
        latest_eta_minutes=1440,
        answered=["corner-grocer"],
        addressed=["corner-grocer"],
    ),
    ev.ConfirmSelection: ev.ConfirmSelection(
        basket_id=BASKET,
        request_id=REQUEST,
        providers=["corner-grocer"],
        delivery=ev.DeliveryMethod.pickup,
        payment=ev.PaymentMethod.pay_at_pickup,
        accept_substitutes=["c2"],
    ),
    ev.BasketStatusChanged: ev.BasketStatusChanged(
        basket_id=BASKET,
        status=ev.BasketStatus.completed_partially,
        reason="1 of 2 items could not be had: c2",
        at=LATER,
        missing=[ev.MissingLine(line_id="c2", name="eggs", reason="you did not accept the substitute")],
    ),
}


def example(model: type[E]) -> E:
    """The example data of one event type, typed as that type."""
    data = EXAMPLES[model]
    assert isinstance(data, model)
    return data


def example_envelope(model: type[EventData]) -> Envelope[EventData]:
    data = EXAMPLES[model]
    return Envelope[model](  # type: ignore[valid-type]
        id=f"ex-{event_type_of(model).split('.')[-2]}",
        source="urn:kitting:examples",
        type=event_type_of(model),
        time=WHEN,
        subject=data.basket_id,
        data=data,
    )


def example_json(model: type[EventData]) -> dict[str, object]:
    """The example as the JSON document that travels on the topic."""
    return example_envelope(model).model_dump(mode="json", exclude_none=True)

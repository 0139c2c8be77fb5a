"""The provider registry: who can be asked for what, where. The reference providers live here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from schemas.events import DeliveryMethod, PaymentMethod


class ProviderKind(StrEnum):
    shop = "shop"
    courier = "courier"
    accounting = "accounting"


@dataclass(frozen=True)
class ProviderInfo:
    provider_id: str
    name: str
    kind: ProviderKind
    regions: frozenset[str]
    delivery_methods: tuple[DeliveryMethod, ...] = ()
    payment_methods: tuple[PaymentMethod, ...] = ()


REFERENCE_PROVIDERS: tuple[ProviderInfo, ...] = (
    ProviderInfo(
        "corner-grocer",
        "Corner Grocer",
        ProviderKind.shop,
        frozenset({"default"}),
        (DeliveryMethod.courier, DeliveryMethod.pickup),
        (PaymentMethod.electronic, PaymentMethod.pay_at_pickup, PaymentMethod.cash_on_delivery),
    ),
    ProviderInfo(
        "market-hall",
        "Market Hall",
        ProviderKind.shop,
        frozenset({"default"}),
        (DeliveryMethod.own, DeliveryMethod.courier, DeliveryMethod.pickup),
        (PaymentMethod.electronic, PaymentMethod.cash_on_delivery),
    ),
    ProviderInfo("swift-courier", "Swift Courier", ProviderKind.courier, frozenset({"default"})),
    ProviderInfo("ledger-pay", "Ledger Pay", ProviderKind.accounting, frozenset({"default"})),
)


class ProviderRegistry:
    def __init__(self, providers: tuple[ProviderInfo, ...] = REFERENCE_PROVIDERS) -> None:
        self._providers = {p.provider_id: p for p in providers}

    def shops_for(self, region: str) -> list[ProviderInfo]:
        return [p for p in self._providers.values() if p.kind is ProviderKind.shop and region in p.regions]

    def first(self, kind: ProviderKind, region: str) -> ProviderInfo | None:
        return next((p for p in self._providers.values() if p.kind is kind and region in p.regions), None)

    def get(self, provider_id: str) -> ProviderInfo | None:
        return self._providers.get(provider_id)

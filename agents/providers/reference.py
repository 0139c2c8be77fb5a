"""The reference providers as registry entries: the shops of reference_shops.py, a courier and an
accounting agent. `kitting worker` registers the missing ones at start (settings.reference_providers)."""

from __future__ import annotations

from agents.providers.reference_shops import REFERENCE_SHOPS, ShopProfile
from agents.providers.registry import KAFKA_ADDRESS, Provider, ProviderKind
from schemas.events import PaymentMethod

COURIER = Provider(
    provider_id="swift-courier",
    name="Swift Courier",
    kind=ProviderKind.delivery,
    regions=["default", "north"],
    address=KAFKA_ADDRESS,
)
ACCOUNTING = Provider(
    provider_id="ledger-pay",
    name="Ledger Pay",
    kind=ProviderKind.accounting,
    regions=["default", "north"],
    payment_methods=list(PaymentMethod),
    address=KAFKA_ADDRESS,
)


def shop_entry(profile: ShopProfile) -> Provider:
    return Provider(
        provider_id=profile.provider_id,
        name=profile.name,
        kind=ProviderKind.component,
        categories=sorted(profile.categories),
        regions=sorted(profile.regions),
        delivery_methods=[terms.method for terms in profile.delivery],
        payment_methods=list(profile.payment_methods),
        address=KAFKA_ADDRESS,
    )


def reference_providers() -> list[Provider]:
    return [*(shop_entry(profile) for profile in REFERENCE_SHOPS), COURIER, ACCOUNTING]

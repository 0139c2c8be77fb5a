"""The reference providers as registry entries: the shops of catalog.py, a courier and an accounting
agent. The composition root registers them when a worker starts (settings.reference_providers), each
with the public keys of private keys derived from the vault key, so contact data can be sealed to it and
its events are signed."""

from __future__ import annotations

from agents.providers.sdk import derived_private_key, derived_signing_key, public_key_of, verify_key_of
from agents.reference.profiles import REFERENCE_SHOPS, ShopProfile
from schemas.providers import KAFKA_ADDRESS, Provider, ProviderKind
from schemas.vocabulary import PaymentMethod

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


def reference_private_key(provider_id: str, secret: bytes) -> str:
    """The private key (base64) a hosted reference provider opens its sealed contacts with."""
    return derived_private_key(secret, provider_id)


def reference_signing_key(provider_id: str, secret: bytes) -> str:
    """The private key (base64) a hosted reference provider signs its events with."""
    return derived_signing_key(secret, provider_id)


def reference_providers(secret: bytes) -> list[Provider]:
    """Every reference provider, with the public halves of its keys derived from `secret`."""
    entries = [*(shop_entry(profile) for profile in REFERENCE_SHOPS), COURIER, ACCOUNTING]
    return [
        entry.model_copy(
            update={
                "public_key": public_key_of(reference_private_key(entry.provider_id, secret)),
                "signing_key": verify_key_of(reference_signing_key(entry.provider_id, secret)),
            }
        )
        for entry in entries
    ]

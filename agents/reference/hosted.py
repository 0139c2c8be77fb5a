"""The reference providers as one Kitting worker hosts them: every adapter (the shops, their own fleets
and counters, a courier and an accounting agent) with the name its consumers take, each keyed by a
private key derived from the host's secret."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from agents.providers.sdk import ProviderAdapter
from agents.providers.sdk.storage import Database
from agents.reference.accounting import ReferenceAccounting
from agents.reference.assortment import catalog_of
from agents.reference.carriers import OwnFleet, ReferenceCourier, ShopCounter
from agents.reference.entries import ACCOUNTING, COURIER, reference_private_key, reference_signing_key
from agents.reference.faults import Faults
from agents.reference.profiles import REFERENCE_SHOPS
from agents.reference.shop import ReferenceShop
from schemas.events import QuoteOffered, QuoteRequested
from schemas.vocabulary import DeliveryMethod


@dataclass(frozen=True)
class ShopQuoter:
    """A reference shop as a dry run asks it: what it serves, and its own quote (no broker)."""

    provider_id: str
    categories: frozenset[str]
    regions: frozenset[str]
    quote: Callable[[QuoteRequested], QuoteOffered]


def reference_quoters() -> list[ShopQuoter]:
    """Every reference shop, quoting from its catalog exactly as its adapter does."""
    return [
        ShopQuoter(
            profile.provider_id,
            profile.categories,
            profile.regions,
            ReferenceShop(profile, catalog_of(profile.provider_id)).quote,
        )
        for profile in REFERENCE_SHOPS
    ]


def reference_adapters(
    secret: bytes, database: Database, faults: Faults
) -> list[tuple[str, ProviderAdapter]]:
    """(consumer name, adapter) of every reference provider; the ledger lives in `database`."""
    adapters: list[tuple[str, ProviderAdapter]] = []
    for profile in REFERENCE_SHOPS:
        name = f"provider.{profile.provider_id}"
        key = reference_private_key(profile.provider_id, secret)
        adapters.append((name, ReferenceShop(profile, catalog_of(profile.provider_id), faults).adapter()))
        methods = {terms.method for terms in profile.delivery}
        if DeliveryMethod.own in methods:
            adapters.append((f"{name}.fleet", OwnFleet(profile, key, faults).adapter()))
        if DeliveryMethod.pickup in methods:
            adapters.append((f"{name}.counter", ShopCounter(profile, key, faults).adapter()))
    courier_key = reference_private_key(COURIER.provider_id, secret)
    adapters.append(
        (f"provider.{COURIER.provider_id}", ReferenceCourier(COURIER, courier_key, faults).adapter())
    )
    adapters.append(
        (
            f"provider.{ACCOUNTING.provider_id}",
            ReferenceAccounting(
                ACCOUNTING, database, reference_private_key(ACCOUNTING.provider_id, secret), faults
            ).adapter(),
        )
    )
    for _, adapter in adapters:
        adapter.signing_key = reference_signing_key(adapter.provider_id, secret)
    return adapters

"""Build one delivery request for an order: pick the carrier, seal to it the contact fields the privacy
table allows for its part, state the cash to collect, and record in the audit log what it received."""

from __future__ import annotations

import json
import math
import uuid

from sqlalchemy.orm import Session

from agents.ordering.tables import Order
from agents.privacy.audit import record
from agents.privacy.policy import contact_values, sealed_fields
from agents.privacy.sealing import SealedContactError, seal
from agents.privacy.vault import Vault
from agents.registry.providers import UnknownProvider, get_provider, providers_for
from schemas.events import DeliveryRequested, ParcelSize, QuotePreferences, SealedContact
from schemas.providers import ProviderKind
from schemas.values import Money
from schemas.vocabulary import DeliveryMethod, is_cash
from streams.topics import Topic

PACKS_PER_PARCEL = 20


class NoCarrier(LookupError):
    """No carrier can take the delivery (e.g. no courier serves the region)."""


def packs_of(order: Order) -> int:
    return sum(int(line["packs"]) for line in json.loads(order.lines)) or 1


def parcel_size(packs: int) -> ParcelSize:
    return "small" if packs <= 5 else "medium" if packs <= 15 else "large"


def carrier_for(session: Session, order: Order, attempt: int) -> tuple[str, ProviderKind]:
    """A courier of the region (the next one on another try), or the shop itself."""
    if DeliveryMethod(order.delivery_method) is not DeliveryMethod.courier:
        return order.provider_id, ProviderKind.component
    couriers = providers_for(session, ProviderKind.delivery, order.region)
    if not couriers:
        raise NoCarrier(f"no courier serves region {order.region!r}")
    return couriers[(attempt - 1) % len(couriers)].provider_id, ProviderKind.delivery


def delivery_request(
    session: Session, vault: Vault, order: Order, prefs: QuotePreferences | None, attempt: int
) -> DeliveryRequested:
    method = DeliveryMethod(order.delivery_method)
    carrier_id, kind = carrier_for(session, order, attempt)
    fields = sealed_fields(kind, method)
    contact: SealedContact | None = None
    withheld: str | None = None
    if fields:
        try:
            public_key = get_provider(session, carrier_id).public_key
        except UnknownProvider:
            public_key = None
        if not public_key:
            withheld = f"{carrier_id} registered no public key: contact data is never sent in clear"
        else:
            code = vault.pickup_code(order.order_id) if "pickup_code" in fields else None
            values = contact_values(vault.contact(session, order.customer_ref), fields, pickup_code=code)
            try:
                contact = seal(public_key, carrier_id, values)
            except SealedContactError as exc:
                withheld = str(exc)
    cash = None
    if is_cash(order.payment_method):
        cash = Money(amount=order.total_amount, currency=order.currency)
    packs = packs_of(order)
    reference = vault.reference(session, order.customer_ref, order.order_id, carrier_id)
    request = DeliveryRequested(
        basket_id=order.basket_id,
        delivery_id=str(uuid.uuid4()),
        order_id=order.order_id,
        provider_id=order.provider_id,
        carrier_id=carrier_id,
        method=method,
        parcels=max(1, math.ceil(packs / PACKS_PER_PARCEL)),
        parcel_size=parcel_size(packs),
        region=order.region,
        recipient_ref=reference,
        pickup_point=f"the counter of {order.provider_id}" if method is not DeliveryMethod.own else None,
        time_window=prefs.time_window if prefs else None,
        contact=contact,
        cash_to_collect=cash,
        attempt=attempt,
    )
    received = sorted(contact.fields) if contact else []
    record(
        session,
        basket_id=order.basket_id,
        order_id=order.order_id,
        party_id=carrier_id,
        party_kind=kind.value,
        event_type="DeliveryRequested",
        topic=Topic.DELIVERY_REQUESTED.topic_name,
        reference=reference,
        fields=received + (["cash_to_collect"] if cash else []),
        sealed=contact is not None,
        withheld=withheld,
    )
    return request

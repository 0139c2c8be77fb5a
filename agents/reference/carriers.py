"""The reference delivery services as provider adapters (agents/providers/sdk/): an independent
courier, a shop's own delivery fleet and a shop's counter. Each holds its own private key and opens
the contact Kitting sealed to it; the opened values are used for the hand-over only, and are never
logged nor put in an event or an error.

The reference services simulate the whole hand-over at once: arranged, (collected,) delivered."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from agents.providers.sdk import ProviderAdapter, SealedContactError, open_sealed
from agents.reference.faults import Faults
from agents.reference.profiles import DeliveryTerms, ShopProfile, profile_of
from schemas.events import (
    DeliveryArranged,
    DeliveryFailed,
    DeliveryRequested,
    EventData,
    OrderCancelled,
    ParcelCollected,
    ParcelDelivered,
)
from schemas.providers import Provider
from schemas.vocabulary import DeliveryMethod

COURIER_ETA = timedelta(hours=24)
COURIER_NEEDS = frozenset({"name", "phone", "street_address"})
FLEET_NEEDS = frozenset({"phone", "street_address"})
COUNTER_NEEDS = frozenset({"name", "phone", "pickup_code"})
NOBODY_HOME = "nobody was home at the drop-off"
NOBODY_CAME = "nobody came to collect the parcel"


class ContactProblem(ValueError):
    """The contact a carrier needs is missing or unusable; the message never holds a contact value."""


def open_contact(
    request: DeliveryRequested, carrier_id: str, private_key: str, needs: Iterable[str]
) -> dict[str, str]:
    """The opened contact of a delivery sealed to `carrier_id`, holding every field in `needs`."""
    contact = request.contact
    if contact is None:
        raise ContactProblem("no contact details came with the delivery")
    if contact.recipient_id != carrier_id:
        raise ContactProblem(f"the contact is sealed to {contact.recipient_id}, not to {carrier_id}")
    try:
        values = open_sealed(private_key, contact)
    except SealedContactError:
        raise ContactProblem(f"the contact sealed to {carrier_id} does not open with its key") from None
    lacking = sorted(name for name in needs if not values.get(name, "").strip())
    if lacking:
        raise ContactProblem(f"the contact lacks {', '.join(lacking)}")
    return values


def _failed(request: DeliveryRequested, carrier_id: str, reason: str, retryable: bool) -> DeliveryFailed:
    return DeliveryFailed(
        basket_id=request.basket_id,
        delivery_id=request.delivery_id,
        order_id=request.order_id,
        carrier_id=carrier_id,
        reason=reason,
        retryable=retryable,
    )


def _handed_over(
    request: DeliveryRequested, carrier_id: str, eta: timedelta, collected: bool = False
) -> list[EventData]:
    """Arranged, collected at the shop (a courier only), then delivered or handed over."""
    now = datetime.now(UTC)
    common = {
        "basket_id": request.basket_id,
        "delivery_id": request.delivery_id,
        "order_id": request.order_id,
        "carrier_id": carrier_id,
    }
    answers: list[EventData] = [DeliveryArranged(**common, method=request.method, expected_at=now + eta)]
    if collected:
        answers.append(ParcelCollected(**common, at=now))
    answers.append(
        ParcelDelivered(
            **common,
            method=request.method,
            at=now,
            cash_collected=request.cash_to_collect,
            pickup_code_checked=True if request.method is DeliveryMethod.pickup else None,
        )
    )
    return answers


@dataclass(frozen=True)
class ReferenceCourier:
    """An independent courier: delivers parcels from any shop in its regions, door to door."""

    info: Provider
    private_key: str = field(repr=False)
    faults: Faults = field(default_factory=Faults)

    @property
    def provider_id(self) -> str:
        return self.info.provider_id

    def adapter(self) -> ProviderAdapter:
        adapter = ProviderAdapter(self.provider_id)
        adapter.on_delivery(self.deliver)
        adapter.on_cancel(self.cancel)
        return adapter

    def cancel(self, cancelled: OrderCancelled) -> None:
        """Kitting withdrew the order: a parcel not yet delivered is returned to the shop (the reference
        courier delivers at once, so there is nothing left to stop)."""
        return None

    def deliver(self, request: DeliveryRequested) -> list[EventData] | DeliveryFailed | None:
        if request.carrier_id != self.provider_id or request.method is not DeliveryMethod.courier:
            return None
        if self.faults.is_silent(self.provider_id):
            return None  # a drill: the courier does not answer
        if request.region not in self.info.regions:
            return _failed(request, self.provider_id, f"no service in region {request.region!r}", False)
        if self.provider_id in self.faults.fail_first and request.attempt == 1:
            return _failed(request, self.provider_id, NOBODY_HOME, True)
        try:
            open_contact(request, self.provider_id, self.private_key, COURIER_NEEDS)
        except ContactProblem as problem:
            return _failed(request, self.provider_id, str(problem), False)
        return _handed_over(request, self.provider_id, courier_eta(request.provider_id), collected=True)


def courier_eta(shop_id: str) -> timedelta:
    """How long the courier takes from a shop: what that shop quoted for courier delivery (so the time the
    person is told matches the proposal they confirmed), else a day."""
    try:
        terms = next((t for t in profile_of(shop_id).delivery if t.method is DeliveryMethod.courier), None)
    except KeyError:  # a shop that is not one of the reference shops
        terms = None
    return timedelta(minutes=terms.eta_minutes) if terms else COURIER_ETA


@dataclass(frozen=True)
class _ShopCarrier:
    """A shop carrying its own parcels: by its own fleet, or over its counter."""

    profile: ShopProfile
    private_key: str = field(repr=False)
    faults: Faults = field(default_factory=Faults)

    method: ClassVar[DeliveryMethod] = DeliveryMethod.own
    needs: ClassVar[frozenset[str]] = FLEET_NEEDS
    first_failure: ClassVar[str] = NOBODY_HOME

    @property
    def provider_id(self) -> str:
        return self.profile.provider_id

    @property
    def terms(self) -> DeliveryTerms | None:
        return next((t for t in self.profile.delivery if t.method is self.method), None)

    def adapter(self) -> ProviderAdapter:
        adapter = ProviderAdapter(self.provider_id)
        adapter.on_delivery(self.deliver)
        return adapter

    def deliver(self, request: DeliveryRequested) -> list[EventData] | DeliveryFailed | None:
        if request.carrier_id != self.provider_id or request.method is not self.method:
            return None  # the shop's other service answers it
        if self.faults.is_silent(self.provider_id):
            return None  # a drill: the shop does not answer
        terms = self.terms
        if terms is None:
            reason = f"{self.profile.name} offers no {self.method.value} delivery"
            return _failed(request, self.provider_id, reason, False)
        problem = self.region_problem(request)
        if problem:
            return _failed(request, self.provider_id, problem, False)
        if self.provider_id in self.faults.fail_first and request.attempt == 1:
            return _failed(request, self.provider_id, self.first_failure, True)
        try:
            open_contact(request, self.provider_id, self.private_key, self.needs)
        except ContactProblem as problem:
            return _failed(request, self.provider_id, str(problem), False)
        return _handed_over(request, self.provider_id, timedelta(minutes=terms.eta_minutes))

    def region_problem(self, request: DeliveryRequested) -> str | None:
        if request.region not in self.profile.regions:
            return f"{self.profile.name} does not deliver in region {request.region!r}"
        return None


@dataclass(frozen=True)
class OwnFleet(_ShopCarrier):
    """A shop delivering its own parcels to the door: it needs the street address and a phone."""


@dataclass(frozen=True)
class ShopCounter(_ShopCarrier):
    """A shop handing parcels over at its counter to the person who shows the pickup code. The
    reference counter simulates the person arriving with the code as soon as the order is ready."""

    method: ClassVar[DeliveryMethod] = DeliveryMethod.pickup
    needs: ClassVar[frozenset[str]] = COUNTER_NEEDS
    first_failure: ClassVar[str] = NOBODY_CAME

    def region_problem(self, request: DeliveryRequested) -> str | None:
        return None  # the person comes to the shop

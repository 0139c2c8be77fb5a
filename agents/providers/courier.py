"""A reference courier: accepts every delivery addressed to it in its regions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from agents.providers.registry import Provider
from schemas.envelope import Envelope
from schemas.events import DeliveryArranged, DeliveryFailed, DeliveryRequested
from streams.persistence import UnitOfWork, utcnow

COURIER_ETA = timedelta(hours=24)


@dataclass(frozen=True)
class ReferenceCourier:
    info: Provider

    def is_mine(self, envelope: Envelope[Any]) -> bool:
        return bool(envelope.data.carrier_id == self.info.provider_id)

    def on_delivery_requested(self, envelope: Envelope[Any], uow: UnitOfWork) -> None:
        request: DeliveryRequested = envelope.data
        if not self.is_mine(envelope):
            return
        common = {
            "basket_id": request.basket_id,
            "delivery_id": request.delivery_id,
            "order_id": request.order_id,
            "carrier_id": self.info.provider_id,
        }
        if request.region not in self.info.regions:
            uow.emit(DeliveryFailed(**common, reason=f"no service in region {request.region!r}"))
            return
        uow.emit(DeliveryArranged(**common, method=request.method, expected_at=utcnow() + COURIER_ETA))

"""The HTTP webhook bridge: a provider without Kafka registers an https:// address and takes part by
answering POSTs. Kitting POSTs each quote request or order addressed to it (a CloudEvent, exactly as on
the topic, signed with an HMAC of the body when the provider has a key) and publishes the answer the
response body carries: the `data` of a QuoteOffered, an OrderConfirmed or an OrderRejected, or 204 for
nothing to say. A member of a provider manager is reached at its manager's address.

An answer that does not validate, names another basket, round, order or provider, or a webhook that
fails after its retries, is logged and dropped: the round's deadline then counts the provider as not
answering, and an order left unanswered is the ordering saga's to time out.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import ValidationError

from agents.registry.providers import address_of
from schemas.envelope import Envelope
from schemas.events import EventData, OrderConfirmed, OrderPlaced, OrderRejected, QuoteOffered, QuoteRequested
from schemas.providers import KAFKA_ADDRESS
from streams.codec import encode
from streams.persistence import Database, UnitOfWork
from streams.signing import party_envelope

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Kitting-Signature"
ADDRESS_TTL_S = 5.0
ATTEMPTS = 3


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def parse_answer(request: EventData, body: dict[str, Any]) -> EventData:
    """Validate a webhook's answer against what was asked; raises ValueError naming the problem."""
    if isinstance(request, QuoteRequested):
        answer: EventData = QuoteOffered.model_validate(body)
        assert isinstance(answer, QuoteOffered)
        if (answer.request_id, answer.provider_id) != (request.request_id, request.provider_id):
            raise ValueError("the offer names another round or provider")
    elif isinstance(request, OrderPlaced):
        kind = OrderRejected if "reason" in body else OrderConfirmed
        answer = kind.model_validate(body)
        if (answer.order_id, answer.provider_id) != (request.order_id, request.provider_id):
            raise ValueError("the answer names another order or provider")
    else:
        raise ValueError(f"nothing to answer for {type(request).__name__}")
    if answer.basket_id != request.basket_id:
        raise ValueError("the answer names another basket")
    return answer


@dataclass
class WebhookBridge:
    database: Database
    relay_key: str  # what the answers it relays are signed with, in the webhook provider's name
    timeout_s: float = 5.0
    secrets: dict[str, str] = field(default_factory=dict)
    transport: httpx.AsyncBaseTransport | None = None
    _addresses: dict[str, tuple[float, str | None]] = field(default_factory=dict)

    def address(self, provider_id: str) -> str | None:
        cached = self._addresses.get(provider_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        with self.database.session() as session:
            address = address_of(session, provider_id)
        self._addresses[provider_id] = (time.monotonic() + ADDRESS_TTL_S, address)
        return address

    def is_webhook(self, envelope: Envelope[Any]) -> bool:
        address = self.address(getattr(envelope.data, "provider_id", ""))
        return bool(address) and address != KAFKA_ADDRESS

    async def call(self, envelope: Envelope[Any]) -> Envelope[Any]:
        """POST the event and return the envelope carrying the answer as `data` (None when none)."""
        request: EventData = envelope.data
        provider_id = getattr(request, "provider_id", "")
        url = self.address(provider_id) or ""
        body = encode(envelope)
        headers = {"content-type": "application/cloudevents+json"}
        if provider_id in self.secrets:
            headers[SIGNATURE_HEADER] = signature(self.secrets[provider_id], body)
        answer: EventData | None = None
        async with httpx.AsyncClient(timeout=self.timeout_s, transport=self.transport) as client:
            for attempt in range(1, ATTEMPTS + 1):
                try:
                    response = await client.post(url, content=body, headers=headers)
                    if response.status_code == 204:
                        break
                    response.raise_for_status()
                    answer = parse_answer(request, response.json())
                    break
                except (httpx.HTTPError, ValueError, ValidationError) as exc:
                    log.warning("webhook of %s failed (attempt %d): %s", provider_id, attempt, exc)
                    if attempt < ATTEMPTS and not isinstance(exc, ValueError | ValidationError):
                        await asyncio.sleep(0.2 * attempt)
                        continue
                    break
        return envelope.model_copy(update={"data": answer})

    def publish(self, envelope: Envelope[Any], uow: UnitOfWork) -> None:
        """The webhook's answer, from its provider, signed by the bridge that heard it."""
        answer = envelope.data
        if isinstance(answer, EventData):
            provider_id = getattr(answer, "provider_id", "")
            uow.emit_envelope(party_envelope(answer, provider_id, self.relay_key))

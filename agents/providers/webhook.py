"""The HTTP webhook bridge: a provider without Kafka registers an https:// address and takes part by
answering POSTs. Kitting POSTs every event addressed to it (a CloudEvent, exactly as on the topic,
signed with the provider's secret over a timestamp and the body: agents/providers/sdk/webhooks.py): a
quote request, an order, a delivery it is to make (its own fleet, its counter, or as a courier), an
order Kitting withdrew. It publishes the answer the response body carries, signed by the bridge in the
provider's name: the `data` of a QuoteOffered, an OrderConfirmed or an OrderRejected; for a delivery,
one or a list of `{"kind": "arranged"|"collected"|"delivered"|"failed", ...}` with the data of that
event; 204 for nothing to say (always, for a withdrawn order). A member of a provider manager is
reached at its manager's address, signed with the manager's secret.

Only public https addresses are called, and only the address that was checked (agents/outbound/). Each
call runs beside the consumers, within an overall deadline (a webhook that trickles its answer is cut
off), at most a few at a time per provider: one slow provider never holds back another's requests.
An answer that does not validate, names another basket, round, order or provider, or a webhook that
fails after its retries or its deadline, is logged and dropped: the round's deadline then counts the
provider as not answering, and an order left unanswered is the ordering saga's to time out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import ValidationError

from agents.outbound.pinning import AddressRefused, Resolver, pin, system_resolve
from agents.providers.sdk.webhooks import SIGNATURE_HEADER, sign_webhook
from agents.registry.providers import Webhook, webhook_of
from agents.registry.secrets import webhook_secret
from schemas.envelope import Envelope
from schemas.events import (
    DeliveryArranged,
    DeliveryFailed,
    DeliveryRequested,
    EventData,
    OrderCancelled,
    OrderConfirmed,
    OrderPlaced,
    OrderRejected,
    ParcelCollected,
    ParcelDelivered,
    QuoteOffered,
    QuoteRequested,
)
from streams.codec import encode
from streams.persistence import Database, UnitOfWork
from streams.signing import party_envelope

log = logging.getLogger(__name__)

ADDRESS_TTL_S = 5.0
ATTEMPTS = 3
MAX_ANSWER_BYTES = 1_000_000
IN_FLIGHT_PER_PROVIDER = 4

RunJob = Callable[[Callable[[UnitOfWork], None]], Awaitable[None]]
Spawn = Callable[[Coroutine[Any, Any, None]], None]


DELIVERY_KINDS: dict[str, type[EventData]] = {
    "arranged": DeliveryArranged,
    "collected": ParcelCollected,
    "delivered": ParcelDelivered,
    "failed": DeliveryFailed,
}


def addressees(data: EventData) -> list[str]:
    """Who an event is for: the shop of a quote request or an order, the carrier of a delivery, the shop
    and the courier of a withdrawn order."""
    if isinstance(data, DeliveryRequested):
        return [data.carrier_id]
    if isinstance(data, OrderCancelled):
        return [data.provider_id, *([data.carrier_id] if data.carrier_id else [])]
    return [getattr(data, "provider_id", "")]


def parse_delivery_answers(request: DeliveryRequested, body: Any) -> list[EventData]:
    answers: list[EventData] = []
    for item in body if isinstance(body, list) else [body]:
        if not isinstance(item, dict) or item.get("kind") not in DELIVERY_KINDS:
            raise ValueError(f"each delivery answer needs a kind: one of {', '.join(DELIVERY_KINDS)}")
        answer = DELIVERY_KINDS[item["kind"]].model_validate({k: v for k, v in item.items() if k != "kind"})
        asked = (request.delivery_id, request.order_id, request.carrier_id, request.basket_id)
        if (answer.delivery_id, answer.order_id, answer.carrier_id, answer.basket_id) != asked:  # type: ignore[attr-defined]
            raise ValueError("the answer names another delivery, order, carrier or basket")
        answers.append(answer)
    return answers


def parse_answer(request: EventData, body: Any) -> EventData:
    """Validate a webhook's answer against what was asked; raises ValueError naming the problem."""
    if not isinstance(body, dict):
        raise ValueError("the answer is not a JSON object")
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


class AnswerTooLarge(ValueError):
    """A webhook answer longer than MAX_ANSWER_BYTES."""


@dataclass
class WebhookBridge:
    database: Database
    secret: bytes  # the vault key, which the providers' webhook secrets derive from
    relay_key: str  # what the answers it relays are signed with, in the webhook provider's name
    spawn: Spawn  # runs a call beside the consumers (the host's `spawn`)
    run_job: RunJob  # publishes an answer through the outbox (the host pipeline's `run_job`)
    timeout_s: float = 5.0  # each attempt
    deadline_s: float = 15.0  # the whole call, retries included
    transport: httpx.AsyncBaseTransport | None = None
    resolve: Resolver = system_resolve
    _webhooks: dict[str, tuple[float, Webhook | None]] = field(default_factory=dict)
    _lanes: dict[str, asyncio.Semaphore] = field(default_factory=dict)

    def webhook(self, provider_id: str) -> Webhook | None:
        cached = self._webhooks.get(provider_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        with self.database.session() as session:
            found = webhook_of(session, provider_id)
        self._webhooks[provider_id] = (time.monotonic() + ADDRESS_TTL_S, found)
        return found

    def is_webhook(self, envelope: Envelope[Any]) -> bool:
        return any(self.webhook(party) is not None for party in addressees(envelope.data))

    async def dispatch(self, envelope: Envelope[Any]) -> Envelope[Any]:
        """Start the calls beside the consumers and go on with the next record at once."""
        for party in addressees(envelope.data):
            if self.webhook(party) is not None:
                self.spawn(self.call_and_publish(envelope, party))
        return envelope

    async def call_and_publish(self, envelope: Envelope[Any], provider_id: str) -> None:
        lane = self._lanes.setdefault(provider_id, asyncio.Semaphore(IN_FLIGHT_PER_PROVIDER))
        try:
            async with asyncio.timeout(self.deadline_s):
                async with lane:
                    answers = await self.call(envelope, provider_id)
        except TimeoutError:
            log.warning("webhook of %s gave no answer within %.0fs: dropped", provider_id, self.deadline_s)
            return
        if answers:
            await self.run_job(lambda uow: self.publish(answers, provider_id, uow))

    async def call(self, envelope: Envelope[Any], provider_id: str) -> list[EventData]:
        """POST the event to `provider_id`'s webhook; its validated answers (none for nothing to say)."""
        request: EventData = envelope.data
        hook = self.webhook(provider_id)
        if hook is None:
            return []
        try:
            target = await pin(hook.address, schemes=("https",), resolve=self.resolve)
        except AddressRefused as exc:
            log.warning("webhook of %s not called: %s", provider_id, exc)
            return []
        body = encode(envelope)
        secret = webhook_secret(self.secret, hook.owner_id, hook.secret_generation)
        async with httpx.AsyncClient(timeout=self.timeout_s, transport=self.transport) as client:
            for attempt in range(1, ATTEMPTS + 1):
                headers = {
                    **target.headers,
                    "content-type": "application/cloudevents+json",
                    SIGNATURE_HEADER: sign_webhook(secret, body),
                }
                try:
                    return await self._post(
                        client, target.request_url, headers, target.extensions, request, body
                    )
                except (httpx.HTTPError, ValueError, ValidationError) as exc:
                    log.warning("webhook of %s failed (attempt %d): %s", provider_id, attempt, exc)
                    if attempt < ATTEMPTS and not isinstance(exc, ValueError | ValidationError):
                        await asyncio.sleep(0.2 * attempt)
                        continue
                    return []
        return []

    @staticmethod
    async def _post(
        client: httpx.AsyncClient,
        url: str,
        headers: dict[str, str],
        extensions: dict[str, Any],
        request: EventData,
        body: bytes,
    ) -> list[EventData]:
        async with client.stream(
            "POST", url, content=body, headers=headers, extensions=extensions
        ) as response:
            if response.status_code == 204 or isinstance(request, OrderCancelled):
                response.raise_for_status()
                return []  # a withdrawn order is only news: nothing to answer
            response.raise_for_status()
            answer = bytearray()
            async for chunk in response.aiter_bytes():
                answer.extend(chunk)
                if len(answer) > MAX_ANSWER_BYTES:
                    raise AnswerTooLarge(f"the answer is longer than {MAX_ANSWER_BYTES} bytes")
        document = httpx.Response(200, content=bytes(answer)).json()
        if isinstance(request, DeliveryRequested):
            return parse_delivery_answers(request, document)
        return [parse_answer(request, document)]

    def publish(self, answers: list[EventData], provider_id: str, uow: UnitOfWork) -> None:
        """The webhook's answers, from its provider, signed by the bridge that heard them."""
        for answer in answers:
            uow.emit_envelope(party_envelope(answer, provider_id, self.relay_key))

"""Whether a party's event is the party's word: its `source` names a registered provider, it carries that
provider's signature (or its manager's, or, for a provider reached by webhook, the signature of Kitting's
own webhook bridge, which relays what the webhook answered), and it speaks for nobody else (an offer or
an order's answer names the provider that signs it, a delivery report its carrier). Whether the order,
delivery or settlement it names was addressed to that party is the saga's check, which knows them.

The registry is read at most once per provider every few seconds; a rotated key counts after that."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from agents.registry.providers import ProviderRow
from schemas.envelope import Envelope
from schemas.providers import KAFKA_ADDRESS
from streams.persistence import Database
from streams.signing import derived_signing_key, party_of, signature_fits, verify_key_of

KEYS_TTL_S = 5.0
RELAY_NAME = "kitting-webhook-bridge"


def relay_signing_key(secret: bytes) -> str:
    """The private key Kitting's webhook bridge signs a webhook's answers with (from the vault key)."""
    return derived_signing_key(secret, RELAY_NAME)


def named_party(data: Any) -> str | None:
    """The party an event says it is from: an offer's or an order answer's provider, a delivery
    report's carrier; None for a settlement outcome (its agent is the order's, checked by the saga)."""
    for attribute in ("carrier_id", "provider_id"):
        value = getattr(data, attribute, None)
        if isinstance(value, str):
            return value
    return None


@dataclass(frozen=True)
class PartyKeys:
    """The keys a party's events may be signed with."""

    keys: tuple[str, ...]
    relayed: bool  # reached by webhook: the bridge's signature counts too


class Parties:
    """The check the pipeline runs on every event of a party topic (streams.handling.PartyCheck)."""

    def __init__(self, database: Database, secret: bytes, ttl_s: float = KEYS_TTL_S) -> None:
        self.database = database
        self.relay_key = verify_key_of(relay_signing_key(secret))
        self.ttl_s = ttl_s
        self._cache: dict[str, tuple[float, PartyKeys | None]] = {}

    def keys_of(self, provider_id: str) -> PartyKeys | None:
        cached = self._cache.get(provider_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        with self.database.session() as session:
            row = session.get(ProviderRow, provider_id)
            manager = session.get(ProviderRow, row.manager_id) if row is not None and row.manager_id else None
            entry = None
            if row is not None:
                address = manager.address if manager is not None and not row.address else row.address
                keys = tuple(k for k in (row.signing_key, manager and manager.signing_key) if k)
                entry = PartyKeys(keys=keys, relayed=bool(address) and address != KAFKA_ADDRESS)
        self._cache[provider_id] = (time.monotonic() + self.ttl_s, entry)
        return entry

    def refusal(self, envelope: Envelope[Any], raw: bytes) -> str | None:
        """Why the event is not its party's word, or None when it is."""
        party = party_of(envelope.source)
        if party is None:
            return f"a {envelope.type} comes from a provider (source urn:kitting:provider:<id>)"
        entry = self.keys_of(party)
        if entry is None:
            return f"{party} is not a registered provider"
        keys = [*entry.keys, self.relay_key] if entry.relayed else list(entry.keys)
        if not keys:
            return f"{party} registered no signing key: its events cannot be checked"
        if not signature_fits(raw, keys):
            return f"not signed with {party}'s registered signing key"
        named = named_party(envelope.data)
        if named is not None and named != party:
            return f"{party} cannot speak for {named}"
        return None

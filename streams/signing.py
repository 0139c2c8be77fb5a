"""A party's signature on the events it sends: Ed25519 over the CloudEvent's canonical form.

The signature travels in the envelope's `signature` attribute as `ed25519=<base64>`. What is signed is
the event as a JSON object without that attribute, written canonically: keys sorted, no whitespace,
UTF-8 (for Kitting's events, whose numbers are integers or strings, this is RFC 8785). A verifier reads
the bytes as they came, so nothing a producer wrote is lost or re-encoded before the check.

Each party registers the public half of its key (`signing_key`) in the provider registry and keeps the
private half; Kitting keeps none of a partner's private keys (the reference providers it hosts derive
theirs from a secret, as their sealing keys)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any

from nacl.encoding import RawEncoder
from nacl.exceptions import BadSignatureError
from nacl.hash import blake2b
from nacl.signing import SigningKey, VerifyKey

from schemas.envelope import Envelope, new_envelope
from schemas.events import EventData

SCHEME = "ed25519="
PARTY_SOURCE = "urn:kitting:provider:"


class UnusableKey(ValueError):
    """A key that is not a base64 Ed25519 key of 32 bytes."""


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _key_bytes(key_b64: str) -> bytes:
    try:
        raw = base64.b64decode(key_b64, validate=True)
    except (ValueError, TypeError):
        raise UnusableKey("a signing key is 32 bytes in base64") from None
    if len(raw) != 32:
        raise UnusableKey("a signing key is 32 bytes in base64")
    return raw


def new_signing_keypair() -> tuple[str, str]:
    """A fresh (private, public) Ed25519 pair, base64: a party keeps the first, registers the second."""
    private = SigningKey.generate()
    return _b64(bytes(private)), _b64(bytes(private.verify_key))


def derived_signing_key(secret: bytes, name: str) -> str:
    """A deterministic private signing key for `name` (a provider Kitting hosts) from a secret."""
    seed = blake2b(
        name.encode(), key=secret[:64], person=b"kitting-signkey", digest_size=32, encoder=RawEncoder
    )
    return _b64(seed)


def verify_key_of(private_b64: str) -> str:
    return _b64(bytes(SigningKey(_key_bytes(private_b64)).verify_key))


def check_verify_key(public_b64: str) -> str:
    """`public_b64` if it is a usable public key; raises UnusableKey."""
    VerifyKey(_key_bytes(public_b64))
    return public_b64


def canonical(document: dict[str, Any]) -> bytes:
    """The bytes a signature covers: the event without its signature, keys sorted, no whitespace."""
    unsigned = {k: v for k, v in document.items() if k != "signature"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signed(envelope: Envelope[Any], private_b64: str) -> Envelope[Any]:
    """`envelope` with its signature by `private_b64`."""
    document = envelope.model_dump(mode="json", exclude_none=True)
    signature = SigningKey(_key_bytes(private_b64)).sign(canonical(document)).signature
    return envelope.model_copy(update={"signature": SCHEME + _b64(signature)})


def party_envelope(data: EventData, provider_id: str, private_b64: str | None) -> Envelope[Any]:
    """A party's answer in a fresh envelope from that party, signed with `private_b64` (unsigned when
    None: Kitting refuses it, but a provider's own tests may want it)."""
    envelope = new_envelope(data, source=party_source(provider_id), subject=data.basket_id)
    return signed(envelope, private_b64) if private_b64 else envelope


def signature_fits(raw: bytes, public_keys: Iterable[str]) -> bool:
    """Whether the event `raw` (as read) carries a signature by one of `public_keys`."""
    try:
        document = json.loads(raw)
    except ValueError:
        return False
    signature = document.get("signature") if isinstance(document, dict) else None
    if not isinstance(signature, str) or not signature.startswith(SCHEME):
        return False
    try:
        signature_bytes = base64.b64decode(signature.removeprefix(SCHEME), validate=True)
    except (ValueError, TypeError):
        return False
    message = canonical(document)
    for key in public_keys:
        try:
            VerifyKey(_key_bytes(key)).verify(message, signature_bytes)
        except (BadSignatureError, UnusableKey, ValueError):
            continue
        return True
    return False


def party_source(provider_id: str) -> str:
    return PARTY_SOURCE + provider_id


def party_of(source: str) -> str | None:
    """The provider an envelope's `source` names, or None (not a party's source)."""
    party = source.removeprefix(PARTY_SOURCE)
    return party if party != source and party else None

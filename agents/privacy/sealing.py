"""Contact data for one recipient alone: libsodium sealed boxes (X25519 + XSalsa20-Poly1305) to the
public key the recipient registered. Only the recipient's private key opens them; Kitting keeps none
of its partners' private keys (the reference providers it hosts derive theirs from a secret)."""

from __future__ import annotations

import base64
import json

from nacl.encoding import RawEncoder
from nacl.exceptions import CryptoError
from nacl.hash import blake2b
from nacl.public import PrivateKey, PublicKey, SealedBox

from schemas.events import SealedContact


class SealedContactError(ValueError):
    """A sealed contact that does not open with this key, or holds other fields than it names."""


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def new_keypair() -> tuple[str, str]:
    """A fresh (private, public) key pair, base64; a provider registers the public one."""
    private = PrivateKey.generate()
    return _b64(bytes(private)), _b64(bytes(private.public_key))


def public_key_of(private_b64: str) -> str:
    return _b64(bytes(PrivateKey(base64.b64decode(private_b64)).public_key))


def derived_private_key(secret: bytes, name: str) -> str:
    """A deterministic private key for `name` (a hosted reference provider) from a secret."""
    seed = blake2b(
        name.encode(), key=secret[:64], person=b"kitting-refkey", digest_size=32, encoder=RawEncoder
    )
    return _b64(bytes(PrivateKey.from_seed(seed)))


def seal(public_b64: str, recipient_id: str, values: dict[str, str]) -> SealedContact:
    try:
        box = SealedBox(PublicKey(base64.b64decode(public_b64, validate=True)))
    except (ValueError, TypeError) as exc:
        raise SealedContactError(f"{recipient_id} registered an unusable public key: {exc}") from exc
    payload = json.dumps(values, sort_keys=True, ensure_ascii=False).encode()
    return SealedContact(
        recipient_id=recipient_id, fields=sorted(values), ciphertext=_b64(box.encrypt(payload))
    )


def open_sealed(private_b64: str, sealed: SealedContact) -> dict[str, str]:
    try:
        box = SealedBox(PrivateKey(base64.b64decode(private_b64)))
        values = json.loads(box.decrypt(base64.b64decode(sealed.ciphertext)))
    except (CryptoError, ValueError, TypeError) as exc:
        raise SealedContactError(f"the contact sealed to {sealed.recipient_id} does not open: {exc}") from exc
    if not isinstance(values, dict) or sorted(values) != sorted(sealed.fields):
        raise SealedContactError(
            f"the contact sealed to {sealed.recipient_id} holds other fields than it names"
        )
    return {str(k): str(v) for k, v in values.items()}
